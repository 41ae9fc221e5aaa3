#!/usr/bin/env bash
# The whole test suite, as CI runs it (every build with -Werror:
# MQSTORE_WERROR=ON):
#   1. Release build (g++) and the test suite through ctest (fast tests, then
#      those labelled "slow" in their own step);
#   2. that build installed into a temporary prefix, and examples/ built
#      against the installed package (find_package(mqstore)) and run;
#   3. the same suite built with clang, AddressSanitizer and
#      UndefinedBehaviorSanitizer (benchmarks built too: this is the build
#      that holds everything to clang's warnings);
#   4. the engine's multi-threaded tests and the cleanup soak (the tests
#      labelled "tsan", tests/CMakeLists.txt) built with ThreadSanitizer;
#   5. every libFuzzer target for FUZZ_SECONDS (default 30) with ASan + UBSan,
#      seeded from ../shared/golden.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
golden=${MQSTORE_GOLDEN_DIR:-$root/../shared/golden}

step() { printf '\n==== %s ====\n' "$*"; }

run_ctest() {  # DIR
  (cd "$1" && ctest --output-on-failure -j "$(nproc)" -LE slow)
  local slow
  slow=$(cd "$1" && ctest -N -L slow | sed -n 's/^Total Tests: //p')
  if [[ "${slow:-0}" -gt 0 ]]; then
    step "slow tests ($1)"
    (cd "$1" && ctest --output-on-failure -L slow)
  fi
}

step "setup"
scripts/setup.sh

step "Release build (g++)"
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DMQSTORE_TESTS=ON -DMQSTORE_BENCH=ON
step "tests (Release)"
run_ctest build

step "install, then examples/ built against the installed package"
prefix=$(mktemp -d)
cmake --install build --prefix "$prefix/usr" >/dev/null
cmake -S examples -B "$prefix/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMQSTORE_WERROR=ON \
  -DCMAKE_PREFIX_PATH="$prefix/usr" >/dev/null
cmake --build "$prefix/build" -j "$(nproc)"
"$prefix/build/embed_example" "$prefix/store"
rm -rf "$prefix"

step "ASan + UBSan build (clang)"
CXX=clang++ scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMQSTORE_SANITIZE=ON -DMQSTORE_BENCH=ON
step "tests (ASan + UBSan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 run_ctest build-asan

step "ThreadSanitizer build (g++)"
scripts/build.sh build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMQSTORE_TSAN=ON -DMQSTORE_BENCH=OFF
step "engine tests (ThreadSanitizer)"
# The tests labelled "tsan": those of the files tests/CMakeLists.txt lists
# (the forking kill tests never are). One at a time: TSan is slow enough.
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -L tsan -LE slow)
step "cleanup soak (ThreadSanitizer)"
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --output-on-failure -L tsan -L slow)

step "fuzz targets (clang, libFuzzer + ASan + UBSan, ${FUZZ_SECONDS}s each)"
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMQSTORE_FUZZ=ON -DMQSTORE_WERROR=ON \
  -DMQSTORE_TESTS=OFF -DMQSTORE_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" >/dev/null
targets=$(cd fuzz && ls ./*_fuzz.cc | sed 's|^\./||; s|\.cc$||')
# shellcheck disable=SC2086
cmake --build build-fuzz -j "$(nproc)" --target seed_corpus $targets
rm -rf build-fuzz/corpus build-fuzz/artifacts
mkdir -p build-fuzz/artifacts
build-fuzz/fuzz/seed_corpus "$golden" build-fuzz/corpus
for t in $targets; do
  mkdir -p "build-fuzz/corpus/$t"
  log=build-fuzz/"$t".log
  rc=0
  build-fuzz/fuzz/"$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix=build-fuzz/artifacts/"$t"- "build-fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  echo "$t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, exit $rc"
  if [[ $rc -ne 0 ]]; then
    tail -n 40 "$log"
    echo "FAILED: $t (inputs in build-fuzz/artifacts/)"
    exit 1
  fi
done

step "all test steps passed"
