# bench/lib.sh — what the side-by-side scripts (js_compare.sh, kv_compare.sh, obj_compare.sh)
# share: starting a server on a fresh store and a free port, stopping it, the cleanup trap, the
# CPU accounting (server RSS, this script's CPU, the load of other processes); and through
# table.sh the interleaved rounds and the table of medians, ratios and noise bands.
# Sourced after TMP (the run directory) and CUR_PID="" are set; a script that has a stop_perf
# function gets it called at cleanup too. Uses die from the sourcing script.

stop_server() {  # stop_server PID: TERM, up to 3 s, then KILL; reap it
    local p=$1
    [ -n "$p" ] || return 0
    if kill -0 "$p" 2>/dev/null; then
        kill "$p" 2>/dev/null
        for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
    return 0
}

cleanup() {
    if declare -F stop_perf >/dev/null; then stop_perf; fi
    stop_server "$CUR_PID"
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]; }

# start_server SIDE BINARY TAG: fresh store dir, free port; sets SPID SPORT SDIR.
start_server() {
    local side=$1 bin=$2 tag=$3 attempt port pid log
    for attempt in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        port_free "$port" || continue
        SDIR=$TMP/store-$side; log=$TMP/$side.$tag.log
        rm -rf "$SDIR"; mkdir -p "$SDIR"
        "$bin" -js -sd "$SDIR" -p "$port" -a 127.0.0.1 >"$log" 2>&1 &
        pid=$!
        CUR_PID=$pid
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                sleep 0.1
                if kill -0 "$pid" 2>/dev/null; then
                    SPID=$pid; SPORT=$port
                    return 0
                fi
                break
            fi
            sleep 0.1
        done
        stop_server "$pid"; CUR_PID=""
        echo "${0##*/}: $side did not start on port $port (attempt $attempt):" >&2
        tail -5 "$log" >&2
    done
    die "could not start $side ($bin)"
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
CLK_TCK=$(getconf CLK_TCK)
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# this script and every child it reaped (servers, load generators): call between runs
own_ticks() { awk '{ print $14 + $15 + $16 + $17 }' /proc/$$/stat; }
other_load() {  # other_load BUSY0 OWN0 SECS0: % of the machine others used since
    awk -v b="$(( $(machine_busy_ticks) - $1 ))" -v o="$(( $(own_ticks) - $2 ))" \
        -v t0="$3" -v t1="$(date +%s.%N)" -v hz="$CLK_TCK" -v n="$(nproc)" \
        'BEGIN { x = (b - o) / hz / ((t1 - t0) * n) * 100; if (x < 0) x = 0; printf "%.0f", x }'
}

. "$(dirname "${BASH_SOURCE[0]}")/table.sh"
