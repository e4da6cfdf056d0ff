#!/usr/bin/env bash
# store.sh — the stream store against a raw RocksDB WriteBatch loop (the ceiling of its design),
# and the startup time of a large store. Runs build/<mode>/bench/store_bench (builds nothing:
# `make build` or `make bench` first) under a temporary directory that is removed at the end,
# also on failure or Ctrl-C. What is measured and how: the top of bench/store_bench.c.
#
#   bench/store.sh [BUILDDIR]          (make bench runs it with build/release)
#
# Environment (all optional; defaults take about 2 minutes on the 2-CPU development machine):
#   STORE_BENCH    the binary (default BUILDDIR/bench/store_bench)
#   ROUNDS         raw/weir rounds per append case (default 7)
#   SMALL_MSGS     messages per 128-byte run (default 1000000)
#   LARGE_MSGS     messages per 16 KiB run (default 30000)
#   SYNC_MSGS      messages per 128-byte run with fsync per batch (default 300000)
#   SYNC_LARGE_MSGS  messages per 16 KiB run with fsync per batch (default 10000)
#   BATCH          appends per commit (default 256)
#   STREAMS        streams of the startup store (default 250; the 1000 adds about
#                  3 minutes: creating N column families costs O(N^2) in RocksDB 7.8)
#   STARTUP_MSGS   messages in the startup store (default 1000000)
#   API_STREAMS    of those streams, created through store_stream_create (default 10)
#   OPENS          timed opens of the startup store (default 3)
#   MODE           all, append or startup (default all)
#   TMP            where the temporary directory goes (default ${TMPDIR:-/tmp})
#
# stdout: the table and RESULT lines; stderr: one progress line per run.
# Exit status: that of store_bench (0 ok, 2 setup or store error).
set -uo pipefail

BUILDDIR=${1:-build/release}
STORE_BENCH=${STORE_BENCH:-$BUILDDIR/bench/store_bench}
if [ ! -x "$STORE_BENCH" ]; then
    echo "store.sh: $STORE_BENCH not found; build it first (make build)" >&2
    exit 2
fi

work=$(mktemp -d "${TMP:-${TMPDIR:-/tmp}}/weir-store-sh.XXXXXX") || exit 2
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "store.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -r), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
start=$SECONDS
"$STORE_BENCH" --dir "$work" --mode "${MODE:-all}" \
    --rounds "${ROUNDS:-7}" --batch "${BATCH:-256}" \
    --small-msgs "${SMALL_MSGS:-1000000}" --large-msgs "${LARGE_MSGS:-30000}" \
    --sync-msgs "${SYNC_MSGS:-300000}" --sync-large-msgs "${SYNC_LARGE_MSGS:-10000}" \
    --streams "${STREAMS:-250}" --startup-msgs "${STARTUP_MSGS:-1000000}" \
    --api-streams "${API_STREAMS:-10}" --opens "${OPENS:-3}" &
pid=$!
wait "$pid"
rc=$?
pid=
[ "$rc" -ne 0 ] && echo "store.sh: store_bench failed (status $rc)" >&2
echo "store.sh: $((SECONDS - start)) s, loadavg $(cut -d' ' -f1-3 /proc/loadavg) at the end"
exit "$rc"
