// Test support: what a directory tree holds, to prove a step changed
// nothing (not a byte, not a listing, not a modification time).
#pragma once

#include <map>
#include <string>

namespace mqstore::test {

// Every entry under `root` by relative path: its kind and mtime, and for a
// regular file its size and an FNV-1a hash of its bytes.
using TreeSnapshot = std::map<std::string, std::string>;
TreeSnapshot SnapshotTree(const std::string& root);

// Adds a failure for each entry of `before` removed or changed in `after`
// and each entry `after` has that `before` had not.
void ExpectSameTree(const TreeSnapshot& before, const TreeSnapshot& after);

}  // namespace mqstore::test
