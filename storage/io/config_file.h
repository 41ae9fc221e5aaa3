// RocketMQ's config-file protocol (ConfigManager / MixAll.string2File),
// made durable, for the small files under config/ (delayOffset.json,
// timermetrics):
//
//   persist: write <f>.tmp and fdatasync it; copy the current <f> to <f>.bak
//            (synced); rename <f>.tmp over <f>; fsync the directory.
//   load:    <f>, and <f>.bak when <f> is missing or does not parse (the
//            caller decides what parses).
//
// A crash at any step leaves <f> old or new, whole, and a .bak holding an
// earlier <f>. Everything goes through the store's FileSystem.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mqstore/status.h"
#include "storage/io/file_system.h"

namespace mqstore {

// Config files are a few kilobytes; past this a file is not one (a
// caller whose file grows with the store passes its own bound).
inline constexpr uint64_t kMaxConfigFileBytes = 1 << 20;

inline std::string ConfigBackupPath(const std::string& path) { return path + ".bak"; }

// The whole file; nullopt when it does not exist. A file over `max_bytes`
// is Corruption ("<path>: N bytes, more than <what> holds").
Result<std::optional<std::string>> ReadConfigFile(FileSystem& fs, const std::string& path,
                                                  uint64_t max_bytes = kMaxConfigFileBytes,
                                                  std::string_view what = "a config file");

// Writes `text` as <path> with the protocol above, creating the directory.
// The current <path> is copied to <path>.bak only when it can be read and
// `worth_keeping(its text)` says so (absent: always), so a damaged file never
// replaces a good .bak; a current file over `max_bytes` is not kept.
Status PersistConfigFile(FileSystem& fs, const std::string& path, std::string_view text,
                         const std::function<bool(std::string_view)>& worth_keeping = {},
                         uint64_t max_bytes = kMaxConfigFileBytes);

}  // namespace mqstore
