#include "tests/support/golden.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string_view>

#include "format/fastjson_reader.h"

namespace mqstore::test {

std::string GoldenDir() {
  const char* env = std::getenv("MQSTORE_GOLDEN_DIR");
  const std::string dir = env != nullptr && *env != '\0' ? env : MQSTORE_DEFAULT_GOLDEN_DIR;
  return std::filesystem::is_directory(dir) ? dir : "";
}

bool SetFileMtime(const std::string& path, int64_t ms) {
  timespec t{};
  t.tv_sec = static_cast<time_t>(ms / 1000);
  t.tv_nsec = static_cast<long>(ms % 1000 * 1000000);
  const timespec times[2] = {t, t};
  return ::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool Json::Has(const std::string& key) const {
  for (const std::string& k : keys)
    if (k == key) return true;
  return false;
}

const Json& Json::operator[](const std::string& key) const {
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key) return values[i];
  ADD_FAILURE() << "JSON object has no key " << key;
  static const Json kNull;
  return kNull;
}

std::map<std::string, std::string> Json::StringMap() const {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < keys.size(); ++i) out[keys[i]] = values[i].s;
  return out;
}

namespace {

class Parser {
 public:
  explicit Parser(const std::string& t) : t_(t) {}

  Json Value() {
    Skip();
    Json j;
    if (pos_ >= t_.size()) return Fail("unexpected end");
    const char c = t_[pos_];
    if (c == '{') return Object();
    if (c == '[') return Array();
    if (c == '"') {
      j.kind = Json::Kind::kString;
      j.s = String();
      return j;
    }
    if (t_.compare(pos_, 4, "true") == 0) { pos_ += 4; j.kind = Json::Kind::kBool; j.b = true; return j; }
    if (t_.compare(pos_, 5, "false") == 0) { pos_ += 5; j.kind = Json::Kind::kBool; return j; }
    if (t_.compare(pos_, 4, "null") == 0) { pos_ += 4; return j; }
    const char* begin = t_.c_str() + pos_;
    char* end = nullptr;
    j.d = std::strtod(begin, &end);
    if (end == begin) return Fail("not a value");
    const std::string_view literal(begin, static_cast<size_t>(end - begin));
    if (literal.find_first_of(".eE") == std::string_view::npos) {
      j.kind = Json::Kind::kInt;
      j.i = std::stoll(std::string(literal));
    } else {
      j.kind = Json::Kind::kDouble;
      j.i = static_cast<int64_t>(j.d);
    }
    pos_ += literal.size();
    return j;
  }

 private:
  Json Fail(const char* why) {
    ADD_FAILURE() << "bad JSON (" << why << ") at " << pos_ << ": " << t_;
    pos_ = t_.size();
    return {};
  }
  void Skip() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\t' || t_[pos_] == '\r')) ++pos_;
  }
  bool Eat(char c) {
    Skip();
    if (pos_ < t_.size() && t_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string String() {
    std::string out;
    ++pos_;  // opening quote
    while (pos_ < t_.size() && t_[pos_] != '"') {
      char c = t_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      c = t_[pos_++];
      switch (c) {
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          uint32_t cp = static_cast<uint32_t>(std::stoul(t_.substr(pos_, 4), nullptr, 16));
          pos_ += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && t_.compare(pos_, 2, "\\u") == 0) {
            const auto lo = static_cast<uint32_t>(std::stoul(t_.substr(pos_ + 2, 4), nullptr, 16));
            pos_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(out, cp);
          break;
        }
        default: out += c;  // \" \\ \/
      }
    }
    ++pos_;  // closing quote
    return out;
  }
  Json Object() {
    Json j;
    j.kind = Json::Kind::kObject;
    ++pos_;
    if (Eat('}')) return j;
    do {
      Skip();
      if (pos_ >= t_.size() || t_[pos_] != '"') return Fail("expected a key");
      std::string key = String();
      if (!Eat(':')) return Fail("expected ':'");
      j.keys.push_back(std::move(key));
      j.values.push_back(Value());
    } while (Eat(','));
    if (!Eat('}')) return Fail("expected '}'");
    return j;
  }
  Json Array() {
    Json j;
    j.kind = Json::Kind::kArray;
    ++pos_;
    if (Eat(']')) return j;
    do {
      j.array.push_back(Value());
    } while (Eat(','));
    if (!Eat(']')) return Fail("expected ']'");
    return j;
  }

  const std::string& t_;
  size_t pos_ = 0;
};

}  // namespace

Json ParseJson(const std::string& text) { return Parser(text).Value(); }

std::vector<Json> ReadJsonLines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Json> out;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(ParseJson(line));
  return out;
}

TempDir::TempDir() {
  std::random_device rd;
  const auto base = std::filesystem::path(::testing::TempDir());
  for (;;) {
    path_ = (base / ("mqstore-test-" + std::to_string(rd()))).string();
    if (std::filesystem::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void CopyTree(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  fs::copy(from, to, fs::copy_options::recursive);
  for (const auto& e : fs::recursive_directory_iterator(to))
    fs::permissions(e.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec,
                    fs::perm_options::add);
  fs::permissions(to, fs::perms::owner_all, fs::perm_options::add);
}

}  // namespace mqstore::test
