#include "storage/put_message.h"

namespace mqstore {

std::string_view PutStatusName(PutStatus s) {
  switch (s) {
    case PutStatus::kPutOk: return "PUT_OK";
    case PutStatus::kFlushDiskTimeout: return "FLUSH_DISK_TIMEOUT";
    case PutStatus::kFlushSlaveTimeout: return "FLUSH_SLAVE_TIMEOUT";
    case PutStatus::kSlaveNotAvailable: return "SLAVE_NOT_AVAILABLE";
    case PutStatus::kServiceNotAvailable: return "SERVICE_NOT_AVAILABLE";
    case PutStatus::kCreateMappedFileFailed: return "CREATE_MAPPED_FILE_FAILED";
    case PutStatus::kMessageIllegal: return "MESSAGE_ILLEGAL";
    case PutStatus::kPropertiesSizeExceeded: return "PROPERTIES_SIZE_EXCEEDED";
    case PutStatus::kOsPageCacheBusy: return "OS_PAGE_CACHE_BUSY";
    case PutStatus::kUnknownError: return "UNKNOWN_ERROR";
  }
  return "UNKNOWN_ERROR";
}

}  // namespace mqstore
