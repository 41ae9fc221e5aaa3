// A plain-text table: columns padded to their widest cell. Cells are shown
// through DisplayText, so a control byte in a topic or key cannot break the
// table or the terminal.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace mqstore::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row);
  void Print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace mqstore::cli
