// The CSV writer of centrality scores (rapport/graph/centrality.hpp): the graph area computes
// them, io writes files, so the writer lives here.
#include <rapport/io/writers.hpp>

#include <rapport/error.hpp>

#include "io/csv_write.hpp"
#include "io/output_file.hpp"
#include "io/write_rows.hpp"

#include <string>
#include <vector>

namespace rapport {

void write_centrality_csv(const std::string& path, const std::vector<std::string>& names,
                          const std::vector<double>& values, const std::string& column) {
  if (names.size() != values.size()) throw UsageError("write_centrality_csv: names and values differ in length");
  detail::OutputFile file(path);
  auto& out = file.buffer();
  out.append("id,");
  detail::append_csv_field(out, column);
  out.push_back('\n');
  detail::write_rows_parallel(file, names.size(), 0, [&](std::string& text, std::size_t k) {
    detail::append_csv_field(text, names[k]);
    text.push_back(',');
    detail::append_number(text, values[k]);
    text.push_back('\n');
  });
  file.commit();
}

}  // namespace rapport
