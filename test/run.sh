#!/usr/bin/env bash
# test/run.sh — runs every test binary of a build directory and the JavaScript interop tests,
# adds up their "PASS name" / "FAIL name: why" lines, and ends with "N passed, M failed".
#
#   test/run.sh BUILDDIR            (WEIR_SERVER names the server binary the interop tests start)
#   TEST_FILTER=sublist test/run.sh build/release   runs only binaries whose name contains it
set -u
builddir=${1:-build/release}
export WEIR_SERVER=${WEIR_SERVER:-$(pwd)/$builddir/weir-server}
filter=${TEST_FILTER:-}
passed=0
failed=0
failures=()
logdir=$(mktemp -d /tmp/weir-test-logs.XXXXXX)

run_one() { # name, command...
    local name=$1; shift
    local log="$logdir/$name.log"
    local start=$SECONDS
    timeout --kill-after=10 600 "$@" >"$log" 2>&1
    local rc=$?
    local p f
    p=$(grep -c '^PASS ' "$log")
    f=$(grep -c '^FAIL ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # crashed, timed out or a sanitizer stopped it: count the binary itself as one failure
        echo "FAIL $name: exited with status $rc" >>"$log"
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    printf '%-28s %4d passed %3d failed  (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
    if [ "$f" -gt 0 ]; then
        grep '^FAIL ' "$log" | sed 's/^/    /'
        failures+=("$log")
    fi
}

for t in "$builddir"/test/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
    run_one "$name" "$t"
done

if [ -d test/js/node_modules ]; then
    for t in test/js/*.test.mjs; do
        [ -f "$t" ] || continue
        name=js_$(basename "$t" .test.mjs)
        [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
        run_one "$name" node "$t"
    done
fi

if [ "${#failures[@]}" -gt 0 ]; then
    echo
    echo "logs of failing binaries:"
    for l in "${failures[@]}"; do
        echo "== $l"
        tail -n 40 "$l"
    done
fi
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
