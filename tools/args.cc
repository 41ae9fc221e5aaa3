#include "tools/args.h"

#include <charconv>

namespace mqstore::cli {

Result<Args> Args::Parse(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
                         const std::set<std::string>& bool_flags) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      args.positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (bool_flags.count(name)) {
      if (value) return Status::InvalidArgument("--" + name + " takes no value");
      args.bools_.insert(name);
    } else if (value_flags.count(name)) {
      if (!value) {
        if (i + 1 >= argv.size()) return Status::InvalidArgument("--" + name + " needs a value");
        value = argv[++i];
      }
      args.values_[name] = *value;
      args.all_values_[name].push_back(*value);
    } else {
      return Status::InvalidArgument("unknown option --" + name);
    }
  }
  return args;
}

std::optional<std::string> Args::Get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Args::GetAll(const std::string& flag) const {
  auto it = all_values_.find(flag);
  if (it == all_values_.end()) return {};
  return it->second;
}

Result<int64_t> Args::GetInt(const std::string& flag, int64_t def) const {
  const auto text = Get(flag);
  if (!text) return def;
  const auto v = ParseSize(*text);
  if (!v) return Status::InvalidArgument("--" + flag + ": '" + *text + "' is not a number");
  return *v;
}

Result<int64_t> Args::GetInt(const std::string& flag, int64_t def, int64_t min, int64_t max) const {
  const auto text = Get(flag);
  if (!text) return def;
  const auto v = ParseSize(*text);
  if (!v || *v < min || *v > max)
    return Status::InvalidArgument("--" + flag + " must be in [" + std::to_string(min) + ", " + std::to_string(max) +
                                   "], not '" + *text + "'");
  return *v;
}

std::optional<int64_t> ParseSize(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t mult = 1;
  std::string digits = text;
  switch (text.back()) {
    case 'k': case 'K': mult = int64_t{1} << 10; digits.pop_back(); break;
    case 'm': case 'M': mult = int64_t{1} << 20; digits.pop_back(); break;
    case 'g': case 'G': mult = int64_t{1} << 30; digits.pop_back(); break;
    default: break;
  }
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  if (v != 0 && (v > INT64_MAX / mult || v < INT64_MIN / mult)) return std::nullopt;
  return v * mult;
}

}  // namespace mqstore::cli
