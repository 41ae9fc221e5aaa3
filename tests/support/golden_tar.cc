#include "tests/support/golden_tar.h"

#include <cstdlib>
#include <filesystem>

namespace mqstore::test {
namespace {

// Single quotes for the shell; a quote inside becomes '\''.
std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string UnpackStoreTarball(const std::string& set_dir, const std::string& into, std::string* why) {
  const std::string archive = set_dir + "/store.tar.gz";
  if (!std::filesystem::is_regular_file(archive)) {
    *why = "no store.tar.gz";
    return "";
  }
  const std::string cmd = "tar -xzf " + Quoted(archive) + " -C " + Quoted(into) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    *why = "tar failed: " + cmd;
    return "";
  }
  return into + "/store";
}

UnpackedStore::UnpackedStore(const std::string& set_dir) {
  if (!std::filesystem::is_regular_file(set_dir + "/store.tar.gz")) {
    why_ = "no store.tar.gz";
    return;
  }
  dir_ = std::make_unique<TempDir>();
  root_ = UnpackStoreTarball(set_dir, dir_->path(), &why_);
}

}  // namespace mqstore::test
