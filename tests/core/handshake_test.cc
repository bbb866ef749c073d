#include "wspeer/core/handshake.h"

#include <gtest/gtest.h>

#include "wspeer/core/base64.h"
#include "wspeer/core/sha1.h"

namespace wsp {
namespace {

TEST(Handshake, Rfc6455SectionOneThreeAcceptKey) {
  EXPECT_EQ(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Sha1, KnownDigests) {
  auto hex = [](const std::array<uint8_t, 20>& d) {
    std::string s;
    const char* digits = "0123456789abcdef";
    for (uint8_t b : d) {
      s += digits[b >> 4];
      s += digits[b & 15];
    }
    return s;
  };
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(std::string(1000000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Base64, RoundTripAndRejection) {
  for (size_t n = 0; n < 40; ++n) {
    std::vector<uint8_t> data(n);
    for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>(i * 37 + 11);
    auto decoded = base64_decode(base64_encode(data.data(), data.size()));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, data);
  }
  EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("foobar"), 6), "Zm9vYmFy");
  EXPECT_FALSE(base64_decode("abc"));
  EXPECT_FALSE(base64_decode("ab=c"));
  EXPECT_FALSE(base64_decode("a*cd"));
  EXPECT_FALSE(base64_decode("QR=="));  // non-zero padding bits
}

TEST(Handshake, ClientRequestHasEveryRequiredField) {
  WsUrl url;
  std::string error;
  ASSERT_EQ(parse_ws_url("ws://[::1]:9000/chat?x=1", &url, &error), OK);
  const std::string request =
      build_client_request(url, "dGhlIHNhbXBsZSBub25jZQ==", {"chat", "superchat"}, {"X-Token: 1"});
  EXPECT_EQ(request.rfind("GET /chat?x=1 HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(request.find("\r\nHost: [::1]:9000\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nUpgrade: websocket\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nConnection: Upgrade\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nSec-WebSocket-Protocol: chat, superchat\r\n"), std::string::npos);
  EXPECT_NE(request.find("\r\nX-Token: 1\r\n"), std::string::npos);
  EXPECT_EQ(request.substr(request.size() - 4), "\r\n\r\n");
}

TEST(Handshake, ClientRequestMapsCredentialsToBasicAuth) {
  WsUrl url;
  std::string error;
  ASSERT_EQ(parse_ws_url("ws://Aladdin:open%20sesame@host/", &url, &error), OK);
  const std::string request = build_client_request(url, "k", {}, {});
  EXPECT_NE(request.find("Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), std::string::npos);
  EXPECT_NE(request.find("Host: host\r\n"), std::string::npos);
}

const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";

TEST(Handshake, AcceptsRealWorldResponses) {
  // Token lists, mixed case, odd reason phrases, extra and empty headers, bare LF.
  const std::string responses[] = {
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      "HTTP/1.1 101 Web Socket Protocol Handshake\r\nupgrade: WebSocket\r\n"
      "connection: keep-alive, Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
      "X-Empty:\r\nServer: nginx\r\n\r\n",
      "HTTP/1.1 101 \r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
      "Sec-WebSocket-Accept:s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      "HTTP/1.1 101 OK\nUpgrade: websocket\nConnection: Upgrade\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\n\n",
  };
  for (const std::string& response : responses) {
    const ClientHandshakeResult result = check_server_response(response, kKey, {});
    EXPECT_TRUE(result.ok) << result.error << "\n" << response;
    EXPECT_EQ(result.status, 101);
  }
}

TEST(Handshake, RejectsBadResponsesWithAReason) {
  struct Bad {
    std::string response;
    std::string expect_in_error;
    int status;
  };
  const std::string ok_tail = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
  const Bad bad[] = {
      {"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", "HTTP 403 Forbidden", 403},
      {"HTTP/1.1 200 OK\r\n\r\n", "HTTP 200", 200},
      {"HTTP/1.1 101 Switching\r\nConnection: Upgrade\r\n" + ok_tail, "Upgrade", 101},
      {"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n" + ok_tail, "Connection", 101},
      {"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Accept: wrong=\r\n\r\n",
       "Sec-WebSocket-Accept", 101},
      {"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Protocol: chat\r\n" +
           ok_tail,
       "sub-protocol", 101},
      {"HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Extensions: permessage-deflate\r\n" +
           ok_tail,
       "extension", 101},
      {"HTTX/1.1 101\r\n\r\n", "status line", 0},
      {"HTTP/1.1 1O1 Switching\r\n\r\n", "status line", 0},
      {"HTTP/1.1 101 Switching\r\nBad Header\r\n\r\n", "without ':'", 0},
      {"HTTP/1.1 101 Switching\r\n folded\r\n\r\n", "folded", 0},
  };
  for (const Bad& b : bad) {
    const ClientHandshakeResult result = check_server_response(b.response, kKey, {});
    EXPECT_FALSE(result.ok) << b.response;
    EXPECT_NE(result.error.find(b.expect_in_error), std::string::npos)
        << result.error << " / expected " << b.expect_in_error;
    EXPECT_EQ(result.status, b.status);
  }
}

TEST(Handshake, ClientSubprotocolSelection) {
  const std::string base =
      "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  auto chosen = check_server_response(base + "Sec-WebSocket-Protocol: b\r\n\r\n", kKey, {"a", "b"});
  EXPECT_TRUE(chosen.ok);
  EXPECT_EQ(chosen.selected_protocol, "b");
  auto none = check_server_response(base + "\r\n", kKey, {"a", "b"});
  EXPECT_TRUE(none.ok) << "a server may decline every offered protocol";
  EXPECT_EQ(none.selected_protocol, "");
  auto other = check_server_response(base + "Sec-WebSocket-Protocol: c\r\n\r\n", kKey, {"a"});
  EXPECT_FALSE(other.ok);
}

std::string request_with(const std::string& extra, const std::string& line = "GET /chat HTTP/1.1") {
  return line +
         "\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         extra + "\r\n";
}

TEST(Handshake, ServerAcceptsRfcExampleRequest) {
  const auto result = answer_client_request(
      request_with("Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"),
      {"superchat", "chat"}, {"X-Server: wspeer"});
  ASSERT_EQ(result.status, 101) << result.error;
  EXPECT_EQ(result.selected_protocol, "chat") << "client order wins";
  EXPECT_EQ(result.path, "/chat");
  EXPECT_EQ(result.host, "server.example.com");
  EXPECT_NE(result.response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
            std::string::npos);
  EXPECT_NE(result.response.find("Sec-WebSocket-Protocol: chat\r\n"), std::string::npos);
  EXPECT_NE(result.response.find("X-Server: wspeer\r\n"), std::string::npos);
  EXPECT_EQ(*find_header(result.headers, "origin"), "http://example.com");
}

TEST(Handshake, ServerAcceptsWithoutProtocolWhenNoneMatches) {
  auto offered_unknown =
      answer_client_request(request_with("Sec-WebSocket-Protocol: x, y\r\n"), {}, {});
  EXPECT_EQ(offered_unknown.status, 101);
  EXPECT_EQ(offered_unknown.selected_protocol, "");
  EXPECT_EQ(offered_unknown.response.find("Sec-WebSocket-Protocol"), std::string::npos);
  auto repeated = answer_client_request(
      request_with("Sec-WebSocket-Protocol: x\r\nSec-WebSocket-Protocol: y\r\n"), {"y"}, {});
  EXPECT_EQ(repeated.selected_protocol, "y");
}

TEST(Handshake, ServerRefusesMalformedRequestsWithHttpErrors) {
  struct Bad {
    std::string request;
    int status;
  };
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  const Bad bad[] = {
      {"GET /\r\nHost: h\r\n\r\n", 400},  // two-token request line (crashed Godot)
      {"GET\r\n\r\n", 400},
      {request_with("", "POST /chat HTTP/1.1"), 400},
      {request_with("", "GET /chat HTTP/1.0"), 400},
      {request_with("", "GET chat HTTP/1.1"), 400},
      {"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       400},  // no Host
      {"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       426},  // plain HTTP request: upgrade required
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       400},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 8\r\n\r\n",
       426},
      {"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
       400},
  };
  for (const Bad& b : bad) {
    const auto result = answer_client_request(b.request, {}, {});
    EXPECT_EQ(result.status, b.status) << b.request;
    EXPECT_FALSE(result.error.empty());
    const std::string status_line = "HTTP/1.1 " + std::to_string(b.status) + " ";
    EXPECT_EQ(result.response.rfind(status_line, 0), 0u) << result.response;
    if (b.status == 426) {
      EXPECT_NE(result.response.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
    }
  }
}

// RFC 9112 §3.2 and §2.2: the requests a strict server must refuse, and the leniency it may keep.
TEST(Handshake, ServerRefusesAmbiguousHostsAndControlCharacters) {
  const std::string nul(1, '\0');
  const std::string refused[] = {
      request_with("Host: other.example\r\n"),             // a second Host line
      request_with("host: server.example.com\r\n"),        // the same, any case
      request_with("", "GET /chat" + nul + "x HTTP/1.1"),  // NUL in the target
      request_with("", "GET /chat\tx HTTP/1.1"),           // tab in the target
      request_with("", "GET /chat\x7F HTTP/1.1"),          // DEL in the target
      request_with("", "GET /ch\x01at HTTP/1.1"),          // another control character
      request_with("X-Value: a" + nul + "b\r\n"),          // NUL in a header value
      request_with("X-Value: a\x7F\r\n"),                  // DEL in a header value
      request_with("X-Value: a\rb\r\n"),                   // a bare CR inside a value
      "GET / HTTP/1.1\r\nHost: user@evil.example\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",  // user information in Host
      "GET / HTTP/1.1\r\nHost: a b\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n",  // a space inside Host
  };
  EXPECT_EQ(answer_client_request(refused[1], {}, {}).error, "More than one Host header.");
  for (const std::string& request : refused) {
    const auto result = answer_client_request(request, {}, {});
    EXPECT_EQ(result.status, 400) << testing::PrintToString(request);
    EXPECT_EQ(result.response.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  }
  // Still accepted: a tab inside a value, bare LF line ends, IPv6 and port in Host, an empty
  // value, any header order.
  const std::string lenient[] = {
      request_with("X-Value: a\tb\r\nX-Empty:\r\n"),
      "GET / HTTP/1.1\nHost: [::1]:8080\nUpgrade: websocket\nConnection: Upgrade\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n",
      "GET /?q=%20a HTTP/1.1\r\nSec-WebSocket-Version: 13\r\nConnection: keep-alive, Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nUpgrade: WebSocket\r\nHost: "
      "h.example\r\n\r\n",
  };
  for (const std::string& request : lenient) {
    const auto result = answer_client_request(request, {}, {});
    EXPECT_EQ(result.status, 101) << testing::PrintToString(request) << " " << result.error;
  }
}

TEST(Handshake, ServerPiecesForTheApplicationsDecision) {
  const HttpHeaders headers = {{"Sec-WebSocket-Protocol", "a, b"}, {"sec-websocket-protocol", "c"}};
  EXPECT_EQ(offered_protocols(headers), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(offered_protocols({}), std::vector<std::string>{});
  EXPECT_EQ(choose_protocol({"a", "b", "c"}, {"c", "b"}), "b") << "the client's order wins";
  EXPECT_EQ(choose_protocol({"a"}, {"b"}), "");
  EXPECT_EQ(build_switching_response("K=", "", {"Set-Cookie: x=1"}),
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: K=\r\nSet-Cookie: x=1\r\n\r\n");
  EXPECT_NE(build_switching_response("K=", "chat", {}).find("\r\nSec-WebSocket-Protocol: chat\r\n"),
            std::string::npos);
  const std::string typed =
      build_http_error_response(403, "{}", {"content-type: application/json", "X-A: 1"});
  EXPECT_EQ(typed,
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\n"
            "content-type: application/json\r\nX-A: 1\r\n\r\n{}");
  EXPECT_EQ(
      build_http_error_response(503, "").rfind(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n", 0),
      0u);
}

TEST(Handshake, ExtraHeaderValidationBlocksInjection) {
  std::string error;
  EXPECT_TRUE(validate_extra_header("Authorization: Bearer x", &error));
  EXPECT_TRUE(validate_extra_header("X-Empty:", &error));
  EXPECT_FALSE(validate_extra_header("X-A: 1\r\nX-B: 2", &error));
  EXPECT_FALSE(validate_extra_header("NoColon", &error));
  EXPECT_FALSE(validate_extra_header("Bad Name: v", &error));
  EXPECT_FALSE(validate_extra_header("host: evil", &error));
  EXPECT_FALSE(validate_extra_header("Sec-WebSocket-Key: x", &error));
}

TEST(HttpHeadReader, StopsExactlyAtTheEndOfTheHeadAndEnforcesTheLimit) {
  const std::string head = "HTTP/1.1 101 X\r\nA: b\r\n\r\n";
  const std::string wire = head + "\x81\x02hi";
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    HttpHeadReader reader(1024);
    size_t used = reader.feed(reinterpret_cast<const uint8_t*>(wire.data()), cut);
    if (!reader.complete()) {
      used += reader.feed(reinterpret_cast<const uint8_t*>(wire.data()) + used, wire.size() - used);
    }
    ASSERT_TRUE(reader.complete()) << cut;
    EXPECT_EQ(used, head.size()) << cut;
    EXPECT_EQ(reader.head(), head);
  }
  HttpHeadReader small(16);
  const std::string big = "GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaaaaaa\r\n\r\n";
  small.feed(reinterpret_cast<const uint8_t*>(big.data()), big.size());
  EXPECT_TRUE(small.too_large());
  EXPECT_FALSE(small.complete());
  EXPECT_LE(small.head().size(), 16u);
}

}  // namespace
}  // namespace wsp
