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

// The load half of the protocol for a file `parse` (std::string_view ->
// Result<T>) reads: <path>, else <path>.bak, else T{} when both are missing
// (`from` empty). `from` names the file read; after a fall back to the .bak,
// `problem` says what was wrong with <path> (the caller logs it). When
// neither parses and one exists: Corruption naming both problems, then
// `lost` (what is lost and what an operator can do). An I/O error is
// returned as itself.
template <typename T>
struct LoadedConfig {
  T value{};
  std::string from;
  std::string problem;
};
template <typename T, typename Parse>
Result<LoadedConfig<T>> LoadConfigFileOrBackup(FileSystem& fs, const std::string& path, uint64_t max_bytes,
                                               std::string_view what, Parse&& parse, std::string_view lost);

// Writes `text` as <path> with the protocol above, creating the directory.
// The current <path> is copied to <path>.bak only when it can be read and
// `worth_keeping(its text)` says so (absent: always), so a damaged file never
// replaces a good .bak; a current file over `max_bytes` is not kept.
Status PersistConfigFile(FileSystem& fs, const std::string& path, std::string_view text,
                         const std::function<bool(std::string_view)>& worth_keeping = {},
                         uint64_t max_bytes = kMaxConfigFileBytes);

namespace config_file_internal {

// One file parsed, or why it cannot stand: "missing", "empty", or the
// parser's error.
template <typename T>
struct Candidate {
  std::optional<T> value;
  bool missing = false;
  std::string problem;
};

template <typename T, typename Parse>
Result<Candidate<T>> Read(FileSystem& fs, const std::string& path, uint64_t max_bytes, std::string_view what,
                          Parse& parse) {
  Candidate<T> c;
  auto text = ReadConfigFile(fs, path, max_bytes, what);
  if (!text.ok()) {
    if (text.error().code() != StatusCode::kCorruption) return text.error().WithContext("reading " + path);
    c.problem = text.error().message();
    return c;
  }
  if (!text->has_value()) {
    c.missing = true;
    c.problem = "missing";
  } else if ((*text)->empty()) {
    c.problem = "empty";
  } else if (auto parsed = parse(std::string_view(**text)); parsed.ok()) {
    c.value = std::move(*parsed);
  } else {
    c.problem = parsed.error().message();
  }
  return c;
}

}  // namespace config_file_internal

template <typename T, typename Parse>
Result<LoadedConfig<T>> LoadConfigFileOrBackup(FileSystem& fs, const std::string& path, uint64_t max_bytes,
                                               std::string_view what, Parse&& parse, std::string_view lost) {
  LoadedConfig<T> out;
  auto main = config_file_internal::Read<T>(fs, path, max_bytes, what, parse);
  if (!main.ok()) return main.error();
  if (main->value) {
    out.value = std::move(*main->value);
    out.from = path;
    return out;
  }
  const std::string bak_path = ConfigBackupPath(path);
  auto bak = config_file_internal::Read<T>(fs, bak_path, max_bytes, what, parse);
  if (!bak.ok()) return bak.error();
  if (bak->value) {
    out.value = std::move(*bak->value);
    out.from = bak_path;
    out.problem = main->problem;
  } else if (!(main->missing && bak->missing)) {
    return Status::Corruption(path + ": " + main->problem + "; " + bak_path + ": " + bak->problem + ": " +
                              std::string(lost));
  }
  return out;
}

}  // namespace mqstore
