// DiskUseProbe: how full the partition holding `dir` is, as a fraction of
// its size; < 0 when unknown. Cleanup's disk watermarks read it
// (diskMaxUsedSpaceRatio, diskSpaceCleanForciblyRatio). Not time, so not the
// Clock's: a hook of its own, for tests and for an embedder with its own
// disk accounting (StoreHooks::disk_used).
#pragma once

#include <functional>
#include <string>

namespace mqstore {

using DiskUseProbe = std::function<double(const std::string& dir)>;

}  // namespace mqstore
