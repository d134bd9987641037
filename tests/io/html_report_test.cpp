// The visual report: every section present, its figures equal the summary's, its size does not
// grow with the customers, hostile text is escaped, missing values read as "—".
#include <rapport/io/generate.hpp>
#include <rapport/io/html_report.hpp>

#include "report/html_svg.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
// g++ 12 at -O1 with the sanitizers reports a false "maybe uninitialized" inside <regex>'s own
// automaton (libstdc++'s std::function move); the warning is about the library, not this file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#include <set>
#include <string>
#include <vector>

using namespace rapport;
using nlohmann::json;

namespace {

struct ScoredBase {
  CustomerBase base;
  LoadReport report;
  ScoreResult result;
  ScoringConfig config;
};

ScoredBase generated(std::size_t customers, std::uint64_t seed = 7) {
  GenerateOptions g;
  g.customers = customers;
  g.seed = seed;
  ScoredBase r{generate_base(g), {}, {}, {}};
  r.result = score(r.base, std::nullopt, r.config);
  return r;
}

std::string page_of(const ScoredBase& r, const HtmlReportOptions& o = {}) {
  return html_report(r.base, r.report, r.result, r.config, o);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + what.size())) ++n;
  return n;
}

/// The SVG whose data-chart is `id` (from its tag to its </svg>).
std::string chart(const std::string& page, const std::string& id) {
  const auto at = page.find("data-chart=\"" + id + "\"");
  if (at == std::string::npos) return {};
  return page.substr(at, page.find("</svg>", at) - at);
}

std::string unescape_pointer(std::string p) {  // HTML attribute -> JSON pointer text
  for (const auto& [from, to] :
       {std::pair{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}})
    for (auto k = p.find(from); k != std::string::npos; k = p.find(from, k + 1))
      p.replace(k, std::string(from).size(), to);
  return p;
}

ScoringConfig fixed_params() {
  ScoringConfig c;
  c.bgnbd = BgNbdParams{0.5, 30.0, 0.8, 2.5, 0.0};
  c.gamma_gamma = GammaGammaParams{6.0, 4.0, 15.0, 0.0};
  return c;
}

}  // namespace

TEST(HtmlReport, EverySectionAndChartIsPresent) {
  const auto r = generated(1500);
  const auto page = page_of(r);
  for (const char* section : {"loyalty", "same-service", "critical-wheel", "value", "upserve", "referrals"})
    EXPECT_NE(page.find(std::string("<section id=\"") + section + "\""), std::string::npos) << section;
  for (const char* id : {"loyalty-histogram", "loyalty-per-segment", "loyalty-components", "loyalty-by-value-decile",
                         "critical-wheel", "p-alive-histogram", "expected-value-histogram", "upserve-top",
                         "next-actions", "chain-depth", "referral-trees", "ask-now"})
    EXPECT_NE(page.find(std::string("data-chart=\"") + id + "\""), std::string::npos) << id;
  // every chart is labelled for assistive technology
  EXPECT_EQ(occurrences(page, "<svg "), occurrences(page, "role=\"img\" aria-labelledby="));
  EXPECT_EQ(occurrences(page, "<svg "), occurrences(page, "<desc id="));
  // self-contained: nothing fetched, one small inline script
  EXPECT_EQ(page.find("http://", page.find("<body")), page.find("http://www.w3.org/2000/svg", page.find("<body")));
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(occurrences(page, "<script"), 1u);
  EXPECT_EQ(page.find(" src="), std::string::npos);
}

TEST(HtmlReport, FiguresEqualTheSummary) {
  const auto r = generated(1500);
  const auto page = page_of(r);
  const json summary = json::parse(summary_json(r.base, r.report, r.result, r.config));
  const std::regex fig(R"re(data-metric="([^"]*)" data-value="([^"]*)">([^<]*)<)re");
  std::size_t checked = 0;
  for (std::sregex_iterator it(page.begin(), page.end(), fig), end; it != end; ++it) {
    const auto pointer = unescape_pointer((*it)[1].str());
    const auto value = (*it)[2].str();
    ASSERT_TRUE(summary.contains(json::json_pointer(pointer))) << pointer;
    const json& expected = summary.at(json::json_pointer(pointer));
    if (value.empty()) {
      EXPECT_TRUE(expected.is_null()) << pointer;
    } else {
      ASSERT_TRUE(expected.is_number()) << pointer;
      EXPECT_EQ(std::strtod(value.c_str(), nullptr), expected.get<double>()) << pointer;
    }
    ++checked;
  }
  EXPECT_GE(checked, 60u);  // KPIs, distributions, deciles, wheel, actions, value, params, referrals
  // the text shown is the value formatted for people
  EXPECT_NE(page.find("data-metric=\"/customers_scored\" data-value=\"1500\">1,500<"), std::string::npos);
  const double k = summary["referrals"]["k_factor"].get<double>();
  EXPECT_NE(page.find(">" + detail::html::fixed(k, 3) + "<"), std::string::npos);
  EXPECT_NE(page.find("data-metric=\"/as_of\">" + summary["as_of"].get<std::string>() + "<"), std::string::npos);
}

TEST(HtmlReport, HistogramsCountEveryCustomerOnce) {
  const auto r = generated(1500);
  const auto page = page_of(r);
  const std::regex tip(R"(: ([0-9,]+) customers</title>)");
  for (const char* id : {"loyalty-histogram", "expected-value-histogram"}) {
    const auto svg = chart(page, id);
    std::size_t sum = 0;
    for (std::sregex_iterator it(svg.begin(), svg.end(), tip), end; it != end; ++it) {
      auto digits = (*it)[1].str();
      std::erase(digits, ',');
      sum += std::stoul(digits);
    }
    EXPECT_EQ(sum, r.result.scores.size()) << id;
  }
}

TEST(HtmlReport, SizeDoesNotGrowWithTheCustomers) {
  const auto small = page_of(generated(2000, 3));
  const auto large = page_of(generated(40000, 3));
  const auto tags = [](const std::string& p) { return occurrences(p, "<"); };
  // aggregates and top-N lists only: at most the histograms' and trees' shapes differ
  EXPECT_LT(tags(large), tags(small) + 400);
  EXPECT_LT(large.size(), 200'000u);
  const std::regex id("C[0-9]{8}");
  std::set<std::string> ids;
  for (std::sregex_iterator it(large.begin(), large.end(), id), end; it != end; ++it) ids.insert(it->str());
  EXPECT_LE(ids.size(), 15u + 15u + 3u * 63u);  // top up-serve, ask now, three drawn trees
}

//  One customer with a hostile id and segment, one plain one; fixed model parameters.
//     "<script>alert(1)</script>"   segment "\"><img src=x onerror=alert(1)>\xff"   buys twice
//     "B"                            segment "a/b~c"                                   never buys
TEST(HtmlReport, HostileTextIsEscaped) {
  CustomerBaseBuilder b;
  const std::string evil = "<script>alert(1)</script>";
  const day_t d0 = *parse_date("2024-01-01");
  ASSERT_EQ(b.add_customer(evil, d0, "\"><img src=x onerror=alert(1)>\xff"), "");
  ASSERT_EQ(b.add_customer("B", d0, "a/b~c"), "");
  ASSERT_EQ(b.add_purchase(evil, *parse_timestamp("2024-02-01"), 100), "");
  ASSERT_EQ(b.add_purchase(evil, *parse_timestamp("2024-03-01"), 50), "");
  ScoredBase r{b.finish(), {}, {}, fixed_params()};
  r.result = score(r.base, *parse_date("2024-06-30"), r.config);
  HtmlReportOptions o;
  o.title = "Q2 <b>report</b> & co";
  o.currency = "<€>";
  const auto page = page_of(r, o);
  EXPECT_EQ(page.find(evil), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);  // in the up-serve list
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
  EXPECT_NE(page.find("Q2 &lt;b&gt;report&lt;/b&gt; &amp; co"), std::string::npos);
  EXPECT_EQ(page.find("<€>"), std::string::npos);
  EXPECT_EQ(page.find('\xff'), std::string::npos);
  EXPECT_EQ(occurrences(page, "<script"), 1u);
  // the segment's JSON pointer escapes '/' and '~' and still resolves in the summary
  EXPECT_NE(page.find("data-metric=\"/loyalty_given/per_segment/a~1b~0c/mean\""), std::string::npos);
}

TEST(HtmlReport, MissingValuesReadAsDashes) {
  // nobody has bought: no p_alive anywhere, no decile gap (one customer), parameters given
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("A", *parse_date("2024-01-01"), ""), "");
  ScoredBase r{b.finish(), {}, {}, fixed_params()};
  r.result = score(r.base, *parse_date("2024-06-30"), r.config);
  const auto page = page_of(r);
  EXPECT_NE(page.find("data-metric=\"/loyalty_given/top_decile_gap\" data-value=\"\">—<"), std::string::npos);
  EXPECT_NE(page.find("Too few customers to compare"), std::string::npos);
  EXPECT_NE(page.find("1 have no purchase yet"), std::string::npos);
  EXPECT_NE(page.find("<td>given</td>"), std::string::npos);
  EXPECT_EQ(page.find("/bgnbd/log_likelihood"), std::string::npos);
  EXPECT_NE(page.find("No customer has up-serve value at stake."), std::string::npos);
  EXPECT_NE(page.find("No referral tree has more than one person yet."), std::string::npos);
  EXPECT_EQ(page.find("nan"), std::string::npos);
}

TEST(HtmlReport, ValueModelsThatCannotBeFittedStillGiveAPage) {
  // two customers, no purchases, no parameters given: both models unavailable, so the summary
  // has no value deciles at all (this used to throw json out_of_range 'per_value_decile')
  CustomerBaseBuilder b;
  ASSERT_EQ(b.add_customer("A", *parse_date("2024-01-01"), ""), "");
  ASSERT_EQ(b.add_customer("B", *parse_date("2024-02-01"), ""), "");
  ScoredBase r{b.finish(), {}, {}, {}};
  r.result = score(r.base, *parse_date("2024-06-30"), r.config);
  ASSERT_FALSE(r.result.bgnbd_error.empty());
  const auto page = page_of(r);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  EXPECT_NE(page.find("data-metric=\"/loyalty_given/top_decile_gap\" data-value=\"\">—<"), std::string::npos);
  EXPECT_EQ(page.find("nan"), std::string::npos);
}

TEST(HtmlReport, NumbersAreFormattedForPeople) {
  using namespace detail::html;
  EXPECT_EQ(fixed(1234567.891, 1), "1,234,567.9");
  EXPECT_EQ(fixed(-1234.25, 1), "−1,234.2");  // 1234.25 is exact: printf rounds half to even
  EXPECT_EQ(fixed(-0.01, 1), "0.0");
  EXPECT_EQ(fixed(std::nan(""), 1), "—");
  EXPECT_EQ(signed_fixed(4.23, 1), "+4.2");
  EXPECT_EQ(signed_fixed(-4.23, 1), "−4.2");
  EXPECT_EQ(count(1000000), "1,000,000");
  EXPECT_EQ(count(999), "999");
  EXPECT_EQ(percent(0.4134, 1), "41.3%");
  EXPECT_EQ(money(1234567.4, "€"), "€1,234,567");
  EXPECT_EQ(money(-2.5, "$"), "−$2.50");
  EXPECT_EQ(short_money(2000, "$"), "$2k");
  EXPECT_EQ(short_money(1500000, ""), "1.5M");
  EXPECT_EQ(short_money(0.05, "€"), "€0.05");
  EXPECT_EQ(pointer_token("a/b~c"), "a~1b~0c");
  EXPECT_EQ(escape("a<b>&\"'\t\x01\xC3\xA9\xE2\x82"),
            "a&lt;b&gt;&amp;&quot;&#39;\t\xEF\xBF\xBD\xC3\xA9\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a UTF-16 surrogate is not UTF-8
}

//  R (not a customer) referred c01..c14 (2024-02-01, acquired 2024-03-01); c01 referred g1
//  (2024-03-15, acquired 2024-04-01). Drawn: R, its first 12 children, g1 under c01 = 14 people;
//  c13, c14 left out ("+2" beside R; "16 people, 2 not drawn").
//
//                 R
//    ┌──┬──┬─ … ─┬───┐  (+2)
//   c01 c02 …   c12
//    │
//   g1
TEST(HtmlReport, ReferralTreeDrawsTwelveChildrenPerPerson) {
  CustomerBaseBuilder b;
  std::vector<std::string> kids;
  for (int k = 1; k <= 14; ++k) kids.push_back((k < 10 ? "c0" : "c") + std::to_string(k));
  for (const auto& k : kids) ASSERT_EQ(b.add_customer(k, *parse_date("2024-03-01"), ""), "");
  ASSERT_EQ(b.add_customer("g1", *parse_date("2024-04-01"), ""), "");
  for (const auto& k : kids) ASSERT_EQ(b.add_referral("R", k, *parse_timestamp("2024-02-01")), "");
  ASSERT_EQ(b.add_referral("c01", "g1", *parse_timestamp("2024-03-15")), "");
  ScoredBase r{b.finish(), {}, {}, fixed_params()};
  r.result = score(r.base, *parse_date("2024-06-30"), r.config);
  ASSERT_EQ(r.base.person(15), "R");
  const auto page = page_of(r);
  const auto svg = chart(page, "referral-tree-15");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(occurrences(svg, "<circle"), 14u);
  EXPECT_EQ(occurrences(svg, "class=\"edge\""), 13u);
  EXPECT_EQ(occurrences(svg, "class=\"node prospect\""), 1u);  // R
  EXPECT_NE(svg.find(">+2</text>"), std::string::npos);
  EXPECT_NE(svg.find("data-value=\"16\">16</tspan> people, 2 not drawn"), std::string::npos);
  EXPECT_NE(svg.find("<title>g1 (customer), referred 0</title>"), std::string::npos);
  EXPECT_EQ(svg.find("<title>c13 "), std::string::npos);
}

TEST(HtmlReport, HistoryPointOfASmallRun) {
  // three customers:      L    R    ask  upserve_value
  //   0                  10    0     1    NaN (no value evidence)
  //   1                  20   50     0    5
  //   2                  60  100     0    7
  // means: L 90/3 = 30, R 150/3 = 50, ask 1/3, up-serve total 5 + 7 = 12
  ScoreResult r;
  r.as_of = 20000;
  r.scores.customer = {0, 1, 2};
  r.scores.loyalty_given = {10, 20, 60};
  r.scores.referral_potential = {0, 50, 100};
  r.scores.ask_for_referral = {1, 0, 0};
  r.scores.upserve_value = {std::nan(""), 5, 7};
  const HistoryPoint p = history_point(r);
  EXPECT_EQ(p.as_of, 20000);
  EXPECT_EQ(p.customers_scored, 3u);
  EXPECT_DOUBLE_EQ(p.mean_loyalty_given, 30.0);
  EXPECT_DOUBLE_EQ(p.mean_referral_potential, 50.0);
  EXPECT_DOUBLE_EQ(p.share_ask_for_referral, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(p.total_upserve_value, 12.0);
  // without a value model every up-serve value is NaN: the total is unknown, not 0
  r.scores.upserve_value = {std::nan(""), std::nan(""), std::nan("")};
  EXPECT_TRUE(std::isnan(history_point(r).total_upserve_value));
  // a run with no customer has no means
  EXPECT_TRUE(std::isnan(history_point(ScoreResult{}).mean_loyalty_given));
}

TEST(HtmlReport, NoTrendsWithoutHistory) {
  const auto page = page_of(generated(300));
  EXPECT_EQ(page.find("<section id=\"trends\""), std::string::npos);
  EXPECT_EQ(page.find("data-chart=\"trends\""), std::string::npos);
  EXPECT_EQ(page.find("data-aggregate=\"trend/"), std::string::npos);
}

TEST(HtmlReport, TrendsPlotTheMeansOfSeparateRuns) {
  const auto r = generated(1500);
  const std::vector<day_t> dates{r.result.as_of - 365, r.result.as_of - 180, r.result.as_of};
  HtmlReportOptions o;
  o.history = history_points(dates, [&](day_t d) { return score(r.base, d, r.config); });
  const auto page = page_of(r, o);
  EXPECT_NE(page.find("<section id=\"trends\""), std::string::npos);
  const auto svg = chart(page, "trends");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(occurrences(svg, "<polyline "), 3u);  // loyalty, referral potential, ask share
  const auto shown = [&](const std::string& key) {
    const std::string attr = "data-aggregate=\"" + key + "\" data-value=\"";
    const auto at = page.find(attr);
    EXPECT_NE(at, std::string::npos) << key;
    return at == std::string::npos ? std::nan("") : std::strtod(page.c_str() + at + attr.size(), nullptr);
  };
  for (const day_t d : dates) {
    // the same means computed from a separate run at that date
    const ScoreResult run = score(r.base, d, r.config);
    double loyalty = 0, referral = 0, ask = 0;
    for (std::size_t k = 0; k < run.scores.size(); ++k) {
      loyalty += run.scores.loyalty_given[k];
      referral += run.scores.referral_potential[k];
      ask += run.scores.ask_for_referral[k];
    }
    const auto n = static_cast<double>(run.scores.size());
    ASSERT_GT(n, 0);
    const std::string key = "trend/" + format_date(d) + "/";
    EXPECT_EQ(shown(key + "customers_scored"), n);
    EXPECT_NEAR(shown(key + "mean_loyalty_given"), loyalty / n, 1e-9);
    EXPECT_NEAR(shown(key + "mean_referral_potential"), referral / n, 1e-9);
    EXPECT_NEAR(shown(key + "share_ask_for_referral"), ask / n, 1e-12);
    // the plotted point's tooltip carries the same mean
    EXPECT_NE(svg.find("loyalty given, " + format_date(d) + ": " + detail::html::fixed(loyalty / n, 1) + "</title>"),
              std::string::npos);
  }
  // earlier dates score fewer (or as many) customers: the trends are of real, different runs
  EXPECT_LE(shown("trend/" + format_date(dates[0]) + "/customers_scored"),
            shown("trend/" + format_date(dates[2]) + "/customers_scored"));
}
