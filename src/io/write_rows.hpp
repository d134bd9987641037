// Private: rows formatted on several threads and written in order — the one way every writer of
// per-row output (scores, history, explanations, centralities) fills its file.
#pragma once

#include "io/output_file.hpp"
#include "util/parallel.hpp"

#include <algorithm>
#include <cstddef>
#include <future>
#include <string>
#include <vector>

namespace rapport::detail {

/// Calls row(text, r) for r = 0..n-1 in batches formatted on `threads` threads (0 = all cores)
/// and writes the text to `file` in row order, so the bytes never depend on the thread count; a
/// set of batches is written out while the next set is formatted (two sets take turns).
template <class Row>
void write_rows_parallel(OutputFile& file, std::size_t n, unsigned threads, Row&& row) {
  const unsigned t = thread_count(threads);
  const std::size_t batch = 8192;
  std::vector<std::string> chunks[2] = {std::vector<std::string>(t), std::vector<std::string>(t)};
  std::future<void> writing;  // writes the other set of buffers
  for (std::size_t lo = 0, turn = 0; lo < n; lo += batch * t, turn ^= 1) {
    auto& set = chunks[turn];
    parallel_for(
        t, t,
        [&](std::size_t a, std::size_t b) {
          for (std::size_t k = a; k < b; ++k) {
            set[k].clear();
            const std::size_t from = std::min(n, lo + k * batch), to = std::min(n, from + batch);
            for (std::size_t r = from; r < to; ++r) row(set[k], r);
          }
        },
        1);
    if (writing.valid()) writing.get();
    writing = start_task(true, [&file, &set] {
      for (const auto& c : set) file.write(c);
    });
  }
  if (writing.valid()) writing.get();
}

}  // namespace rapport::detail
