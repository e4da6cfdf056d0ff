#!/usr/bin/env bash
# kv_compare.sh — Key-Value: weir-server vs nats-server, side by side, with the
# same libnats kvStore load generator (bench/kv_bench.c).
#
#   bench/kv_compare.sh [BUILDDIR]          (default build/release)
#
# As bench/js_compare.sh: every run gets a fresh server, started with
# JetStream on a new temporary store directory (-js -sd DIR -p PORT -a
# 127.0.0.1), one kv_bench run against it (which creates its bucket, measures,
# deletes the bucket), then the server is stopped and its directory removed.
# Within a round the two sides of a workload run back to back, and the side
# that goes first swaps every round (weir nats | nats weir | ...). The table
# shows the median of each side over the rounds and the ratio weir/nats for
# rates, nats/weir for times, latencies, CPU cost and memory — so > 1 always
# means weir is better — plus the lowest and highest ratio of the two runs of
# one round (the noise band).
#
# Workloads (WORKLOADS, default "put put_cycle get watch keys"):
#   put        kvStore_Put of PUT_MSGS x SIZE B to distinct keys, one at a time
#   put_cycle  the same cycling over CYCLE_KEYS keys (history 1)
#   get        GET_KEYS keys filled (async, not measured), then GET_MSGS
#              kvStore_Get of random keys (fixed SEED)
#   watch      kvStore_WatchAll on one connection while another puts WATCH_MSGS
#              values to distinct keys (WATCH_PUT async: js_PublishAsync to
#              $KV.BENCH.KEY, MAX_PENDING in flight; sync: kvStore_Put);
#              updates/s from the first put to the last update
#   keys       KEYS_MSGS keys filled (async, not measured), then kvStore_Keys
#
# Environment (all optional): WEIR_SERVER (default BUILDDIR/weir-server),
# NATS_SERVER (nats-server on PATH, /usr/sbin, /usr/bin), KV_BENCH (default
# BUILDDIR/bench/kv_bench), ROUNDS (3), WORKLOADS, SIZE (128), PUT_MSGS
# (100000), CYCLE_KEYS (1000), GET_KEYS (100000), GET_MSGS (100000), SEED (1),
# WATCH_MSGS (100000), WATCH_PUT (async), KEYS_MSGS (100000), MAX_PENDING
# (4000), RUN_TIMEOUT (seconds per run, default 300), KEEP=1 (keep the
# temporary directory: server logs, client stderr, raw lines), VERBOSE=1
# (print every RESULT line), PERF="WORKLOAD ..." (record `perf record -g` of
# the weir server during those workloads into the temporary directory, which
# is then kept; the profile covers the whole run, fill included).
#
# Exit status: 0 when every run succeeded, 1 when a run failed or a server
# died, 2 when the setup is wrong.
set -uo pipefail

BUILDDIR=${1:-build/release}
WEIR_SERVER=${WEIR_SERVER:-$BUILDDIR/weir-server}
if [ -z "${NATS_SERVER:-}" ]; then
    NATS_SERVER=$(command -v nats-server 2>/dev/null || true)
    for c in /usr/sbin/nats-server /usr/bin/nats-server; do
        [ -z "$NATS_SERVER" ] && [ -x "$c" ] && NATS_SERVER=$c
    done
fi
KV_BENCH=${KV_BENCH:-$BUILDDIR/bench/kv_bench}
ROUNDS=${ROUNDS:-3}
WORKLOADS=${WORKLOADS:-put put_cycle get watch keys}
SIZE=${SIZE:-128}
PUT_MSGS=${PUT_MSGS:-100000}
CYCLE_KEYS=${CYCLE_KEYS:-1000}
GET_KEYS=${GET_KEYS:-100000}
GET_MSGS=${GET_MSGS:-100000}
SEED=${SEED:-1}
WATCH_MSGS=${WATCH_MSGS:-100000}
WATCH_PUT=${WATCH_PUT:-async}
KEYS_MSGS=${KEYS_MSGS:-100000}
MAX_PENDING=${MAX_PENDING:-4000}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
PERF=${PERF:-}

die() { echo "kv_compare.sh: $*" >&2; exit 2; }

[ -x "$WEIR_SERVER" ] || die "weir server '$WEIR_SERVER' not found (make, or set WEIR_SERVER)"
[ -n "$NATS_SERVER" ] && [ -x "$NATS_SERVER" ] || die "nats-server not found (set NATS_SERVER)"
[ -x "$KV_BENCH" ] || die "load generator '$KV_BENCH' not found (make $BUILDDIR/bench/kv_bench)"
case "$ROUNDS" in ''|*[!0-9]*|0) die "ROUNDS must be a positive integer" ;; esac
for w in $WORKLOADS $PERF; do
    case "$w" in put|put_cycle|get|watch|keys) ;;
        *) die "unknown workload '$w' (put put_cycle get watch keys)" ;; esac
done
case "$WATCH_PUT" in async|sync) ;; *) die "WATCH_PUT must be async or sync" ;; esac
if [ -n "$PERF" ]; then
    command -v perf >/dev/null 2>&1 || die "PERF is set but perf is not installed"
    KEEP=1
fi

TMP=$(mktemp -d /tmp/weir-kvcompare.XXXXXX)
mkdir -p "$TMP/res"
CUR_PID=""
PERF_PID=""

stop_perf() {  # perf writes its file on SIGINT
    [ -n "$PERF_PID" ] || return 0
    kill -INT "$PERF_PID" 2>/dev/null
    wait "$PERF_PID" 2>/dev/null
    PERF_PID=""
}

. "$(dirname "$0")/lib.sh"

args_for() {
    case "$1" in
        put)       echo "--mode put --msgs $PUT_MSGS --size $SIZE" ;;
        put_cycle) echo "--mode put --msgs $PUT_MSGS --keys $CYCLE_KEYS --history 1 --size $SIZE" ;;
        get)       echo "--mode get --msgs $GET_MSGS --keys $GET_KEYS --seed $SEED --size $SIZE --max-pending $MAX_PENDING" ;;
        watch)     echo "--mode watch --msgs $WATCH_MSGS --put $WATCH_PUT --size $SIZE --max-pending $MAX_PENDING" ;;
        keys)      echo "--mode keys --msgs $KEYS_MSGS --size $SIZE --max-pending $MAX_PENDING" ;;
    esac
}

is_perf() { case " $PERF " in *" $1 "*) return 0 ;; esac; return 1; }

FAILED=0
# run_one SIDE WORKLOAD ROUND: appends "ROUND VALUE" to $TMP/res/SIDE.WORKLOAD.KEY
run_one() {
    local side=$1 w=$2 r=$3 bin out line k v hwm
    bin=$WEIR_SERVER; [ "$side" = nats ] && bin=$NATS_SERVER
    start_server "$side" "$bin" "$w.$r"
    if [ "$side" = weir ] && is_perf "$w"; then
        perf record -g -q -p "$SPID" -o "$TMP/perf.$w.$r.data" >/dev/null 2>&1 &
        PERF_PID=$!
        sleep 0.3
    fi
    out=$(timeout "$RUN_TIMEOUT" "$KV_BENCH" --url "nats://127.0.0.1:$SPORT" --pid "$SPID" \
              $(args_for "$w") 2>>"$TMP/$side.client.log")
    stop_perf
    hwm=$(status_kb "$SPID" VmHWM)
    if ! kill -0 "$SPID" 2>/dev/null; then
        FAILED=1
        echo "$side server died during $w round $r; its log ends:"
        tail -10 "$TMP/$side.$w.$r.log"
    fi
    stop_server "$SPID"; CUR_PID=""
    rm -rf "$SDIR"
    line=$(grep -m1 '^RESULT ' <<<"$out")
    if [ -z "$line" ]; then
        FAILED=1
        echo "$side $w round $r: FAILED: $(grep -m1 '^ERROR ' <<<"$out" || echo "no result (timeout after ${RUN_TIMEOUT}s or crash)")"
        echo 1 >>"$TMP/res/$side.$w.failures"
        return
    fi
    echo "$side $w round $r: ${line#RESULT }" >>"$TMP/raw.txt"
    [ -n "${VERBOSE:-}" ] && echo "$side $w round $r: ${line#RESULT }"
    for kv in $line; do
        k=${kv%%=*}; v=${kv#*=}
        [ "$k" = "$kv" ] && continue
        # -1 = unknown (no /proc/PID/stat): leave the figure out
        [ "$v" = "-1.000" ] && continue
        echo "$r $v" >>"$TMP/res/$side.$w.$k"
    done
    [ -n "$hwm" ] && echo "$r $(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')" >>"$TMP/res/$side.$w.run_hwm_mb"
}

echo "weir: $WEIR_SERVER"
echo "nats: $NATS_SERVER ($("$NATS_SERVER" --version 2>&1 | head -1))"
echo "load generator: $KV_BENCH; rounds $ROUNDS; workloads: $WORKLOADS"
echo "fresh server and store directory for every run; $(nproc) CPUs shared by client and server"
echo

run_rounds "$WORKLOADS"

# latency_rows LABEL WORKLOAD: the rows of a one-at-a-time workload (put, get)
latency_rows() {
    row "$1" "$2" ops_per_s ops/s 1
    row "$1" "$2" p50_us "p50 us" 0
    row "$1" "$2" p99_us "p99 us" 0
    row "$1" "$2" srv_us_per_op "srv CPU us/op" 0
    row "$1" "$2" run_hwm_mb "srv peak RSS MB" 0
}

table_header workload "rates weir/nats; time, latency, CPU, memory nats/weir"
for w in $WORKLOADS; do
    case "$w" in
        put)       latency_rows "put ${SIZE}B" put ;;
        put_cycle) latency_rows "put ${CYCLE_KEYS} keys" put_cycle ;;
        get)       latency_rows "get ${SIZE}B" get ;;
        watch) l="watch ($WATCH_PUT)"
            row "$l" watch updates_per_s updates/s 1
            row "$l" watch put_secs "puts done s" 0
            row "$l" watch srv_us_per_op "srv CPU us/upd" 0
            row "$l" watch client_cpu_s "client CPU s" -
            row "$l" watch run_hwm_mb "srv peak RSS MB" 0 ;;
        keys) l="keys $KEYS_MSGS"
            row "$l" keys secs "seconds" 0
            row "$l" keys keys_per_s keys/s 1
            row "$l" keys srv_us_per_op "srv CPU us/key" 0
            row "$l" keys client_cpu_s "client CPU s" -
            row "$l" keys run_hwm_mb "srv peak RSS MB" 0 ;;
    esac
done
end_report
[ -n "$PERF" ] && echo "perf profiles of weir: $TMP/perf.*.data (perf report -i FILE --no-children)"
[ "$FAILED" = 0 ] || echo "SOME RUNS FAILED (see above)"
exit "$FAILED"
