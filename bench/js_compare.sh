#!/usr/bin/env bash
# js_compare.sh — JetStream: weir-server vs nats-server, side by side, with the
# same libnats load generator (bench/js_bench.c).
#
#   bench/js_compare.sh [BUILDDIR]          (default build/release)
#
# Every run gets a fresh server: started with JetStream on a new temporary
# store directory (-js -sd DIR -p PORT -a 127.0.0.1), one js_bench run against
# it (which creates its stream, measures, deletes the stream), then the server
# is stopped and its directory removed. Within a round the two sides of a
# workload run back to back, and the side that goes first swaps every round
# (weir nats | nats weir | ...). The table shows the median of each side over
# the rounds and the ratio weir/nats for rates, nats/weir for latencies,
# CPU cost and memory — so > 1 always means weir is better — plus the lowest
# and highest ratio of the two runs of one round (the noise band).
#
# Workloads (WORKLOADS, default "apub spub pull pull_all pull_none slow"):
#   apub       js_PublishAsync of APUB_MSGS x SIZE B, MAX_PENDING PubAcks in flight
#   spub       js_Publish one at a time, SPUB_MSGS (after SPUB_WARMUP)
#   spub_raw   the same publishes through a plain blocking socket (js_bench --client raw):
#              no libnats threads between the clock and the server (not in the default set)
#   floor      libnats requests to a subject no one subscribes to, SPUB_MSGS one at a time:
#              the server answers each with a 503 status at once. The round trip with no
#              server work in it, the lower bound of spub and of KV put/get (not in the
#              default set)
#   pull       pull consumer, ack explicit (natsMsg_Ack each), PULL_MSGS pre-filled,
#              fetch batches of BATCH
#   pull_all   the same with ack all (one ack per batch)
#   pull_none  the same with ack none
#   slow       SLOW_GB GiB of 64 KiB messages (js_PublishAsync, window 256), then a
#              pull consumer (ack explicit) fetching SLOW_BATCH at a time with sleeps
#              so that the read takes about SLOW_SECS; the server's VmRSS sampled
#              every 200 ms: peak during the fill and during the read
#
# Environment (all optional): WEIR_SERVER (default BUILDDIR/weir-server),
# NATS_SERVER (nats-server on PATH, /usr/sbin, /usr/bin), JS_BENCH (default
# BUILDDIR/bench/js_bench), ROUNDS (3), WORKLOADS, SIZE (128), APUB_MSGS
# (200000), MAX_PENDING (4000), SPUB_MSGS (20000), SPUB_WARMUP (1000),
# PULL_MSGS (200000), BATCH (500), SLOW_GB (1; decimals allowed, e.g. 0.1),
# SLOW_BATCH (100), SLOW_SECS (60), RUN_TIMEOUT (seconds per run, default 300),
# KEEP=1 (keep the temporary directory: server logs, client stderr, raw lines).
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
JS_BENCH=${JS_BENCH:-$BUILDDIR/bench/js_bench}
ROUNDS=${ROUNDS:-3}
WORKLOADS=${WORKLOADS:-apub spub pull pull_all pull_none slow}
SIZE=${SIZE:-128}
APUB_MSGS=${APUB_MSGS:-200000}
MAX_PENDING=${MAX_PENDING:-4000}
SPUB_MSGS=${SPUB_MSGS:-20000}
SPUB_WARMUP=${SPUB_WARMUP:-1000}
PULL_MSGS=${PULL_MSGS:-200000}
BATCH=${BATCH:-500}
SLOW_GB=${SLOW_GB:-1}
SLOW_BATCH=${SLOW_BATCH:-100}
SLOW_SECS=${SLOW_SECS:-60}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
SLOW_SIZE=65536
SLOW_MSGS=$(awk -v g="$SLOW_GB" 'BEGIN { n = int(g * 16384 + 0.5); if (n < 1) n = 1; print n }')

die() { echo "js_compare.sh: $*" >&2; exit 2; }

[ -x "$WEIR_SERVER" ] || die "weir server '$WEIR_SERVER' not found (make, or set WEIR_SERVER)"
[ -n "$NATS_SERVER" ] && [ -x "$NATS_SERVER" ] || die "nats-server not found (set NATS_SERVER)"
[ -x "$JS_BENCH" ] || die "load generator '$JS_BENCH' not found (make $BUILDDIR/bench/js_bench)"
case "$ROUNDS" in ''|*[!0-9]*|0) die "ROUNDS must be a positive integer" ;; esac
for w in $WORKLOADS; do
    case "$w" in apub|spub|spub_raw|floor|pull|pull_all|pull_none|slow) ;;
        *) die "unknown workload '$w' (apub spub spub_raw floor pull pull_all pull_none slow)" ;; esac
done

TMP=$(mktemp -d /tmp/weir-jscompare.XXXXXX)
mkdir -p "$TMP/res"
CUR_PID=""

. "$(dirname "$0")/lib.sh"

args_for() {
    case "$1" in
        apub)      echo "--mode apub --msgs $APUB_MSGS --size $SIZE --max-pending $MAX_PENDING" ;;
        spub)      echo "--mode spub --msgs $SPUB_MSGS --size $SIZE --warmup $SPUB_WARMUP" ;;
        spub_raw)  echo "--mode spub --client raw --msgs $SPUB_MSGS --size $SIZE --warmup $SPUB_WARMUP" ;;
        floor)     echo "--mode floor --msgs $SPUB_MSGS --size $SIZE --warmup $SPUB_WARMUP" ;;
        pull)      echo "--mode pull --msgs $PULL_MSGS --size $SIZE --batch $BATCH --ack explicit --max-pending $MAX_PENDING" ;;
        pull_all)  echo "--mode pull --msgs $PULL_MSGS --size $SIZE --batch $BATCH --ack all --max-pending $MAX_PENDING" ;;
        pull_none) echo "--mode pull --msgs $PULL_MSGS --size $SIZE --batch $BATCH --ack none --max-pending $MAX_PENDING" ;;
        slow)      echo "--mode slow --msgs $SLOW_MSGS --size $SLOW_SIZE --batch $SLOW_BATCH --slow-secs $SLOW_SECS --max-pending 256" ;;
    esac
}
msgs_for() {
    case "$1" in
        apub) echo "$APUB_MSGS" ;; spub|spub_raw|floor) echo "$SPUB_MSGS" ;; slow) echo "$SLOW_MSGS" ;;
        *) echo "$PULL_MSGS" ;;
    esac
}

FAILED=0
# run_one SIDE WORKLOAD ROUND: appends "ROUND VALUE" to $TMP/res/SIDE.WORKLOAD.KEY
run_one() {
    local side=$1 w=$2 r=$3 bin out line k v hwm
    bin=$WEIR_SERVER; [ "$side" = nats ] && bin=$NATS_SERVER
    start_server "$side" "$bin" "$w.$r"
    out=$(timeout "$RUN_TIMEOUT" "$JS_BENCH" --url "nats://127.0.0.1:$SPORT" --pid "$SPID" \
              $(args_for "$w") 2>>"$TMP/$side.client.log")
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
        echo "$r $v" >>"$TMP/res/$side.$w.$k"
    done
    [ -n "$hwm" ] && echo "$r $(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')" >>"$TMP/res/$side.$w.run_hwm_mb"
    awk -v r="$r" -v line="$line" -v n="$(msgs_for "$w")" 'BEGIN {
        m = split(line, f, " "); for (i = 1; i <= m; i++) { split(f[i], kv, "="); x[kv[1]] = kv[2] }
        if (("srv_cpu_s" in x) && x["srv_cpu_s"] >= 0) printf "%s %.4f\n", r, x["srv_cpu_s"] * 1e6 / n
    }' >>"$TMP/res/$side.$w.cpu_us"
}

echo "weir: $WEIR_SERVER"
echo "nats: $NATS_SERVER ($("$NATS_SERVER" --version 2>&1 | head -1))"
echo "load generator: $JS_BENCH; rounds $ROUNDS; workloads: $WORKLOADS"
echo "fresh server and store directory for every run; $(nproc) CPUs shared by client and server"
echo

run_rounds "$WORKLOADS"


table_header workload "rates weir/nats; latency, CPU, memory nats/weir"
for w in $WORKLOADS; do
    case "$w" in
        apub) l="apub ${SIZE}B"
            row "$l" apub msgs_per_s msgs/s 1
            row "$l" apub cpu_us "srv CPU us/msg" 0
            row "$l" apub client_cpu_s "client CPU s" -
            row "$l" apub run_hwm_mb "srv peak RSS MB" 0 ;;
        spub|spub_raw|floor) l="spub ${SIZE}B"
            [ "$w" = spub_raw ] && l="spub raw ${SIZE}B"
            [ "$w" = floor ] && l="floor ${SIZE}B"
            row "$l" "$w" ops_per_s ops/s 1
            row "$l" "$w" p50_us "p50 us" 0
            row "$l" "$w" p99_us "p99 us" 0
            row "$l" "$w" p999_us "p99.9 us" 0
            row "$l" "$w" cpu_us "srv CPU us/msg" 0 ;;
        pull|pull_all|pull_none)
            case "$w" in pull) a=explicit ;; pull_all) a=all ;; *) a=none ;; esac
            l="pull ack $a"
            row "$l" "$w" msgs_per_s msgs/s 1
            row "$l" "$w" cpu_us "srv CPU us/msg" 0
            row "$l" "$w" client_cpu_s "client CPU s" -
            row "$l" "$w" run_hwm_mb "srv peak RSS MB" 0 ;;
        slow) l="slow ${SLOW_GB}GiB"
            row "$l" slow fill_mb_per_s "fill MB/s" 1
            row "$l" slow rss_fill_peak_mb "RSS peak fill MB" 0
            row "$l" slow rss_read_peak_mb "RSS peak read MB" 0
            row "$l" slow hwm_mb "VmHWM MB" 0
            row "$l" slow read_secs "read s" - ;;
    esac
done
end_report
[ "$FAILED" = 0 ] || echo "SOME RUNS FAILED (see above)"
exit "$FAILED"
