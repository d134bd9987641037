// The one executor (util/parallel.hpp): fixed slots, contiguous ranges, rounds, and errors.
#include "util/parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace rapport::detail {
namespace {

using Range = std::tuple<std::size_t, std::size_t, std::size_t>;  // lo, hi, slot

std::vector<Range> slots_of(std::size_t n, std::size_t slots) {
  std::vector<Range> seen;
  std::mutex m;
  parallel_slots(n, slots, [&](std::size_t lo, std::size_t hi, std::size_t slot) {
    const std::lock_guard lock(m);
    seen.emplace_back(lo, hi, slot);
  });
  std::sort(seen.begin(), seen.end());
  return seen;
}

TEST(Parallel, SlotsAreFixedContiguousRanges) {
  // n = 10 in 3 slots: [0, 10·1/3 = 3), [3, 10·2/3 = 6), [6, 10)
  EXPECT_EQ(slots_of(10, 3), (std::vector<Range>{{0, 3, 0}, {3, 6, 1}, {6, 10, 2}}));
  // two halves of an odd count: [0, 2), [2, 5)
  EXPECT_EQ(slots_of(5, 2), (std::vector<Range>{{0, 2, 0}, {2, 5, 1}}));
  // one slot runs once, even with nothing to do
  EXPECT_EQ(slots_of(0, 1), (std::vector<Range>{{0, 0, 0}}));
}

TEST(Parallel, ForCoversEveryItemOnce) {
  std::vector<std::atomic<int>> hits(100003);
  parallel_for(hits.size(), 4, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) ++hits[i];
  });
  for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
  std::vector<std::atomic<int>> dyn(10007);
  parallel_for_dynamic(dyn.size(), 4, 100, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) ++dyn[i];
  });
  for (const auto& h : dyn) ASSERT_EQ(h.load(), 1);
}

TEST(Parallel, RoundsRunEveryChunkOncePerRoundThenTheStepAlone) {
  for (const unsigned threads : {1U, 3U}) {
    std::array<std::atomic<int>, 5> visits{};
    int rounds = 0;
    bool step_saw_all = true;
    auto body = [&](std::size_t c) { ++visits[c]; };
    auto step = [&] {
      ++rounds;
      for (const auto& v : visits) step_saw_all = step_saw_all && v.load() == rounds;
      return rounds < 3;
    };
    parallel_rounds(threads, visits.size(), body, step);
    EXPECT_EQ(rounds, 3) << threads;
    EXPECT_TRUE(step_saw_all) << threads;
    for (const auto& v : visits) EXPECT_EQ(v.load(), 3) << threads;
  }
}

TEST(Parallel, StartTaskRunsAlongsideOrWhenAskedFor) {
  auto alongside = start_task(true, [] { return 6 * 7; });
  EXPECT_EQ(alongside.get(), 42);
  bool ran = false;
  auto deferred = start_task(false, [&] {
    ran = true;
    return 1;
  });
  EXPECT_FALSE(ran);  // not concurrent: nothing runs before get()
  EXPECT_EQ(deferred.get(), 1);
  EXPECT_TRUE(ran);
  auto failing = start_task(true, []() -> int { throw std::runtime_error("task"); });
  EXPECT_THROW(failing.get(), std::runtime_error);
}

TEST(Parallel, RethrowsAnErrorFromAWorker) {
  EXPECT_THROW(parallel_slots(100, 2,
                              [](std::size_t, std::size_t, std::size_t slot) {
                                if (slot == 1) throw std::runtime_error("slot 1");
                              }),
               std::runtime_error);
}

}  // namespace
}  // namespace rapport::detail
