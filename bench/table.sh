# bench/table.sh — the side-by-side scripts' rounds and result table: ROUNDS interleaved rounds
# (run_rounds, which calls the script's run_one), the medians of both sides from
# $TMP/res/SIDE.ITEM.KEY files of "ROUND VALUE" lines, their ratio (above 1: weir is better),
# the rounds' noise band, and the closing report. Sourced by lib.sh, and by compare.sh alone.
# Needs machine_busy_ticks, own_ticks and other_load (lib.sh or compare.sh).
# run_rounds ITEMS: ROUNDS rounds of run_one SIDE ITEM ROUND for every item, both sides back to
# back, the side that goes first alternating per round; sets T0, B0, O0 for end_report.
run_rounds() {
    local r order it side
    T0=$(date +%s.%N); B0=$(machine_busy_ticks); O0=$(own_ticks)
    for r in $(seq 1 "$ROUNDS"); do
        RT0=$(date +%s.%N); RB0=$(machine_busy_ticks); RO0=$(own_ticks)
        order="weir nats"
        [ $((r % 2)) = 0 ] && order="nats weir"
        for it in $1; do
            for side in $order; do run_one "$side" "$it" "$r"; done
        done
        echo "round $r/$ROUNDS done ($(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s;" \
             "other processes used $(other_load "$RB0" "$RO0" "$RT0")% of the CPUs)"
    done
}

median() {  # median of the values in file $1 ("ROUND VALUE" lines), or empty
    [ -s "$1" ] || return 0
    awk '{ print $2 }' "$1" | sort -g | awk '{a[NR]=$1} END { if (NR%2) printf "%.6g", a[(NR+1)/2]; else printf "%.6g", (a[NR/2]+a[NR/2+1])/2 }'
}
fmt() {  # a number for the table, or FAILED when there is none
    if [ -z "$1" ]; then echo "FAILED"; else awk -v x="$1" 'BEGIN {
        if (x >= 1e6) printf "%.3fM", x/1e6; else if (x >= 1e4) printf "%.1fk", x/1e3; else if (x >= 10) printf "%.1f", x; else printf "%.3f", x }'; fi
}
round_ratios() {  # round_ratios WEIR_FILE NATS_FILE HIGHER_IS_BETTER: "lo-hi" of the rounds' ratios
    [ -s "$1" ] && [ -s "$2" ] || { echo "-"; return; }
    awk -v h="$3" 'NR == FNR { w[$1] = $2; next }
        ($1 in w) && $2 > 0 && w[$1] > 0 {
            x = (h == 1) ? w[$1] / $2 : $2 / w[$1]
            if (n == 0 || x < lo) lo = x; if (n == 0 || x > hi) hi = x; n++ }
        END { if (n) printf "%.2f-%.2f", lo, hi; else print "-" }' "$1" "$2"
}

# The table's columns (printf widths): the first two columns vary by script.
ROW_FMT=${ROW_FMT:-"%-17s %-17s %11s %11s %7s %11s"}

# table_header FIRST_COLUMN RATIO_TEXT [NOTE]: the explanation (and a note) and the column heads
table_header() {
    echo
    echo "medians of $ROUNDS rounds; ratio > 1 means weir is better ($2)"
    echo "per round: lowest-highest ratio of the two back-to-back runs of one round (the noise band)"
    [ -n "${3:-}" ] && echo "$3"
    # shellcheck disable=SC2059
    printf "$ROW_FMT\n" "$1" metric weir nats-server ratio "per round"
    # shellcheck disable=SC2059
    printf "$ROW_FMT\n" "$(echo "$1" | tr '[:alnum:]_ ' '-')" ------ ---- ----------- ----- ---------
}

# row LABEL ITEM KEY UNIT HIGHER_IS_BETTER(1|0|-): medians of both sides from $TMP/res, the ratio
# (above 1: weir is better) and the rounds' band
row() {
    local label=$1 it=$2 m=$3 unit=$4 hib=$5 a b ratio="-" range="-" fa fb
    a=$(median "$TMP/res/weir.$it.$m"); b=$(median "$TMP/res/nats.$it.$m")
    fa=$( [ -s "$TMP/res/weir.$it.failures" ] && wc -l <"$TMP/res/weir.$it.failures" || echo 0)
    fb=$( [ -s "$TMP/res/nats.$it.failures" ] && wc -l <"$TMP/res/nats.$it.failures" || echo 0)
    if [ "$hib" != "-" ] && [ -n "$a" ] && [ -n "$b" ]; then
        ratio=$(awk -v a="$a" -v b="$b" -v h="$hib" 'BEGIN {
            if (h == 1) { if (b > 0) printf "%.2f", a / b; else print "-" }
            else        { if (a > 0) printf "%.2f", b / a; else print "-" } }')
        range=$(round_ratios "$TMP/res/weir.$it.$m" "$TMP/res/nats.$it.$m" "$hib")
    fi
    # shellcheck disable=SC2059
    printf "$ROW_FMT" "$label" "$unit" "$(fmt "$a")" "$(fmt "$b")" "$ratio" "$range"
    [ "$fa$fb" != "00" ] && printf "   (failed runs: weir %s, nats %s)" "$fa" "$fb"
    printf "\n"
}

# end_report: the load of other processes over the whole benchmark and the total time
end_report() {
    echo
    OTHER=$(other_load "$B0" "$O0" "$T0")
    echo "other processes used $OTHER% of the CPUs during the benchmark$( [ "$OTHER" -ge 5 ] && echo ' -- figures are skewed, rerun on a quiet machine')"
    echo "total time: $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b-a}') s"
}
