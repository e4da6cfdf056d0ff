#!/usr/bin/env bash
# obj_compare.sh — Object Store: weir-server vs nats-server, side by side, with the
# same client for both: nats.js 2.29 (test/js/node_modules) driven by bench/obj_bench.mjs.
#
#   bench/obj_compare.sh [BUILDDIR]          (default build/release; the server is
#                                             BUILDDIR/weir-server if there, else bin/weir-server)
#
# Every run gets a fresh server: started with JetStream on a new temporary store
# directory (-js -sd DIR -p PORT -a 127.0.0.1; the default 1 MB max_payload holds
# nats.js's 128 KiB chunks, so no other option), one obj_bench.mjs run against it
# (bucket create, put of one object of SIZE bytes generated on the fly, get of it
# back with its SHA-256 checked), then the server is stopped and its directory
# removed. Within a round the two sides of a case run back to back, and the side
# that goes first swaps every round (weir nats | nats weir | ...). The table shows
# the median of each side over the rounds and the ratio weir/nats for MB/s,
# nats/weir for server CPU per MB and memory — so > 1 always means weir is better —
# plus the lowest and highest ratio of the two runs of one round (the noise band).
#
# obj_bench.mjs gets the server's PID: it reads the server's utime+stime
# (/proc/PID/stat) before and after each phase (put, get) and samples its VmRSS
# (/proc/PID/status) every 200 ms; VmHWM at the end of the run is the true peak.
# Client CPU/wall is the node process' CPU time (all threads) per second of the
# phase: near 1.0 the client is the limit, and the server CPU per MB is the figure
# that tells the servers apart.
#
# Environment (all optional): WEIR_SERVER, NATS_SERVER (nats-server on PATH,
# /usr/sbin, /usr/bin), NODE (node), ROUNDS (3), SIZES ("64M 1G"; bytes or K/M/G
# = KiB/MiB/GiB), SHA ("js": stock nats.js, which hashes with its pure-JS SHA-256;
# "node": obj_bench --node-sha, nats.js with node:crypto's SHA-256; "js node": both,
# as separate cases), PIECE (1M), RUN_TIMEOUT (seconds per run, default 600),
# KEEP=1 (keep the temporary directory: server logs, client stderr, raw lines),
# VERBOSE=1 (print every run's RESULT line).
#
# Exit status: 0 when every run succeeded, 1 when a run failed or a server died,
# 2 when the setup is wrong.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILDDIR=${1:-build/release}
if [ -z "${WEIR_SERVER:-}" ]; then
    WEIR_SERVER=$BUILDDIR/weir-server
    [ -x "$WEIR_SERVER" ] || WEIR_SERVER=$HERE/../bin/weir-server
fi
if [ -z "${NATS_SERVER:-}" ]; then
    NATS_SERVER=$(command -v nats-server 2>/dev/null || true)
    for c in /usr/sbin/nats-server /usr/bin/nats-server; do
        [ -z "$NATS_SERVER" ] && [ -x "$c" ] && NATS_SERVER=$c
    done
fi
NODE=${NODE:-node}
OBJ_BENCH=$HERE/obj_bench.mjs
ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-64M 1G}
SHA=${SHA:-js}
PIECE=${PIECE:-1M}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}

die() { echo "obj_compare.sh: $*" >&2; exit 2; }

[ -x "$WEIR_SERVER" ] || die "weir server '$WEIR_SERVER' not found (make, or set WEIR_SERVER)"
[ -n "$NATS_SERVER" ] && [ -x "$NATS_SERVER" ] || die "nats-server not found (set NATS_SERVER)"
command -v "$NODE" >/dev/null || die "node not found (set NODE)"
[ -f "$HERE/../test/js/node_modules/nats/index.js" ] || die "nats.js not installed in test/js/node_modules (cd test/js && npm ci)"
case "$ROUNDS" in ''|*[!0-9]*|0) die "ROUNDS must be a positive integer" ;; esac
bytes_of() {  # 64M -> 67108864
    awk -v s="$1" 'BEGIN {
        if (!match(s, /^[0-9]+(\.[0-9]+)?[KkMmGg]?$/)) exit 1
        m = 1; u = toupper(substr(s, length(s)))
        if (u == "K") m = 1024; else if (u == "M") m = 1048576; else if (u == "G") m = 1073741824
        if (m > 1) s = substr(s, 1, length(s) - 1)
        printf "%d", s * m }'
}
for z in $SIZES; do bytes_of "$z" >/dev/null || die "bad size '$z' in SIZES"; done
for h in $SHA; do case "$h" in js|node) ;; *) die "SHA must be js, node or both" ;; esac; done

TMP=$(mktemp -d /tmp/weir-objcompare.XXXXXX)
mkdir -p "$TMP/res"
CUR_PID=""

ROW_FMT="%-13s %-20s %9s %11s %7s %11s"
. "$(dirname "$0")/lib.sh"

CASES=""
for h in $SHA; do for z in $SIZES; do CASES="$CASES $z.$h"; done; done

FAILED=0
# run_one SIDE CASE ROUND: appends "ROUND VALUE" to $TMP/res/SIDE.CASE.KEY
run_one() {
    local side=$1 c=$2 r=$3 bin out line k v z h extra=""
    z=${c%.*}; h=${c##*.}
    [ "$h" = node ] && extra=--node-sha
    bin=$WEIR_SERVER; [ "$side" = nats ] && bin=$NATS_SERVER
    start_server "$side" "$bin" "$c.$r"
    out=$(timeout "$RUN_TIMEOUT" "$NODE" "$OBJ_BENCH" --url "nats://127.0.0.1:$SPORT" --pid "$SPID" \
              --size "$(bytes_of "$z")" --piece "$PIECE" $extra 2>>"$TMP/$side.client.log")
    if ! kill -0 "$SPID" 2>/dev/null; then
        FAILED=1
        echo "$side server died during $c round $r; its log ends:"
        tail -10 "$TMP/$side.$c.$r.log"
    fi
    stop_server "$SPID"; CUR_PID=""
    rm -rf "$SDIR"
    line=$(grep -m1 '^RESULT ' <<<"$out")
    if [ -z "$line" ]; then
        FAILED=1
        echo "$side $c round $r: FAILED: $(grep -m1 '^ERROR ' <<<"$out" || echo "no result (timeout after ${RUN_TIMEOUT}s or crash)")"
        echo 1 >>"$TMP/res/$side.$c.failures"
        return
    fi
    echo "$side $c round $r: ${line#RESULT }" >>"$TMP/raw.txt"
    [ -n "${VERBOSE:-}" ] && echo "$side $c round $r: ${line#RESULT }"
    for kv in $line; do
        k=${kv%%=*}; v=${kv#*=}
        [ "$k" = "$kv" ] && continue
        echo "$r $v" >>"$TMP/res/$side.$c.$k"
    done
    # derived: server CPU ms per MB (10^6 B) and client CPU per second of each phase
    awk -v r="$r" -v line="$line" -v d="$TMP/res/$side.$c" 'BEGIN {
        m = split(line, f, " "); for (i = 1; i <= m; i++) { split(f[i], kv, "="); x[kv[1]] = kv[2] }
        mbs = x["size"] / 1e6
        if (x["put_srv_cpu_s"] >= 0) printf "%s %.4f\n", r, x["put_srv_cpu_s"] * 1e3 / mbs >> (d ".put_cpu_ms")
        if (x["get_srv_cpu_s"] >= 0) printf "%s %.4f\n", r, x["get_srv_cpu_s"] * 1e3 / mbs >> (d ".get_cpu_ms")
        if (x["put_secs"] > 0) printf "%s %.4f\n", r, x["put_client_cpu_s"] / x["put_secs"] >> (d ".put_client")
        if (x["get_secs"] > 0) printf "%s %.4f\n", r, x["get_client_cpu_s"] / x["get_secs"] >> (d ".get_client")
    }'
}

echo "weir: $WEIR_SERVER"
echo "nats: $NATS_SERVER ($("$NATS_SERVER" --version 2>&1 | head -1))"
echo "client: $("$NODE" --version) $OBJ_BENCH, nats.js $(awk -F'"' '$2 == "version" { print $4; exit }' "$HERE/../test/js/node_modules/nats/package.json")"
echo "rounds $ROUNDS; sizes: $SIZES; SHA-256 in nats.js: $SHA; pieces of $PIECE"
echo "fresh server and store directory for every run; $(nproc) CPUs shared by client and server"
echo

run_rounds "$CASES"
echo
echo "MB = 10^6 B; srv CPU = the server's user+system time during the phase, all threads"


table_header case "MB/s weir/nats; CPU, memory nats/weir"
for c in $CASES; do
    l="${c%.*}"; [ "${c##*.}" = node ] && l="$l nodesha"
    row "$l" "$c" put_mb_per_s "put MB/s" 1
    row "$l" "$c" put_cpu_ms "put srv CPU ms/MB" 0
    row "$l" "$c" put_client "put client CPU/wall" -
    row "$l" "$c" get_mb_per_s "get MB/s" 1
    row "$l" "$c" get_cpu_ms "get srv CPU ms/MB" 0
    row "$l" "$c" get_client "get client CPU/wall" -
    row "$l" "$c" rss_start_mb "srv RSS start MB" 0
    row "$l" "$c" put_rss_peak_mb "srv RSS peak put MB" 0
    row "$l" "$c" get_rss_peak_mb "srv RSS peak get MB" 0
    row "$l" "$c" hwm_mb "srv VmHWM MB" 0
done
end_report
[ "$FAILED" = 0 ] || echo "SOME RUNS FAILED (see above)"
exit "$FAILED"
