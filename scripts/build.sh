#!/usr/bin/env bash
# Configures and builds one build directory, warnings as errors (the
# scripts are CI's and the README's way to build; a plain cmake build keeps
# MQSTORE_WERROR off, so a newer compiler's new warnings do not stop it).
#   scripts/build.sh DIR [cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1
shift
cmake -S . -B "$dir" -G Ninja -DMQSTORE_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)"
