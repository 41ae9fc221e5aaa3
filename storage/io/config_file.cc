#include "storage/io/config_file.h"

#include <span>

namespace mqstore {
namespace {

Status WriteSynced(FileSystem& fs, const std::string& path, std::string_view text) {
  auto file = fs.NewSequentialFile(path);
  if (!file.ok()) return file.error();
  MQ_RETURN_IF_ERROR((*file)->Append(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())));
  MQ_RETURN_IF_ERROR((*file)->Sync());
  return (*file)->Close();
}

}  // namespace

Result<std::optional<std::string>> ReadConfigFile(FileSystem& fs, const std::string& path, uint64_t max_bytes,
                                                  std::string_view what) {
  if (!fs.Exists(path)) return std::optional<std::string>();
  auto file = fs.OpenRandomRW(path, OpenMode::kReadOnly);
  if (!file.ok()) return file.error();
  auto size = (*file)->Size();
  if (!size.ok()) return size.error();
  if (*size > max_bytes)
    return Status::Corruption(path + ": " + std::to_string(*size) + " bytes, more than " + std::string(what) +
                              " holds");
  std::string text(static_cast<size_t>(*size), '\0');
  auto got = (*file)->Read(0, {reinterpret_cast<uint8_t*>(text.data()), text.size()});
  if (!got.ok()) return got.error();
  text.resize(*got);
  return std::optional<std::string>(std::move(text));
}

Status PersistConfigFile(FileSystem& fs, const std::string& path, std::string_view text,
                         const std::function<bool(std::string_view)>& worth_keeping, uint64_t max_bytes) {
  const std::string dir = ParentPath(path);
  const std::string tmp = path + ".tmp";
  MQ_RETURN_IF_ERROR(CreateDirectoriesDurably(fs, dir));
  MQ_RETURN_IF_ERROR(WriteSynced(fs, tmp, text));
  auto current = ReadConfigFile(fs, path, max_bytes);
  if (current.ok() && current->has_value() && (!worth_keeping || worth_keeping(**current)))
    MQ_RETURN_IF_ERROR(WriteSynced(fs, ConfigBackupPath(path), **current));
  MQ_RETURN_IF_ERROR(fs.Rename(tmp, path));
  return fs.SyncDirectory(dir);
}

}  // namespace mqstore
