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
