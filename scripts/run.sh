#!/usr/bin/env bash
# Setup, Release build, then the main job:
#   scripts/run.sh        generate a sample commit log in ./data/sample, inspect and verify it
#   scripts/run.sh PATH   inspect an existing store root
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DMQSTORE_TESTS=OFF -DMQSTORE_BENCH=OFF
mqstore=build/mqstore

if [[ $# -ge 1 ]]; then
  exec "$mqstore" inspect "$1"
fi

sample=data/sample
rm -rf "$sample"
"$mqstore" gen "$sample" --messages 200000 --body-size 1024 --topics 4 --queues 8 --segment-size 64m
"$mqstore" inspect "$sample"
"$mqstore" verify "$sample"
