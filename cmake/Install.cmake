# `cmake --install BUILD [--prefix P]` lays out:
#   P/include/mqstore/*.h                      the public headers, nothing else
#   P/lib/libmqstore_{base,format,storage}.a   the library, in its three layers
#   P/bin/mqstore                              the CLI
#   P/lib/cmake/mqstore/                       the package: find_package(mqstore)
#                                              gives mqstore::mqstore
# (lib is CMAKE_INSTALL_LIBDIR: lib/<multiarch> under /usr on Debian.)
# The package config finds the libraries the archives need (liburing,
# CRoaring, ISA-L, threads) on the embedder's machine: cmake/mqstoreConfig.cmake.in.
include(CMakePackageConfigHelpers)

set(MQSTORE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/mqstore)

set_target_properties(mqstore_base PROPERTIES EXPORT_NAME base)
set_target_properties(mqstore_format PROPERTIES EXPORT_NAME format)
set_target_properties(mqstore_storage PROPERTIES EXPORT_NAME storage)

install(TARGETS mqstore_base mqstore_format mqstore_storage mqstore_library
  EXPORT mqstoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS mqstore RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/mqstore DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")

install(EXPORT mqstoreTargets NAMESPACE mqstore:: DESTINATION ${MQSTORE_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/mqstoreConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/mqstoreConfig.cmake
  INSTALL_DESTINATION ${MQSTORE_INSTALL_CMAKEDIR})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/mqstoreConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/mqstoreConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/mqstoreConfigVersion.cmake
  DESTINATION ${MQSTORE_INSTALL_CMAKEDIR})
