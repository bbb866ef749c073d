#include "wspeer/core/error.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace wsp {
namespace {

TEST(Error, GodotNumberingAndNames) {
  EXPECT_EQ(OK, 0);
  EXPECT_EQ(FAILED, 1);
  EXPECT_EQ(ERR_UNAVAILABLE, 2);
  EXPECT_EQ(ERR_OUT_OF_MEMORY, 6);
  EXPECT_EQ(ERR_FILE_EOF, 18);
  EXPECT_EQ(ERR_ALREADY_IN_USE, 22);
  EXPECT_EQ(ERR_TIMEOUT, 24);
  EXPECT_EQ(ERR_CANT_CONNECT, 25);
  EXPECT_EQ(ERR_INVALID_DATA, 30);
  EXPECT_EQ(ERR_INVALID_PARAMETER, 31);
  EXPECT_EQ(ERR_BUG, 47);
  EXPECT_EQ(ERR_PRINTER_ON_FIRE, 48);
  EXPECT_STREQ(error_name(ERR_INVALID_PARAMETER), "ERR_INVALID_PARAMETER");
  EXPECT_STREQ(error_name(OK), "OK");
  EXPECT_STREQ(error_name(ERR_PRINTER_ON_FIRE), "ERR_PRINTER_ON_FIRE");
  EXPECT_STREQ(error_name(static_cast<Error>(49)), "UNKNOWN_ERROR");
  EXPECT_STREQ(error_name(static_cast<Error>(-1)), "UNKNOWN_ERROR");
  std::set<std::string> names;
  for (int e = 0; e <= ERR_PRINTER_ON_FIRE; ++e) names.insert(error_name(static_cast<Error>(e)));
  EXPECT_EQ(names.size(), 49u) << "every code has its own name";
}

}  // namespace
}  // namespace wsp
