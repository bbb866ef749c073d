// The PROXY protocol header (versions 1 and 2) in memory: every field, every way it can be cut
// short, broken or oversized, and the addresses as a server would show them.
#include "wspeer/core/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsp::proxy_protocol {
namespace {

std::vector<uint8_t> bytes(const std::string& text) { return {text.begin(), text.end()}; }

std::vector<uint8_t> v2(uint8_t version_command, uint8_t family, std::vector<uint8_t> block) {
  std::vector<uint8_t> out = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                              0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  out.push_back(version_command);
  out.push_back(family);
  out.push_back(static_cast<uint8_t>(block.size() >> 8));
  out.push_back(static_cast<uint8_t>(block.size()));
  out.insert(out.end(), block.begin(), block.end());
  return out;
}

// Parses `data` whole, and checks that every shorter prefix asks for more.
Result parse_all(const std::vector<uint8_t>& data, Header* header, std::string* error) {
  for (size_t cut = 0; cut < data.size(); ++cut) {
    Header partial;
    std::string why;
    const Result result = parse({data.data(), cut}, &partial, &why);
    if (result != Result::kNeedMore) {
      *error = "a prefix of " + std::to_string(cut) + " bytes: " + why;
      return result;
    }
  }
  return parse(data, header, error);
}

TEST(ProxyProtocol, Version1CarriesTheClientsAddress) {
  Header header;
  std::string error;
  std::vector<uint8_t> data = bytes("PROXY TCP4 203.0.113.7 10.0.0.2 51234 443\r\n");
  const size_t size = data.size();
  ASSERT_EQ(parse_all(data, &header, &error), Result::kComplete) << error;
  data.insert(data.end(), {'G', 'E', 'T'});  // what follows is the connection's own
  ASSERT_EQ(parse(data, &header, &error), Result::kComplete);
  EXPECT_EQ(header.size, size);
  EXPECT_TRUE(header.has_address);
  EXPECT_EQ(header.source_host, "203.0.113.7");
  EXPECT_EQ(header.source_port, 51234);
  EXPECT_EQ(header.destination_host, "10.0.0.2");
  EXPECT_EQ(header.destination_port, 443);

  ASSERT_EQ(parse_all(bytes("PROXY TCP6 2001:db8::1 ::1 0 65535\r\n"), &header, &error),
            Result::kComplete)
      << error;
  EXPECT_EQ(header.source_host, "2001:db8::1");
  EXPECT_EQ(header.destination_host, "::1");
  EXPECT_EQ(header.destination_port, 65535);
  ASSERT_EQ(
      parse_all(bytes("PROXY TCP6 ::ffff:192.0.2.1 1:2:3:4:5:6:7:8 1 2\r\n"), &header, &error),
      Result::kComplete)
      << error;

  ASSERT_EQ(parse_all(bytes("PROXY UNKNOWN\r\n"), &header, &error), Result::kComplete);
  EXPECT_FALSE(header.has_address) << "the connection's own address stands";
  ASSERT_EQ(parse_all(bytes("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), &header, &error),
            Result::kComplete);
  EXPECT_FALSE(header.has_address);
}

TEST(ProxyProtocol, BrokenVersion1HeadersAreRefused) {
  const std::vector<std::string> broken = {
      "PROXY TCP4 203.0.113.7 10.0.0.2 51234\r\n",      // a field missing
      "PROXY TCP4 203.0.113.7 10.0.0.2 1 2 3\r\n",      // one too many
      "PROXY TCP4 256.0.113.7 10.0.0.2 1 2\r\n",        // not an IPv4 address
      "PROXY TCP4 203.0.113 10.0.0.2 1 2\r\n",          // three parts
      "PROXY TCP4 203.0.113.07 10.0.0.2 1 2\r\n",       // a leading zero
      "PROXY TCP4 2001:db8::1 10.0.0.2 1 2\r\n",        // IPv6 for TCP4
      "PROXY TCP6 2001:db8:::1 ::1 1 2\r\n",            // ":::"
      "PROXY TCP6 1::2::3 ::1 1 2\r\n",                 // two gaps
      "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",       // nine groups
      "PROXY TCP6 12345::1 ::1 1 2\r\n",                // a group of five digits
      "PROXY TCP4 203.0.113.7 10.0.0.2 65536 443\r\n",  // a port too big
      "PROXY TCP4 203.0.113.7 10.0.0.2 0443 443\r\n",   // a leading zero
      "PROXY TCP4 203.0.113.7 10.0.0.2 -1 443\r\n",     // not a number
      "PROXY TCP5 203.0.113.7 10.0.0.2 1 2\r\n",        // an unknown family
      "PROXY TCP4  203.0.113.7 10.0.0.2 1 2\r\n",       // two spaces
      "PROXY \r\n",                                     // nothing
      "proxy TCP4 203.0.113.7 10.0.0.2 1 2\r\n",        // lower case
      "GET / HTTP/1.1\r\n",                             // no header at all
  };
  for (const std::string& text : broken) {
    Header header;
    std::string error;
    EXPECT_EQ(parse(bytes(text), &header, &error), Result::kInvalid) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
  // No line end within the 107 bytes version 1 allows: refused without waiting for more.
  Header header;
  std::string error;
  EXPECT_EQ(parse(bytes("PROXY UNKNOWN " + std::string(93, 'x')), &header, &error),
            Result::kInvalid);
  EXPECT_EQ(parse(bytes("PROXY UNKNOWN " + std::string(92, 'x')), &header, &error),
            Result::kNeedMore);
  EXPECT_EQ(parse(bytes("G"), &header, &error), Result::kInvalid) << "known from the first byte";
}

TEST(ProxyProtocol, Version2CarriesTheClientsAddressAndSkipsItsExtensions) {
  Header header;
  std::string error;
  const std::vector<uint8_t> ipv4 =
      v2(0x21, 0x11, {203, 0, 113, 7, 10, 0, 0, 2, 0xC8, 0x22, 1, 0xBB});
  ASSERT_EQ(parse_all(ipv4, &header, &error), Result::kComplete) << error;
  EXPECT_EQ(header.size, 28u);
  EXPECT_TRUE(header.has_address);
  EXPECT_EQ(header.source_host, "203.0.113.7");
  EXPECT_EQ(header.source_port, 0xC822);
  EXPECT_EQ(header.destination_host, "10.0.0.2");
  EXPECT_EQ(header.destination_port, 443);

  std::vector<uint8_t> block(36, 0);
  block[0] = 0x20, block[1] = 0x01, block[2] = 0x0d, block[3] = 0xb8, block[15] = 1;  // 2001:db8::1
  block[31] = 1;                                                                      // ::1
  block[32] = 0x30, block[33] = 0x39;                                                 // 12345
  block.insert(block.end(), {0x04, 0x00, 0x03, 'a', 'b', 'c'});  // a TLV, skipped
  ASSERT_EQ(parse_all(v2(0x21, 0x21, block), &header, &error), Result::kComplete) << error;
  EXPECT_EQ(header.size, 16u + 42u);
  EXPECT_EQ(header.source_host, "2001:db8::1");
  EXPECT_EQ(header.destination_host, "::1");
  EXPECT_EQ(header.source_port, 12345);

  // The balancer's own health check (LOCAL), and families without an address to take.
  ASSERT_EQ(parse_all(v2(0x20, 0x00, {}), &header, &error), Result::kComplete);
  EXPECT_FALSE(header.has_address);
  ASSERT_EQ(parse_all(v2(0x21, 0x31, std::vector<uint8_t>(216, 0)), &header, &error),
            Result::kComplete);
  EXPECT_FALSE(header.has_address) << "a UNIX socket";
  ASSERT_EQ(parse_all(v2(0x21, 0x12, std::vector<uint8_t>(12, 0)), &header, &error),
            Result::kComplete);
  EXPECT_FALSE(header.has_address) << "UDP";
}

TEST(ProxyProtocol, BrokenOrOversizedVersion2HeadersAreRefused) {
  Header header;
  std::string error;
  EXPECT_EQ(parse(v2(0x11, 0x11, std::vector<uint8_t>(12, 0)), &header, &error), Result::kInvalid)
      << "version 1 in a version 2 header";
  EXPECT_EQ(parse(v2(0x22, 0x11, std::vector<uint8_t>(12, 0)), &header, &error), Result::kInvalid)
      << "an unknown command";
  EXPECT_EQ(parse(v2(0x21, 0x11, std::vector<uint8_t>(11, 0)), &header, &error), Result::kInvalid)
      << "IPv4 addresses cut short";
  EXPECT_EQ(parse(v2(0x21, 0x21, std::vector<uint8_t>(35, 0)), &header, &error), Result::kInvalid)
      << "IPv6 addresses cut short";
  // Oversized: refused from its 16 bytes of preamble, before the rest is waited for.
  std::vector<uint8_t> huge = v2(0x21, 0x11, std::vector<uint8_t>(kMaxHeaderSize - 16 + 1, 0));
  EXPECT_EQ(parse({huge.data(), 16}, &header, &error), Result::kInvalid);
  EXPECT_NE(error.find("over the limit"), std::string::npos) << error;
  std::vector<uint8_t> largest = v2(0x21, 0x11, std::vector<uint8_t>(kMaxHeaderSize - 16, 0));
  EXPECT_EQ(parse(largest, &header, &error), Result::kComplete);
  std::vector<uint8_t> wrong = v2(0x21, 0x11, std::vector<uint8_t>(12, 0));
  wrong[7] = 0x52;  // the signature's "QUIT" misspelt
  EXPECT_EQ(parse(wrong, &header, &error), Result::kInvalid);
}

TEST(ProxyProtocol, IPv6AddressesAreShownInTheirShortestForm) {
  const auto shown = [](std::vector<uint8_t> address) {
    std::vector<uint8_t> block = address;
    block.resize(36, 0);
    Header header;
    std::string error;
    parse(v2(0x21, 0x21, block), &header, &error);
    return header.source_host;
  };
  EXPECT_EQ(shown(std::vector<uint8_t>(16, 0)), "::");
  EXPECT_EQ(shown({0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}), "1:0:0:1::1")
      << "the longest run of zeros";
  EXPECT_EQ(shown({0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}), "1:0:1:1:1:1:1:1")
      << "a single zero group stays";
  EXPECT_EQ(shown({0xAB, 0xCD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), "abcd::");
  EXPECT_EQ(shown({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}), "::ffff:c000:201");
}

}  // namespace
}  // namespace wsp::proxy_protocol
