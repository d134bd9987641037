// Private: split [0, n) into contiguous ranges, one per worker thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace rapport::detail {

/// The number of worker threads to use for `requested` (0 = all cores): never more than the
/// machine's hardware threads, never fewer than 1. (parallel_for further caps it to the work.)
/// Asking for 100000 threads therefore runs on the cores there are instead of aborting.
inline unsigned thread_count(unsigned requested) noexcept {
  const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
  return requested == 0 ? hw : std::min(requested, hw);
}

/// Calls fn(lo, hi) over `threads` contiguous ranges of [0, n); rethrows the first exception.
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn, std::size_t min_per_thread = 4096) {
  std::size_t t = std::min<std::size_t>(thread_count(threads ? threads : 1), (n + min_per_thread - 1) / min_per_thread);
  if (t <= 1) {
    if (n) fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(t);
  const std::size_t chunk = (n + t - 1) / t;
  for (std::size_t i = 0; i < t; ++i) {
    const std::size_t lo = i * chunk, hi = std::min(n, lo + chunk);
    if (lo >= hi) break;
    pool.emplace_back([&, i, lo, hi] {
      try {
        fn(lo, hi);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace rapport::detail

namespace rapport::detail {

/// Like parallel_for, but threads take chunks of `grain` items from a shared counter, so uneven
/// work per item (customers with many or few contacts) still balances. fn(lo, hi) per chunk.
template <class Fn>
void parallel_for_dynamic(std::size_t n, unsigned threads, std::size_t grain, Fn&& fn) {
  const std::size_t chunks = (n + grain - 1) / grain;
  const std::size_t t = std::min<std::size_t>(thread_count(threads ? threads : 1), chunks);
  if (t <= 1) {
    if (n) fn(std::size_t{0}, n);
    return;
  }
  std::atomic<std::size_t> next{0};
  parallel_for(
      t, static_cast<unsigned>(t),
      [&](std::size_t, std::size_t) {
        for (;;) {
          const std::size_t c = next.fetch_add(1, std::memory_order_relaxed);
          if (c >= chunks) return;
          fn(c * grain, std::min(n, (c + 1) * grain));
        }
      },
      1);
}

}  // namespace rapport::detail
