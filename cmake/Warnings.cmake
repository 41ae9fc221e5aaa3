# Warnings are set per target, not for the whole directory tree, so that a
# project adding mqstore with add_subdirectory() keeps its own flags.
#   mqstore_target_warnings(TARGET...)
# -Werror only with MQSTORE_WERROR=ON (CI turns it on for every build: a
# warning fails CI, while a user's newer compiler with new warnings still
# builds the release).
option(MQSTORE_WERROR "Treat compiler warnings as errors (CI: scripts/build.sh)" OFF)

function(mqstore_target_warnings)
  foreach(target IN LISTS ARGN)
    target_compile_options(${target} PRIVATE -Wall -Wextra)
    if(MQSTORE_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      # GCC 12 reports -Wrestrict on ordinary std::string concatenation at -O3
      # (GCC bug 105651, fixed in 13); the warning is noise there.
      target_compile_options(${target} PRIVATE -Wno-restrict)
    endif()
  endforeach()
endfunction()
