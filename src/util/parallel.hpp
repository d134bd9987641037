// Private: split [0, n) into contiguous ranges, one per worker thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace rapport::detail {

inline unsigned thread_count(unsigned requested) {
  if (requested) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw ? hw : 1;
}

/// Calls fn(lo, hi) over `threads` contiguous ranges of [0, n); rethrows the first exception.
template <class Fn>
void parallel_for(std::size_t n, unsigned threads, Fn&& fn, std::size_t min_per_thread = 4096) {
  std::size_t t = std::min<std::size_t>(threads ? threads : 1, (n + min_per_thread - 1) / min_per_thread);
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
  const std::size_t t = std::min<std::size_t>(threads ? threads : 1, chunks);
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
