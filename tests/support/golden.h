// Test support: the golden RocketMQ stores in ../shared/golden, whole-file
// reads, and a small JSON reader for the expected-*.jsonl files.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mqstore::test {

// MQSTORE_GOLDEN_DIR from the environment, else ../shared/golden beside the
// checkout; "" when that folder does not exist.
std::string GoldenDir();

// Skips the calling test when the golden folder is absent.
#define MQ_GOLDEN_OR_SKIP(var)                                                              \
  const std::string var = ::mqstore::test::GoldenDir();                                     \
  if (var.empty()) GTEST_SKIP() << "golden folder ../shared/golden is absent; skipping"

std::vector<uint8_t> ReadFileBytes(const std::string& path);
// Sets a file's modification (and access) time to `ms` since the epoch:
// retention tests age segments this way. False when utimensat fails.
bool SetFileMtime(const std::string& path, int64_t ms);

// A parsed JSON value: enough for the golden files and the CLI's output
// (objects, arrays, strings, numbers, booleans, null). A number is kInt when
// written as an integer (exact in `i`), else kDouble; `d` holds it either way.
struct Json {
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kArray, kObject } kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<Json> array;
  // Object members in file order (two vectors: a vector of pairs would need
  // Json complete, which clang's libstdc++ checks).
  std::vector<std::string> keys;
  std::vector<Json> values;

  bool Has(const std::string& key) const;
  const Json& operator[](const std::string& key) const;  // fails the test if absent
  std::map<std::string, std::string> StringMap() const;  // an object of strings
};

Json ParseJson(const std::string& text);
std::vector<Json> ReadJsonLines(const std::string& path);

// A fresh empty directory under the test temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Copies a directory tree and makes every copy writable (golden files are
// read-only).
void CopyTree(const std::string& from, const std::string& to);

}  // namespace mqstore::test
