#include "tools/table.h"

#include <algorithm>

#include "tools/display_text.h"

namespace mqstore::cli {

void Table::AddRow(std::vector<std::string> row) {
  for (std::string& cell : row) cell = DisplayText(cell);
  rows_.push_back(std::move(row));
}

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  // A row shorter than the header ends in a free-text cell (an error, a
  // note) that may run past the columns without widening them.
  auto measure = [&](const std::vector<std::string>& row) {
    const size_t n = row.size() < header_.size() && !row.empty() ? row.size() - 1 : row.size();
    for (size_t i = 0; i < n && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  measure(header_);
  for (const auto& r : rows_) measure(r);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      if (i > 0) line += "  ";
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size(), ' ');
    }
    out << line << '\n';
  };
  print(header_);
  for (const auto& r : rows_) print(r);
}

}  // namespace mqstore::cli
