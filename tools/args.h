// A small command-line parser: positional arguments plus "--name value",
// "--name=value" and boolean "--name" flags, each declared up front so that
// an unknown or malformed flag is a usage error.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mqstore/status.h"

namespace mqstore::cli {

class Args {
 public:
  // `value_flags` take a value; `bool_flags` do not. Names without "--".
  static Result<Args> Parse(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
                            const std::set<std::string>& bool_flags);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(const std::string& flag) const { return values_.count(flag) > 0 || bools_.count(flag) > 0; }
  // The flag's value; when it was given several times, the last one.
  std::optional<std::string> Get(const std::string& flag) const;
  // Every value of a repeatable flag ("--set a=1 --set b=2"), in the order
  // given; empty when the flag is absent.
  std::vector<std::string> GetAll(const std::string& flag) const;
  // The flag as an integer (decimal; k/m/g suffixes for sizes), or `def`.
  Result<int64_t> GetInt(const std::string& flag, int64_t def) const;
  // The same, refused unless in [min, max]: the error names the flag, the
  // range and the text ("--index-slots must be in [1, 2147483647], not
  // '4294967297'"), so no value wraps on its way to a narrower field.
  Result<int64_t> GetInt(const std::string& flag, int64_t def, int64_t min, int64_t max) const;

 private:
  std::vector<std::string> positional_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::set<std::string> bools_;
};

// "1024", "64k", "64m", "1g" (binary units) -> bytes; nullopt if malformed.
std::optional<int64_t> ParseSize(const std::string& text);

}  // namespace mqstore::cli
