# Every dependency is a Debian package installed by scripts/setup.sh.
# Missing ones fail here with the package name to install.

function(mqstore_require_library target lib header package)
  find_library(${target}_LIB NAMES ${lib})
  find_path(${target}_INCLUDE NAMES ${header})
  if(NOT ${target}_LIB OR NOT ${target}_INCLUDE)
    message(FATAL_ERROR "${lib} not found: install the Debian package ${package} (scripts/setup.sh does)")
  endif()
  add_library(mqstore::${target} UNKNOWN IMPORTED)
  set_target_properties(mqstore::${target} PROPERTIES
    IMPORTED_LOCATION ${${target}_LIB}
    INTERFACE_INCLUDE_DIRECTORIES ${${target}_INCLUDE})
endfunction()

# ISA-L: crc32_gzip_refl is the zlib CRC-32 at tens of GB/s (BODYCRC).
mqstore_require_library(isal isal isa-l.h libisal-dev)
# liburing: the flush service's ring (Step 3).
mqstore_require_library(uring uring liburing.h liburing-dev)
# CRoaring: per-tag bitmaps of queue offsets (Step 4).
mqstore_require_library(roaring roaring roaring/roaring.h libroaring-dev)

# xxHash is used header-only with XXH_INLINE_ALL: the inlined XXH3 is an
# order of magnitude faster than the shared library's.
find_path(XXHASH_INCLUDE NAMES xxhash.h)
if(NOT XXHASH_INCLUDE)
  message(FATAL_ERROR "xxhash.h not found: install the Debian package libxxhash-dev")
endif()
add_library(mqstore::xxhash INTERFACE IMPORTED)
set_target_properties(mqstore::xxhash PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${XXHASH_INCLUDE}
  INTERFACE_COMPILE_DEFINITIONS XXH_INLINE_ALL)

# std::thread: the flush, dispatch, cleanup, allocator and prefault threads.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
