// Private: the one way to run work on threads. Work over [0, n) is split into contiguous
// ranges: one per worker (parallel_for), fixed slots whose partial results are combined in slot
// order whatever the machine (parallel_slots), chunks handed out from a counter
// (parallel_for_dynamic), or rounds of chunks separated by a serial step (parallel_rounds); and
// one task that overlaps the caller's own work (start_task).
#pragma once

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstddef>
#include <exception>
#include <future>
#include <thread>
#include <type_traits>
#include <utility>
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

namespace rapport::detail {

/// Calls fn(lo, hi, slot) once for each of `slots` fixed contiguous ranges of [0, n): slot k is
/// [n·k/slots, n·(k+1)/slots), so the split depends only on n and `slots`, never on the machine.
/// The slots run on up to min(slots, cores) threads; partial results kept per slot and combined
/// in slot order therefore give the same bits anywhere. With one slot, fn(0, n, 0) runs on the
/// calling thread (even for n = 0). Rethrows the first exception.
template <class Fn>
void parallel_slots(std::size_t n, std::size_t slots, Fn&& fn) {
  if (slots <= 1) {
    fn(std::size_t{0}, n, std::size_t{0});
    return;
  }
  parallel_for(
      slots, static_cast<unsigned>(slots),
      [&](std::size_t lo, std::size_t hi) {
        for (std::size_t s = lo; s < hi; ++s) fn(n * s / slots, n * (s + 1) / slots, s);
      },
      1);
}

/// Runs rounds until `step` returns false. In each round `body(c)` is called once for every
/// chunk c in [0, num_chunks) (by some thread, chunks handed out dynamically); then `step()`
/// runs alone on one thread, after all bodies of the round finished. `body` must not throw.
/// The threads (at most `threads`, never more than the chunks) live for all the rounds.
template <class Body, class Step>
void parallel_rounds(unsigned threads, std::size_t num_chunks, Body& body, Step& step) {
  if (threads > num_chunks) threads = static_cast<unsigned>(num_chunks);
  if (threads <= 1) {
    do {
      for (std::size_t c = 0; c < num_chunks; ++c) body(c);
    } while (step());
    return;
  }

  std::atomic<std::size_t> next{0};
  bool done = false;
  auto completion = [&]() noexcept {
    done = !step();
    next.store(0, std::memory_order_relaxed);
  };
  std::barrier sync(static_cast<std::ptrdiff_t>(threads), completion);
  auto work = [&] {
    for (;;) {
      for (std::size_t c; (c = next.fetch_add(1, std::memory_order_relaxed)) < num_chunks;) body(c);
      sync.arrive_and_wait();
      if (done) return;
    }
  };

  // Helpers wait at a gate so that a failed thread creation can release the ones already
  // started without them ever touching the barrier.
  std::atomic<int> gate{0};  // 0 = wait, 1 = run, 2 = abort
  std::vector<std::jthread> pool;
  pool.reserve(threads - 1);
  try {
    for (unsigned t = 1; t < threads; ++t) {
      pool.emplace_back([&] {
        gate.wait(0, std::memory_order_acquire);
        if (gate.load(std::memory_order_acquire) == 1) work();
      });
    }
  } catch (...) {
    gate.store(2, std::memory_order_release);
    gate.notify_all();
    throw;  // pool's destructor joins the released helpers
  }
  gate.store(1, std::memory_order_release);
  gate.notify_all();
  work();
}

}  // namespace rapport::detail

namespace rapport::detail {

/// Starts fn() on a thread of its own when `concurrent`, so that it overlaps what the caller does
/// next; otherwise fn() runs on the caller's thread when the result is asked for (get()). The
/// future's get() gives fn's result or rethrows its exception.
template <class Fn>
std::future<std::invoke_result_t<Fn>> start_task(bool concurrent, Fn&& fn) {
  return std::async(concurrent ? std::launch::async : std::launch::deferred, std::forward<Fn>(fn));
}

}  // namespace rapport::detail
