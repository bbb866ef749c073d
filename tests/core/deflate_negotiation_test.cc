// Negotiating permessage-deflate (RFC 7692 §7.1) and parsing Sec-WebSocket-Extensions.
#include "wspeer/core/deflate_negotiation.h"

#include <gtest/gtest.h>

#include "wspeer/core/extension_header.h"

namespace wsp {
namespace {

TEST(ExtensionHeader, ParsesNamesParametersAndQuotedValues) {
  const auto list = parse_extension_list(
      "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\" , x-other");
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "permessage-deflate");
  ASSERT_EQ((*list)[0].params.size(), 2u);
  EXPECT_FALSE((*list)[0].params[0].value.has_value());
  EXPECT_EQ((*list)[0].params[1].value, "10");
  EXPECT_EQ((*list)[1].name, "x-other");
  EXPECT_TRUE(parse_extension_list("")->empty());
}

TEST(ExtensionHeader, RefusesWhatBreaksTheGrammar) {
  for (const char* bad : {"permessage-deflate;", ", permessage-deflate", "a,,b", "a; b=", "a; =1",
                          "a; b=\"1", "a; b=\"1 2\"", "a b", "a; b=1 c"}) {
    EXPECT_FALSE(parse_extension_list(bad).has_value()) << bad;
  }
}

TEST(DeflateNegotiation, ClientOfferNamesWhatItAsks) {
  EXPECT_EQ(deflate_offer(DeflateOptions::on()), "permessage-deflate; client_max_window_bits");
  DeflateOptions options = DeflateOptions::on();
  options.server_no_context_takeover = true;
  options.client_no_context_takeover = true;
  options.server_max_window_bits = 10;
  options.client_max_window_bits = 12;
  EXPECT_EQ(deflate_offer(options),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=12");
}

TEST(DeflateNegotiation, RoleDefaultsOfferAsClientAndDeclineAsServer) {
  const DeflateOptions defaults;
  EXPECT_TRUE(deflate_enabled(defaults, /*is_server=*/false));
  EXPECT_FALSE(deflate_enabled(defaults, /*is_server=*/true));
  EXPECT_TRUE(deflate_enabled(DeflateOptions::on(), true));
  EXPECT_FALSE(deflate_enabled(DeflateOptions::off(), false));
}

TEST(DeflateNegotiation, ServerAcceptsEveryKindOfValidOffer) {
  struct Case {
    const char* offer;
    const char* response;
  };
  const Case cases[] = {
      {"permessage-deflate", "permessage-deflate"},
      {"permessage-deflate; client_max_window_bits", "permessage-deflate"},
      {"permessage-deflate; server_max_window_bits=9",
       "permessage-deflate; server_max_window_bits=9"},
      {"permessage-deflate; server_max_window_bits=15",
       "permessage-deflate; server_max_window_bits=15"},
      {"permessage-deflate; client_max_window_bits=8",
       "permessage-deflate; client_max_window_bits=8"},
      {"permessage-deflate; server_no_context_takeover",
       "permessage-deflate; server_no_context_takeover"},
      {"permessage-deflate; client_no_context_takeover",
       "permessage-deflate; client_no_context_takeover"},
      // The first acceptable offer wins; unknown extensions and invalid offers are skipped.
      {"x-foo, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=12",
       "permessage-deflate; server_max_window_bits=12"},
  };
  for (const Case& c : cases) {
    const auto choice = choose_deflate_offer(DeflateOptions::on(), std::string(c.offer));
    ASSERT_TRUE(choice.has_value()) << c.offer;
    EXPECT_EQ(choice->response, c.response) << c.offer;
  }
}

TEST(DeflateNegotiation, ServerLimitsWithinItsOptions) {
  DeflateOptions options = DeflateOptions::on();
  options.server_max_window_bits = 10;
  options.client_max_window_bits = 11;
  options.server_no_context_takeover = true;
  const auto choice = choose_deflate_offer(
      options,
      std::string("permessage-deflate; client_max_window_bits; server_max_window_bits=12"));
  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->agreement.server_max_window_bits, 10);
  EXPECT_EQ(choice->agreement.client_max_window_bits, 11);
  EXPECT_TRUE(choice->agreement.server_no_context_takeover);
  EXPECT_EQ(choice->response,
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
            "client_max_window_bits=11");
  // A client that cannot be limited is declined when the server needs a smaller client window.
  EXPECT_FALSE(choose_deflate_offer(options, std::string("permessage-deflate")).has_value());
}

TEST(DeflateNegotiation, ServerDeclinesInvalidOffers) {
  for (const char* offer :
       {"permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits",
        "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=0", "permessage-deflate; unknown=1",
        "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate;;"}) {
    EXPECT_FALSE(choose_deflate_offer(DeflateOptions::on(), std::string(offer)).has_value())
        << offer;
  }
  EXPECT_FALSE(choose_deflate_offer(DeflateOptions::on(), std::nullopt).has_value());
}

TEST(DeflateNegotiation, ClientAcceptsValidResponses) {
  DeflateOptions options = DeflateOptions::on();
  auto result = check_deflate_response(options, std::nullopt);
  EXPECT_TRUE(result.ok);
  EXPECT_FALSE(result.agreement.has_value());
  result = check_deflate_response(
      options,
      std::string("permessage-deflate; client_max_window_bits=9; server_no_context_takeover"));
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_TRUE(result.agreement.has_value());
  EXPECT_EQ(result.agreement->client_max_window_bits, 9);
  EXPECT_TRUE(result.agreement->server_no_context_takeover);
  EXPECT_EQ(deflate_agreement_text(*result.agreement),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=9");
}

TEST(DeflateNegotiation, ClientFailsResponsesItDidNotAskFor) {
  DeflateOptions options = DeflateOptions::on();
  options.server_max_window_bits = 10;
  options.server_no_context_takeover = true;
  const char* granted = "permessage-deflate; server_no_context_takeover; server_max_window_bits=10";
  EXPECT_TRUE(check_deflate_response(options, std::string(granted)).ok);
  for (const char* bad :
       {"x-unknown", "permessage-deflate, permessage-deflate",
        "permessage-deflate; server_max_window_bits=10",   // takeover ignored
        "permessage-deflate; server_no_context_takeover",  // window not limited
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",  // larger
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; x=1",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
        "client_max_window_bits",  // a response must give the value
        "permessage-deflate; ; "}) {
    const auto result = check_deflate_response(options, std::string(bad));
    EXPECT_FALSE(result.ok) << bad;
    EXPECT_FALSE(result.error.empty()) << bad;
  }
}

}  // namespace
}  // namespace wsp
