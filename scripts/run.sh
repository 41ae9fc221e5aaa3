#!/usr/bin/env bash
# Setup, Release build, then the main job:
#   scripts/run.sh        the default bench profile on ./data (about 25 s after the build):
#                         put (ASYNC_FLUSH, 1 producer; again with the page cache
#                         bounded, commitLogCacheMb=0), dispatch (1 producer puts
#                         1,000,000 messages, then DispatchOnce over the log),
#                         put-sync (64 producers),
#                         put-sync with 4 producers x 256 puts in flight (kept in
#                         ./data/bench-sync), read of that store (cursor, GetMessage
#                         pulls, tag-filtered pulls, queryMessage), and verify of it
#   scripts/run.sh PATH   inspect an existing store root
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release -DMQSTORE_TESTS=OFF -DMQSTORE_BENCH=OFF
mqstore=build/mqstore

if [[ $# -ge 1 ]]; then
  exec "$mqstore" inspect "$1"
fi

data=data
seconds=${BENCH_SECONDS:-3}
mkdir -p "$data"
rm -rf "$data"/bench-* "$data"/mqstore-bench-*

# Stores without --dir are temporary directories under ./data, removed after
# their run; the ceilings are measured there too.
bench() { TMPDIR="$data" "$mqstore" bench --ceiling-seconds 0.5 "$@"; }

echo "== put: ASYNC_FLUSH, 1 producer, ${seconds} s"
bench --workload put --seconds "$seconds"
echo
echo "== put: the same with the commit log's page cache bounded (commitLogCacheMb=0), ${seconds} s"
bench --workload put --seconds "$seconds" --set commitLogCacheMb=0
echo
echo "== dispatch: 1 producer puts 1000000 messages (dispatchOnOwnThread=false), then DispatchOnce over the log"
bench --workload dispatch --messages 1000000
echo
echo "== put-sync: SYNC_FLUSH, 64 producers, blocking puts, ${seconds} s"
bench --workload put-sync --seconds "$seconds"
echo
echo "== put-sync: 4 producers x 256 puts in flight (PutAsync), ${seconds} s, kept in $data/bench-sync"
bench --workload put-sync --producers 4 --inflight 256 --seconds "$seconds" --dir "$data/bench-sync"
echo
echo "== read: the store just written: cursor, GetMessage pulls, tag-filtered pulls, queryMessage"
bench --workload read --dir "$data/bench-sync"
echo
echo "== verify $data/bench-sync"
"$mqstore" verify "$data/bench-sync"
