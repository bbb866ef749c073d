// The benchmark report names the side that ran out of CPU from these figures, so the parser
// must map /proc/stat's columns to the right kinds of work.
#include "bench/cpu_usage.h"

#include <gtest/gtest.h>

namespace wsp::bench {
namespace {

const char kBefore[] =
    "cpu  900 10 400 5000 20 0 100 30 0 0\n"
    "cpu0 500 5 200 2000 10 0 60 10 0 0\n"
    "cpu1 400 5 200 3000 10 0 40 20 0 0\n"
    "intr 12345 0 0\n"
    "ctxt 999\n"
    "cpus_allowed 3\n";

TEST(CpuUsage, ParsesEachCpuLineButNotTheTotalOrOtherLines) {
  const std::vector<CpuTicks> cpus = parse_cpu_ticks(kBefore);
  ASSERT_EQ(cpus.size(), 2u);
  EXPECT_EQ(cpus[0].user, 505u);    // user + nice
  EXPECT_EQ(cpus[0].kernel, 260u);  // system + irq + softirq
  EXPECT_EQ(cpus[0].idle, 2010u);   // idle + iowait
  EXPECT_EQ(cpus[0].steal, 10u);
  EXPECT_EQ(cpus[1].user, 405u);
  EXPECT_EQ(cpus[1].steal, 20u);
}

TEST(CpuUsage, SharesOfAnIntervalAddUpToOne) {
  const char after[] =
      "cpu0 560 5 260 2010 10 0 120 10 0 0\n"  // +60 user, +120 kernel, +10 idle
      "cpu1 400 5 200 3100 10 0 40 20 0 0\n";  // idle throughout
  const std::vector<CpuShare> shares = cpu_shares(parse_cpu_ticks(kBefore), parse_cpu_ticks(after));
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_DOUBLE_EQ(shares[0].user, 60.0 / 190);
  EXPECT_DOUBLE_EQ(shares[0].kernel, 120.0 / 190);
  EXPECT_DOUBLE_EQ(shares[0].idle, 10.0 / 190);
  EXPECT_DOUBLE_EQ(shares[0].busy(), 180.0 / 190);
  EXPECT_DOUBLE_EQ(shares[1].busy(), 0.0);
  EXPECT_DOUBLE_EQ(shares[1].idle, 1.0);
}

TEST(CpuUsage, ACounterThatStepsBackCountsAsNothing) {
  // iowait can decrease between readings; that must not wrap around to a huge share.
  const char after[] =
      "cpu0 600 5 200 2000 0 0 60 10 0 0\n"
      "cpu1 400 5 200 3000 10 0 40 20 0 0\n";
  const std::vector<CpuShare> shares = cpu_shares(parse_cpu_ticks(kBefore), parse_cpu_ticks(after));
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_DOUBLE_EQ(shares[0].user, 1.0);
  EXPECT_DOUBLE_EQ(shares[0].idle, 0.0);
  EXPECT_DOUBLE_EQ(shares[1].busy(), 0.0);  // nothing counted at all
  EXPECT_DOUBLE_EQ(shares[1].idle, 0.0);
}

TEST(CpuUsage, ReadsThisMachine) {
  const std::vector<CpuTicks> cpus = read_cpu_ticks();
  ASSERT_FALSE(cpus.empty());
  uint64_t total = 0;
  for (const CpuTicks& cpu : cpus) total += cpu.user + cpu.kernel + cpu.idle + cpu.steal;
  EXPECT_GT(total, 0u);
}

}  // namespace
}  // namespace wsp::bench
