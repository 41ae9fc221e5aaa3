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

UnpackedStore::UnpackedStore(const std::string& set_dir) {
  const std::string archive = set_dir + "/store.tar.gz";
  if (!std::filesystem::is_regular_file(archive)) {
    why_ = "no store.tar.gz";
    return;
  }
  dir_ = std::make_unique<TempDir>();
  const std::string cmd = "tar -xzf " + Quoted(archive) + " -C " + Quoted(dir_->path()) + " 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    why_ = "tar failed: " + cmd;
    return;
  }
  root_ = dir_->path() + "/store";
}

}  // namespace mqstore::test
