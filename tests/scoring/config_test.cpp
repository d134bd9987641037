// ScoringConfig: one schema (visit_fields) for JSON in, JSON out and validate(); every setting
// outside its domain is a ConfigError naming the field, from C++ score() and from JSON.
#include <rapport/io/generate.hpp>
#include <rapport/scoring/score.hpp>

#include "util/parallel.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace rapport;

namespace {

// Runs `fn`, expects a ConfigError whose message names `field`.
void expect_config_error(const std::function<void()>& fn, const std::string& field) {
  try {
    fn();
    ADD_FAILURE() << "expected a ConfigError naming " << field;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("config: ", 0), 0u) << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::config);
  }
}

const CustomerBase& small_base() {
  static const CustomerBase base = [] {
    GenerateOptions o;
    o.customers = 200;
    o.seed = 3;
    return generate_base(o);
  }();
  return base;
}

struct BadSetting {
  const char* json;                         // the setting as --config JSON
  std::function<void(ScoringConfig&)> set;  // the same setting in C++
  const char* field;                        // the field the message names
};

// Each bad setting the issue lists (and a few neighbours), in JSON and in C++.
const std::vector<BadSetting>& bad_settings() {
  static const std::vector<BadSetting> cases{
      {R"({"period_days": 1e-6})", [](ScoringConfig& c) { c.period_days = 1e-6; }, "period_days"},
      {R"({"period_days": 0})", [](ScoringConfig& c) { c.period_days = 0; }, "period_days"},
      {R"({"half_life_days": -3})", [](ScoringConfig& c) { c.half_life_days = -3; }, "half_life_days"},
      {R"({"timing_half_life_days": 0.5})", [](ScoringConfig& c) { c.timing_half_life_days = 0.5; },
       "timing_half_life_days"},
      {R"({"follow_up_days": 0})", [](ScoringConfig& c) { c.follow_up_days = 0; }, "follow_up_days"},
      {R"({"complaint_days": -1})", [](ScoringConfig& c) { c.complaint_days = -1; }, "complaint_days"},
      {R"({"wow_window_days": 0})", [](ScoringConfig& c) { c.wow_window_days = 0; }, "wow_window_days"},
      {R"({"threads": 2000000})", [](ScoringConfig& c) { c.threads = 2000000; }, "threads"},
      {R"({"horizon_days": 1e308})", [](ScoringConfig& c) { c.horizon_days = 1e308; }, "horizon_days"},
      {R"({"horizon_days": 0})", [](ScoringConfig& c) { c.horizon_days = 0; }, "horizon_days"},
      {R"({"bgnbd": {"r": 0, "alpha": 1, "a": 1, "b": 1}})",
       [](ScoringConfig& c) {
         c.bgnbd = BgNbdParams{0, 1, 1, 1, 0};
       },
       "bgnbd.r"},
      {R"({"bgnbd": {"r": 1, "alpha": -2, "a": 1, "b": 1}})",
       [](ScoringConfig& c) {
         c.bgnbd = BgNbdParams{1, -2, 1, 1, 0};
       },
       "bgnbd.alpha"},
      {R"({"bgnbd": {"r": 1, "alpha": 2, "a": 1, "b": -1}})",
       [](ScoringConfig& c) {
         c.bgnbd = BgNbdParams{1, 2, 1, -1, 0};
       },
       "bgnbd.b"},
      {R"({"gamma_gamma": {"p": -1, "q": 4, "gamma": 1}})",
       [](ScoringConfig& c) {
         c.gamma_gamma = GammaGammaParams{-1, 4, 1, 0};
       },
       "gamma_gamma.p"},
      {R"({"gamma_gamma": {"p": 1, "q": 1, "gamma": 1}})",
       [](ScoringConfig& c) {
         c.gamma_gamma = GammaGammaParams{1, 1, 1, 0};
       },
       "gamma_gamma.q"},
      {R"({"gamma_gamma": {"p": 1, "q": 0.5, "gamma": 1}})",
       [](ScoringConfig& c) {
         c.gamma_gamma = GammaGammaParams{1, 0.5, 1, 0};
       },
       "gamma_gamma.q"},
      {R"({"impression_lambda": -1})", [](ScoringConfig& c) { c.impression_lambda = -1; }, "impression_lambda"},
      {R"({"impression_lambda": 0})", [](ScoringConfig& c) { c.impression_lambda = 0; }, "impression_lambda"},
      {R"({"katz_beta": -0.5})", [](ScoringConfig& c) { c.katz_beta = -0.5; }, "katz_beta"},
      {R"({"katz_beta": 1})", [](ScoringConfig& c) { c.katz_beta = 1; }, "katz_beta"},
      {R"({"loyalty_weights": [0, 0, 0, 0, 0]})",
       [](ScoringConfig& c) {
         c.loyalty_weights = {0, 0, 0, 0, 0};
       },
       "loyalty_weights"},
      {R"({"referral_weights": {"advocacy": 0, "track_record": 0, "chain_reach": 0, "timing": 0, "tenure": 0}})",
       [](ScoringConfig& c) {
         c.referral_weights = {0, 0, 0, 0, 0};
       },
       "referral_weights"},
      // every customer has evidence for continuity only: with it at 0, a customer without
      // impressions had loyalty 0/0 (NaN) and NaN up-serve values were ranked
      {R"({"loyalty_weights": [0, 0, 1, 0, 0]})",
       [](ScoringConfig& c) {
         c.loyalty_weights = {0, 0, 1, 0, 0};
       },
       "loyalty_weights"},
      // likewise track_record, chain_reach and tenure for referral potential
      {R"({"referral_weights": {"track_record": 0, "chain_reach": 0, "tenure": 0}})",
       [](ScoringConfig& c) {
         c.referral_weights = {0.5, 0, 0, 0.5, 0};
       },
       "referral_weights"},
      {R"({"loyalty_weights": {"recovery": -0.1}})",
       [](ScoringConfig& c) { c.loyalty_weights[LoyaltyComponent::recovery] = -0.1; }, "loyalty_weights.recovery"},
      {R"({"technical_threshold": 1.5})", [](ScoringConfig& c) { c.technical_threshold = 1.5; }, "technical_threshold"},
      {R"({"ask_advocacy": -0.1})", [](ScoringConfig& c) { c.ask_advocacy = -0.1; }, "ask_advocacy"},
      {R"({"chain_reach_scale": 0})", [](ScoringConfig& c) { c.chain_reach_scale = 0; }, "chain_reach_scale"},
      {R"({"tenure_full_days": 0})", [](ScoringConfig& c) { c.tenure_full_days = 0; }, "tenure_full_days"},
      {R"({"fit": {"max_iterations": 0}})", [](ScoringConfig& c) { c.fit.max_iterations = 0; }, "fit.max_iterations"},
      {R"({"fit": {"gradient_tolerance": 0}})", [](ScoringConfig& c) { c.fit.gradient_tolerance = 0; },
       "fit.gradient_tolerance"},
      {R"({"fit": {"min_customers": 0}})", [](ScoringConfig& c) { c.fit.min_customers = 0; }, "fit.min_customers"},
  };
  return cases;
}

}  // namespace

TEST(Config, DefaultsAreValid) { EXPECT_NO_THROW(validate(ScoringConfig{})); }

TEST(Config, WeightsOnAlwaysEvidencedComponentsSuffice) {
  ScoringConfig c;
  c.loyalty_weights = {1, 0, 0, 0, 0};   // continuity alone
  c.referral_weights = {0, 0, 0, 0, 1};  // tenure alone
  EXPECT_NO_THROW(validate(c));
  const auto res = score(small_base(), std::nullopt, c);
  for (std::size_t r = 0; r < res.scores.size(); ++r) {
    EXPECT_FALSE(std::isnan(res.scores.loyalty_given[r]));
    EXPECT_FALSE(std::isnan(res.scores.referral_potential[r]));
  }
}

TEST(Config, EveryBadSettingIsRejectedFromJsonNamingTheField) {
  for (const auto& bad : bad_settings()) {
    SCOPED_TRACE(bad.json);
    expect_config_error([&] { config_from_json(bad.json); }, bad.field);
  }
}

TEST(Config, EveryBadSettingIsRejectedByScoreNamingTheField) {
  for (const auto& bad : bad_settings()) {
    SCOPED_TRACE(bad.json);
    ScoringConfig c;
    bad.set(c);
    expect_config_error([&] { validate(c); }, bad.field);
    expect_config_error([&] { score(small_base(), std::nullopt, c); }, bad.field);
  }
}

TEST(Config, MessageSaysTheDomainAndTheValue) {
  try {
    config_from_json(R"({"period_days": 1e-6})");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "config: period_days must be >= 1 and <= 36500 (got 1e-06)");
  }
}

TEST(Config, ThreadsMustBeAnIntegerInJson) {
  expect_config_error([] { config_from_json(R"({"threads": 1.5})"); }, "threads");
  expect_config_error([] { config_from_json(R"({"threads": -1})"); }, "threads");
  expect_config_error([] { config_from_json(R"({"threads": "2"})"); }, "threads");
  expect_config_error([] { config_from_json(R"({"fit": {"max_iterations": 2.5}})"); }, "fit.max_iterations");
  EXPECT_EQ(config_from_json(R"({"threads": 3})").threads, 3u);
}

TEST(Config, UnknownKeysAreRejectedAtEveryLevel) {
  expect_config_error([] { config_from_json(R"({"half_lfe_days": 3})"); }, "half_lfe_days");
  expect_config_error([] { config_from_json(R"({"bgnbd": {"r": 1, "alpha": 1, "a": 1, "b": 1, "c": 1}})"); },
                      "bgnbd.c");
  expect_config_error([] { config_from_json(R"({"gamma_gamma": {"p": 1, "q": 2, "gamma": 1, "x": 0}})"); },
                      "gamma_gamma.x");
  expect_config_error([] { config_from_json(R"({"fit": {"tolerance": 1e-6}})"); }, "fit.tolerance");
  expect_config_error([] { config_from_json(R"({"loyalty_weights": {"charm": 1}})"); }, "charm");
  expect_config_error([] { config_from_json(R"({"bgnbd": {"r": 1, "alpha": 1, "a": 1}})"); }, "bgnbd.b");  // missing
  expect_config_error([] { config_from_json(R"({"loyalty_weights": [1, 2]})"); }, "loyalty_weights");
  expect_config_error([] { config_from_json(R"({"fit": 3})"); }, "fit");
  expect_config_error([] { config_from_json("[1]"); }, "JSON object");
  expect_config_error([] { config_from_json("{"); }, "invalid JSON");
}

TEST(Config, JsonOverlayKeepsOtherFieldsAndLeavesTheBaseAlone) {
  ScoringConfig base;
  base.half_life_days = 90;
  const auto c = config_from_json(R"({"loyalty_weights": {"impression": 0.5}, "fit": {"max_iterations": 7}})", base);
  EXPECT_EQ(c.half_life_days, 90);
  EXPECT_EQ(c.loyalty_weights[LoyaltyComponent::impression], 0.5);
  EXPECT_EQ(c.loyalty_weights[LoyaltyComponent::continuity], 0.30);
  EXPECT_EQ(c.fit.max_iterations, 7);
  EXPECT_EQ(c.fit.min_customers, 10u);
  EXPECT_THROW(config_from_json(R"({"half_life_days": 0})", base), ConfigError);
  EXPECT_EQ(base.half_life_days, 90);
}

TEST(Config, JsonRoundTripCoversEveryField) {
  ScoringConfig c;
  c.half_life_days = 91;
  c.period_days = 31;
  c.follow_up_days = 15;
  c.complaint_days = 8;
  c.impression_lambda = 2.5;
  c.technical_threshold = 0.8;
  c.hospitality_threshold = 0.4;
  c.wow_window_days = 300;
  c.loyalty_weights = {0.1, 0.2, 0.3, 0.2, 0.2};
  c.referral_weights = {0.2, 0.2, 0.2, 0.2, 0.2};
  c.katz_beta = 0.25;
  c.chain_reach_scale = 3;
  c.timing_half_life_days = 20;
  c.tenure_full_days = 700;
  c.advocacy_gate = 0.4;
  c.ask_timing = 0.6;
  c.ask_advocacy = 0.75;
  c.horizon_days = 180;
  c.p_alive_threshold = 0.6;
  c.bgnbd = BgNbdParams{0.25, 30, 0.8, 2.4, 0};
  c.gamma_gamma = GammaGammaParams{6, 4, 16, 0};
  c.fit = FitOptions{50, 1e-8, 12};
  c.intervals = 0.8;
  c.interval_method = IntervalMethod::bootstrap;
  c.interval_draws = 200;
  c.interval_seed = 9;
  c.threads = 3;
  c.value_model = ValueModelSetting::automatic;
  c.opportunity_days = 365;
  c.contract_period_days = 90;
  c.discount_rate = 0.08;
  c.penalizer = 0.01;
  c.pareto_nbd = ParetoNbdParams{0.55, 10.5, 0.6, 11.7, 0};
  c.mbgnbd = MbgNbdParams{0.5, 6, 0.9, 3.2, 0};
  c.bgbb = BgBbParams{1.2, 0.75, 0.66, 2.8, 0};
  c.sbg = SbgParams{0.67, 3.8, 0};
  const auto back = config_from_json(config_to_json(c));
  std::size_t fields = 0;
  visit_fields<ScoringConfig>([&](const auto& f) {
    ++fields;
    using T = typename std::remove_cvref_t<decltype(f)>::value_type;
    if constexpr (std::is_same_v<T, std::optional<BgNbdParams>>) {
      ASSERT_TRUE(back.bgnbd);
      EXPECT_EQ(back.bgnbd->r, 0.25);
      EXPECT_EQ(back.bgnbd->b, 2.4);
    } else if constexpr (std::is_same_v<T, std::optional<GammaGammaParams>>) {
      ASSERT_TRUE(back.gamma_gamma);
      EXPECT_EQ(back.gamma_gamma->q, 4);
    } else if constexpr (std::is_same_v<T, std::optional<ParetoNbdParams>> ||
                         std::is_same_v<T, std::optional<MbgNbdParams>> ||
                         std::is_same_v<T, std::optional<BgBbParams>> || std::is_same_v<T, std::optional<SbgParams>>) {
      ASSERT_TRUE(back.*f.member) << f.name;
      visit_fields<typename T::value_type>([&](const auto& p) {
        EXPECT_EQ((*(back.*f.member)).*p.member, (*(c.*f.member)).*p.member) << f.name << "." << p.name;
      });
    } else if constexpr (std::is_same_v<T, FitOptions>) {
      EXPECT_EQ(back.fit.max_iterations, 50);
      EXPECT_EQ(back.fit.gradient_tolerance, 1e-8);
      EXPECT_EQ(back.fit.min_customers, 12u);
    } else {
      EXPECT_TRUE(back.*f.member == c.*f.member) << f.name;
      EXPECT_FALSE(ScoringConfig{}.*f.member == c.*f.member) << f.name << " not exercised";
    }
  });
  EXPECT_EQ(fields, 36u);
  EXPECT_EQ(config_to_json(back), config_to_json(c));
}

TEST(Config, SettingsDocListsEveryFieldWithItsDomain) {
  std::ifstream in(std::string(RAPPORT_SOURCE_DIR) + "/docs/settings.md");
  ASSERT_TRUE(in) << "docs/settings.md";
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const auto check = [&](const auto& f) {
    const std::string name = "| `" + std::string(f.name) + "` |";  // the field's table row
    const auto at = doc.find(name);
    ASSERT_NE(at, std::string::npos) << f.name;
    if (!f.domain.text.empty()) {
      const auto line_end = doc.find('\n', at);
      EXPECT_NE(doc.substr(at, line_end - at).find(f.domain.text), std::string::npos)
          << f.name << ": the doc's line should say " << f.domain.text;
    }
  };
  visit_fields<ScoringConfig>(check);
  visit_fields<BgNbdParams>(check);
  visit_fields<GammaGammaParams>(check);
  visit_fields<ParetoNbdParams>(check);
  visit_fields<MbgNbdParams>(check);
  visit_fields<BgBbParams>(check);
  visit_fields<SbgParams>(check);
  visit_fields<FitOptions>(check);
}

// value_model: a string-valued setting (one of its spellings), written only when not the default,
// so every output that embeds a default config keeps its bytes.
TEST(Config, ValueModelIsAStringSettingOmittedAtItsDefault) {
  EXPECT_EQ(config_to_json(ScoringConfig{}).find("value_model"), std::string::npos);
  EXPECT_EQ(config_to_json(ScoringConfig{}).find("discount_rate"), std::string::npos);
  const auto c = config_from_json(R"({"value_model": "auto", "opportunity_days": 7})");
  EXPECT_EQ(c.value_model, ValueModelSetting::automatic);
  EXPECT_NE(config_to_json(c).find(R"("value_model":"auto")"), std::string::npos);
  EXPECT_EQ(config_from_json(R"({"value_model": "sbg"})").value_model, ValueModelSetting::sbg);
  const auto message = [](const std::string& json) {
    try {
      config_from_json(json);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message(R"({"value_model": "bg"})"),
            "config: value_model must be one of bgnbd, pareto_nbd, mbgnbd, bgbb, sbg, auto (got 'bg')");
  EXPECT_EQ(message(R"({"value_model": 1})"),
            "config: value_model expects a string, one of bgnbd, pareto_nbd, mbgnbd, bgbb, sbg, auto (got number)");
  EXPECT_EQ(message(R"({"discount_rate": -0.1})"), "config: discount_rate must be a finite number >= 0 (got -0.1)");
  EXPECT_EQ(message(R"({"opportunity_days": -1})"),
            "config: opportunity_days must be 0 (not set) or > 0 and <= 36500 (got -1)");
  EXPECT_EQ(message(R"({"sbg": {"alpha": 1}})"), "config: sbg.beta is missing");
  EXPECT_EQ(message(R"({"bgbb": {"alpha": 1, "beta": 1, "gamma": 0, "delta": 1}})"),
            "config: bgbb.gamma must be a finite number > 0 (got 0)");
}

TEST(Threads, CountIsCappedToTheMachine) {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(detail::thread_count(0), hw);
  EXPECT_EQ(detail::thread_count(100000), hw);
  EXPECT_EQ(detail::thread_count(1), 1u);
  // parallel_for never starts more threads than the machine has, whatever it is asked for
  std::mutex m;
  std::set<std::thread::id> ids;
  detail::parallel_for(
      1000, 100000,
      [&](std::size_t, std::size_t) {
        std::lock_guard<std::mutex> lock(m);
        ids.insert(std::this_thread::get_id());
      },
      1);
  EXPECT_LE(ids.size(), hw);
}

TEST(Threads, MaxThreadsScoresLikeOneThread) {
  ScoringConfig one, many;
  one.threads = 1;
  many.threads = max_threads;
  const auto a = score(small_base(), std::nullopt, one), b = score(small_base(), std::nullopt, many);
  ASSERT_EQ(a.scores.size(), b.scores.size());
  for (std::size_t r = 0; r < a.scores.size(); ++r) {
    ASSERT_EQ(a.scores.loyalty_given[r], b.scores.loyalty_given[r]);
    ASSERT_EQ(a.scores.upserve_score[r], b.scores.upserve_score[r]);
  }
}
