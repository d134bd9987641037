// Every error rapport throws is a rapport::Error of one kind, and each kind has its exit code.
#include <rapport/base/data.hpp>
#include <rapport/error.hpp>
#include <rapport/graph/centrality.hpp>
#include <rapport/io/generate.hpp>
#include <rapport/scoring/scorer.hpp>
#include <rapport/value/value.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <type_traits>
#include <vector>

using namespace rapport;

namespace {

// Runs `f`, which must throw exactly the class E (caught as rapport::Error) of kind `kind`, with a
// message containing `needle`.
template <class E>
void expect_kind(const std::function<void()>& f, ErrorKind kind, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "nothing thrown; expected kind " << static_cast<int>(kind);
  } catch (const Error& e) {
    EXPECT_NE(dynamic_cast<const E*>(&e), nullptr) << e.what();
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "a std::exception that is not a rapport::Error: " << e.what();
  }
}

}  // namespace

TEST(Error, EachClassIsAnErrorOfItsKind) {
  static_assert(std::is_base_of_v<Error, UsageError> && std::is_base_of_v<Error, NotFoundError> &&
                std::is_base_of_v<Error, InternalError> && std::is_base_of_v<std::runtime_error, Error>);
  EXPECT_EQ(InputError("m").kind(), ErrorKind::input);
  EXPECT_EQ(ConfigError("m").kind(), ErrorKind::config);
  EXPECT_EQ(FitError("m").kind(), ErrorKind::fit);
  EXPECT_EQ(OutputError("m").kind(), ErrorKind::output);
  EXPECT_EQ(UsageError("m").kind(), ErrorKind::usage);
  EXPECT_EQ(NotFoundError("m").kind(), ErrorKind::not_found);
  EXPECT_EQ(InternalError("m").kind(), ErrorKind::internal);
  EXPECT_STREQ(InternalError("the message").what(), "the message");
}

TEST(Error, ExitCodes) {
  // 2: the input, a setting, an output, a call or a name was wrong; 3: a model could not be
  // fitted; 1: rapport itself failed (as for any exception that is not a rapport::Error).
  EXPECT_EQ(exit_code(ErrorKind::input), 2);
  EXPECT_EQ(exit_code(ErrorKind::config), 2);
  EXPECT_EQ(exit_code(ErrorKind::output), 2);
  EXPECT_EQ(exit_code(ErrorKind::usage), 2);
  EXPECT_EQ(exit_code(ErrorKind::not_found), 2);
  EXPECT_EQ(exit_code(ErrorKind::fit), 3);
  EXPECT_EQ(exit_code(ErrorKind::internal), 1);
}

TEST(Error, FormerStdExceptionsArriveAsTheirKind) {
  // usage: a builder call out of order, spans that disagree, a malformed graph
  expect_kind<UsageError>(
      [] {
        CustomerBaseBuilder b;
        EXPECT_EQ(b.add_customer("a", 0, ""), "");
        EXPECT_EQ(b.add_customer("b", 0, ""), "");
        EXPECT_EQ(b.add_referral("a", "b", 10), "");
        (void)b.add_customer("c", 0, "");
      },
      ErrorKind::usage, "add customers before referrals");
  expect_kind<UsageError>(
      [] {
        (void)fit_gamma_gamma(std::vector<double>{1, 2}, std::vector<double>{1});
      },
      ErrorKind::usage, "differ in length");
  expect_kind<UsageError>(
      [] {
        const std::vector<std::uint32_t> s{0}, t{5};
        (void)make_digraph(3, s, t);
      },
      ErrorKind::usage, "make_digraph");
  // input: a BG/NBD row outside the model's domain (row 3: t_x = 5 > T = 2)
  expect_kind<InputError>(
      [] {
        std::vector<double> x(12, 1.0), t_x(12, 1.0), T(12, 2.0);
        t_x[3] = 5;
        (void)fit_bgnbd(x, t_x, T);
      },
      ErrorKind::input, "invalid BG/NBD customer at row 3");
  // config: Katz with beta * spectral radius >= 1 (0 -> 1 -> 0 has spectral radius 1)
  expect_kind<ConfigError>(
      [] {
        const std::vector<std::uint32_t> s{0, 1}, t{1, 0};
        KatzOptions o;
        o.beta = 1.5;
        (void)katz_reach(make_digraph(2, s, t), o);
      },
      ErrorKind::config, "diverges");
  // not found: explaining a row or customer that was not scored
  GenerateOptions g;
  g.customers = 20;
  Scorer scorer(generate_base(g));
  expect_kind<NotFoundError>([&] { (void)scorer.explain(std::string_view("nobody")); }, ErrorKind::not_found,
                             "no scored customer 'nobody'");
  expect_kind<NotFoundError>([&] { (void)scorer.explain(std::size_t{1000}); }, ErrorKind::not_found,
                             "no scored row 1000");
}
