#!/usr/bin/env bash
# compare.sh — weir-server vs nats-server, side by side, with the same libnats client.
#
#   bench/compare.sh [BUILDDIR]          (make bench runs it with build/release)
#
# Starts both servers, each on its own free port with its own temporary store
# directory, then for every workload alternates runs of the two, ROUNDS rounds:
# within a round each workload's two runs are back to back, and the side that
# goes first swaps every round (weir nats | nats weir | weir nats ...) so that
# neither side always runs right after the other's load. Then it takes the
# median of each side and prints a table of weir/nats ratios (> 1 means weir is
# better; for latencies and CPU cost the ratio is nats/weir so that > 1 still
# means weir is better) and both servers' peak RSS (VmHWM).
#
# "server CPU" is the CPU time (user + system, all threads, from
# /proc/PID/stat) the server process used during a run, divided by the
# messages (pub, pubsub) or requests (req, warm-up included) of that run. It
# is less sensitive than rates to other load on the machine.
#
# Environment (all optional):
#   WEIR_SERVER   weir binary (default BUILDDIR/weir-server). Point it at
#                 nats-server for a sanity run: every ratio should be ~1.0.
#   NATS_SERVER   reference binary (default: nats-server on PATH, /usr/sbin, /usr/bin)
#   BENCH         load generator (default BUILDDIR/bench/weir_bench)
#   ROUNDS        rounds per workload (default 7, at least 1)
#   SIZE          payload bytes for every workload (default 128)
#   PUB_MSGS PUBSUB_MSGS REQ_MSGS   messages per run (defaults 4000000, 1500000,
#                 15000: about 1-2 s each on the 2-CPU development machine)
#   REQ_WARMUP    unmeasured requests before each req run (default 1000)
#   RUN_TIMEOUT   seconds before one run is killed and counted as failed (default 120)
#   WORKLOADS     subset of "pub pubsub req" (default all three)
#   KEEP=1        keep the temporary directory (server logs, raw RESULT lines)
#
# Exit status: 0 when every run succeeded, 1 when any run failed or a server died.
set -uo pipefail

BUILDDIR=${1:-build/release}
WEIR_SERVER=${WEIR_SERVER:-$BUILDDIR/weir-server}
if [ -z "${NATS_SERVER:-}" ]; then
    NATS_SERVER=$(command -v nats-server 2>/dev/null || true)
    for c in /usr/sbin/nats-server /usr/bin/nats-server; do
        [ -z "$NATS_SERVER" ] && [ -x "$c" ] && NATS_SERVER=$c
    done
fi
BENCH=${BENCH:-$BUILDDIR/bench/weir_bench}
ROUNDS=${ROUNDS:-7}
SIZE=${SIZE:-128}
PUB_MSGS=${PUB_MSGS:-4000000}
PUBSUB_MSGS=${PUBSUB_MSGS:-1500000}
REQ_MSGS=${REQ_MSGS:-15000}
REQ_WARMUP=${REQ_WARMUP:-1000}
WORKLOADS=${WORKLOADS:-pub pubsub req}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}

die() { echo "compare.sh: $*" >&2; exit 2; }

ROW_FMT="%-12s %-16s %12s %12s %7s %11s"
. "$(dirname "$0")/table.sh"

[ -x "$WEIR_SERVER" ] || die "weir server '$WEIR_SERVER' not found or not executable (make bin/weir-server, or set WEIR_SERVER)"
[ -n "$NATS_SERVER" ] && [ -x "$NATS_SERVER" ] || die "nats-server not found (apt-get install nats-server, or set NATS_SERVER)"
[ -x "$BENCH" ] || die "load generator '$BENCH' not found (make $BUILDDIR/bench/weir_bench)"
case "$ROUNDS" in ''|*[!0-9]*|0) die "ROUNDS must be a positive integer" ;; esac
for w in $WORKLOADS; do
    case "$w" in pub|pubsub|req) ;; *) die "unknown workload '$w' (pub pubsub req)" ;; esac
done

TMP=$(mktemp -d /tmp/weir-compare.XXXXXX)
declare -A PID PORT
SIDES="weir nats"

cleanup() {
    for side in $SIDES; do
        p=${PID[$side]:-}
        if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
            kill "$p" 2>/dev/null
            for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
            kill -9 "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

# start_server SIDE BINARY: picks a free port, starts, waits until it accepts.
start_server() {
    local side=$1 bin=$2 attempt port dir log pid
    for attempt in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        port_free "$port" || continue
        dir=$TMP/$side-store; log=$TMP/$side.log
        rm -rf "$dir"; mkdir -p "$dir"
        "$bin" -a 127.0.0.1 -p "$port" -js -sd "$dir" >"$log" 2>&1 &
        pid=$!
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                # It accepts; make sure the listener is ours (the process is still alive).
                sleep 0.1
                if kill -0 "$pid" 2>/dev/null; then
                    PID[$side]=$pid; PORT[$side]=$port
                    return 0
                fi
                break
            fi
            sleep 0.1
        done
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        echo "compare.sh: $side ($bin) did not start on port $port (attempt $attempt):" >&2
        tail -5 "$log" >&2
    done
    die "could not start $side"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK=$(getconf CLK_TCK)

# CPU ticks the whole machine spent busy, and the part of it that was ours
# (both servers, this script and every process it waited for).
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
own_ticks() {
    local t=0 side
    for side in $SIDES; do t=$((t + $(cpu_ticks "${PID[$side]}"))); done
    echo $((t + $(awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat)))
}
# other_load BUSY0 OWN0 SECS0: percent of the machine used by others since then
other_load() {
    awk -v b="$(( $(machine_busy_ticks) - $1 ))" -v o="$(( $(own_ticks) - $2 ))" \
        -v t0="$3" -v t1="$(date +%s.%N)" -v hz="$CLK_TCK" -v n="$(nproc)" \
        'BEGIN { x = (b - o) / hz / ((t1 - t0) * n) * 100; if (x < 0) x = 0; printf "%.0f", x }'
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }

start_server weir "$WEIR_SERVER"
start_server nats "$NATS_SERVER"
declare -A IDLE_RSS
for side in $SIDES; do IDLE_RSS[$side]=$(status_kb "${PID[$side]}" VmRSS); done

echo "weir: $WEIR_SERVER  pid ${PID[weir]} port ${PORT[weir]}"
echo "nats: $NATS_SERVER  pid ${PID[nats]} port ${PORT[nats]} ($("$NATS_SERVER" --version 2>&1 | head -1))"
echo "load generator: $BENCH; rounds $ROUNDS; payload $SIZE B; $(nproc) CPUs shared by client and servers"
echo

FAILED=0
declare -A DEAD

args_for() {
    case "$1" in
        pub)    echo "--mode pub --msgs $PUB_MSGS --size $SIZE" ;;
        pubsub) echo "--mode pubsub --msgs $PUBSUB_MSGS --size $SIZE" ;;
        req)    echo "--mode req --msgs $REQ_MSGS --warmup $REQ_WARMUP --size $SIZE" ;;
    esac
}

msgs_for() {  # messages (or requests) the server handles in one run
    case "$1" in
        pub) echo "$PUB_MSGS" ;; pubsub) echo "$PUBSUB_MSGS" ;; req) echo $((REQ_MSGS + REQ_WARMUP)) ;;
    esac
}

# run_one SIDE WORKLOAD ROUND: one run; appends "ROUND VALUE" for each metric
# to $TMP/res/SIDE.WORKLOAD.METRIC
run_one() {
    local side=$1 w=$2 r=$3 out line k v c0 c1
    mkdir -p "$TMP/res"
    if [ -n "${DEAD[$side]:-}" ]; then return; fi
    c0=$(cpu_ticks "${PID[$side]}")
    out=$(timeout "$RUN_TIMEOUT" "$BENCH" --url "nats://127.0.0.1:${PORT[$side]}" \
              --subject "bench.$w.$r" $(args_for "$w") 2>>"$TMP/$side.client.log")
    c1=$(cpu_ticks "${PID[$side]}")
    line=$(grep -m1 '^RESULT ' <<<"$out")
    if [ -z "$line" ]; then
        FAILED=1
        echo "$side $w round $r: FAILED: $(grep -m1 '^ERROR ' <<<"$out" || echo 'no result (timeout or crash)')"
        echo "1" >>"$TMP/res/$side.$w.failures"
    else
        echo "$side $w round $r: ${line#RESULT }" >>"$TMP/raw.txt"
        for kv in $line; do
            k=${kv%%=*}; v=${kv#*=}
            [ "$k" = "$kv" ] && continue
            echo "$r $v" >>"$TMP/res/$side.$w.$k"
        done
        awk -v r="$r" -v c="$(sed -n 's/.* client_cpu_s=\([^ ]*\).*/\1/p' <<<"$line")" \
            -v w="$(sed -n 's/.* secs=\([^ ]*\).*/\1/p' <<<"$line")" \
            'BEGIN { if (w > 0) printf "%s %.4f\n", r, c / w }' >>"$TMP/res/$side.$w.client_util"
        awk -v r="$r" -v t="$((c1 - c0))" -v hz="$CLK_TCK" -v n="$(msgs_for "$w")" \
            'BEGIN { printf "%s %.4f\n", r, t / hz * 1e6 / n }' >>"$TMP/res/$side.$w.cpu_us"
    fi
    if ! kill -0 "${PID[$side]}" 2>/dev/null; then
        DEAD[$side]=1; FAILED=1
        echo "$side server died during $w round $r; its log ends:"
        tail -20 "$TMP/$side.log"
    fi
}

T0=$(date +%s.%N); B0=$(machine_busy_ticks); O0=$(own_ticks)
for r in $(seq 1 "$ROUNDS"); do
    RT0=$(date +%s.%N); RB0=$(machine_busy_ticks); RO0=$(own_ticks)
    order=$SIDES
    [ $((r % 2)) = 0 ] && order="nats weir"
    for w in $WORKLOADS; do
        for side in $order; do
            run_one "$side" "$w" "$r"
        done
    done
    echo "round $r/$ROUNDS done ($(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s;" \
         "other processes used $(other_load "$RB0" "$RO0" "$RT0")% of the CPUs)"
done


table_header workload "throughput weir/nats, latency and CPU nats/weir" \
    "client CPU/wall: CPU-seconds the load generator used per second of run (near 1.0 or more: the client may be the limit)"
for w in $WORKLOADS; do
    case "$w" in
        pub)    row "pub ${SIZE}B" pub msgs_per_s msgs/s 1
                row "pub ${SIZE}B" pub mb_per_s MB/s 1
                row "pub ${SIZE}B" pub cpu_us "srv CPU us/msg" 0
                row "pub ${SIZE}B" pub client_util "client CPU/wall" - ;;
        pubsub) row "pubsub ${SIZE}B" pubsub msgs_per_s msgs/s 1
                row "pubsub ${SIZE}B" pubsub cpu_us "srv CPU us/msg" 0
                row "pubsub ${SIZE}B" pubsub client_util "client CPU/wall" - ;;
        req)    row "req ${SIZE}B" req ops_per_s ops/s 1
                row "req ${SIZE}B" req p50_us "p50 us" 0
                row "req ${SIZE}B" req p99_us "p99 us" 0
                row "req ${SIZE}B" req p999_us "p99.9 us" 0
                row "req ${SIZE}B" req cpu_us "srv CPU us/req" 0
                row "req ${SIZE}B" req client_util "client CPU/wall" - ;;
    esac
done

echo
printf "%-14s %14s %14s\n" "memory" "idle RSS" "peak RSS"
for side in $SIDES; do
    hwm=$(status_kb "${PID[$side]}" VmHWM)
    printf "%-14s %11s MB %11s MB\n" "$side" \
        "$(awk -v k="${IDLE_RSS[$side]:-0}" 'BEGIN{printf "%.1f", k/1024}')" \
        "$( [ -n "$hwm" ] && awk -v k="$hwm" 'BEGIN{printf "%.1f", k/1024}' || echo '?')"
done
end_report
[ "$FAILED" = 0 ] || echo "SOME RUNS FAILED (see above)"
exit "$FAILED"
