#!/usr/bin/env bash
# Run the core-protocol tests of the nats.c client's own test suite against one or more
# NATS servers (by default Debian's nats-server and weir-server) and compare the results.
#
# Usage: run.sh NATSC_SRC_DIR NATSC_BUILD_DIR [TEST_NAME ...]
#
#   NATSC_SRC_DIR    nats.c source tree (holds test/list_test.txt, test/permissions.conf, ...)
#   NATSC_BUILD_DIR  its cmake build tree (holds bin/testsuite), e.g. configured with
#                    cmake -DNATS_BUILD_STREAMING=OFF -DNATS_BUILD_EXAMPLES=OFF <src> && make -j2 testsuite
#   TEST_NAME ...    optional: run only these tests (default: the core list below)
#
# Environment:
#   SERVERS       space-separated server executables to compare
#                 (default: "/usr/sbin/nats-server <repo>/bin/weir-server")
#   TEST_TIMEOUT  seconds per test invocation (default 60)
#   OUT_DIR       where per-test logs and results.tsv go (default /tmp/natsc-compat/out)
#   TEST_SET      core (default): core-protocol tests that start a real server;
#                 micro: the services framework tests (core request/reply);
#                 out-of-scope: tests needing cluster routes, accounts or TLS;
#                 js: JetStream*, KeyValue*, ObjectStore*; all: every one of these
#   INCLUDE_OUT_OF_SCOPE=1  with TEST_SET=core, also run the out-of-scope tests
#
# Nothing is fetched or installed. The tests use fixed ports (1222-1226, 4222-4224, 4443, 5222-5224,
# 6222-6224, 8232, 22222-22224): nothing else may listen there, and runs cannot be parallel.
# Each test is one invocation `testsuite NAME`, run from NATSC_SRC_DIR/test as ctest does; it
# passes when its output contains "ALL PASSED"; SKIP when it passed only by skipping itself
# (its first step is "Skipping since requires server version of at least ...").
# Server logs: the test passes "-l server.log" to the server; a thin wrapper hard-links that file to
# OUT_DIR/<server>/<test>.server.log so it survives the test, which deletes server.log (needs OUT_DIR on the same file system as
# NATSC_SRC_DIR; otherwise no server log is kept). `timeout` stops a hung test together with
# the servers it forked (same process group).
set -u

if [ $# -lt 2 ]; then
    sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 2
fi
SRC=$(cd "$1" && pwd) || exit 2
BLD=$(cd "$2" && pwd) || exit 2
shift 2

HERE=$(cd "$(dirname "$0")" && pwd)
TESTSUITE="$BLD/bin/testsuite"
[ -x "$TESTSUITE" ] || TESTSUITE="$BLD/test/testsuite"
[ -x "$TESTSUITE" ] || { echo "no testsuite binary under $BLD/bin or $BLD/test" >&2; exit 2; }
[ -f "$SRC/test/list_test.txt" ] || { echo "$SRC is not a nats.c source tree" >&2; exit 2; }

# weir-server: the first bin/weir-server found in this script's directory or above it, else PATH.
DEFAULT_WEIR=""
d="$HERE"
while [ -n "$d" ] && [ "$d" != / ]; do
    [ -x "$d/bin/weir-server" ] && { DEFAULT_WEIR="$d/bin/weir-server"; break; }
    d=$(dirname "$d")
done
[ -z "$DEFAULT_WEIR" ] && DEFAULT_WEIR=$(command -v weir-server 2>/dev/null || true)
SERVERS=${SERVERS:-"/usr/sbin/nats-server $DEFAULT_WEIR"}
TEST_TIMEOUT=${TEST_TIMEOUT:-60}
OUT_DIR=${OUT_DIR:-/tmp/natsc-compat/out}
mkdir -p "$OUT_DIR"

# Core-protocol tests that start a real server (mock-server and client-only unit tests are
# left out: they do not exercise the server). Not here: Micro*, JetStream*, KeyValue*,
# ObjectStore* (sets below), SSL* (TLS), Stan* (streaming).
CORE_TESTS="
AssignSubToDispatch AsyncErrHandlerMaxPendingBytes AsyncErrHandlerMaxPendingMsgs
AsyncErrHandlerSubDestroyed AsyncSubscribe AsyncSubscriberOnClose AsyncSubscriberStarvation
AsyncSubscribeTimeout AsyncSubscriptionPending AsyncSubscriptionPendingDrain
Auth AuthFailNoDisconnectCB AuthFailToReconnect AuthServers AuthToken AuthTokenHandler
AutoUnsubNoUnsubOnDestroy BadSubject BasicClusterReconnect BasicReconnectFunctionality
ClientAsyncAutoUnsub ClientAutoUnsubAndReconnect ClientSyncAutoUnsub ClosedConnections
CloseDisconnectedCB CloseSubRelease ConnCloseBreaksReconnectLoop ConnClosedCB ConnCloseDoesFlush
ConnectedServer ConnectionStatus ConnectionToWithNullURLs ConnectionWithNullOptions
ConnectToWithMultipleURLs ConnectVerboseOption ConnSign CustomInbox CustomReconnectDelay
DefaultConnection DoubleUnsubscribe DrainConn DrainConnReqReply DrainSub
DrainSubNotResentOnReconnect DrainSubRaceOnAutoUnsub DrainSubStops EventLoop
EventLoopRetryOnFailedConnect ExtendedReconnectFunctionality Flush FlushInCb FlusherWait
ForcedReconnect GetClientIP GetLocalIPAndPort GetName GetRTT HeadersAndSubPendingBytes
HeadersBasic HotSpotReconnect IgnoreAuthErrorAbort InvalidSubsArgs IPResolutionOrder IsClosed
IsReconnectingAndStatus IsValidSubscriber MessageBufferPadding MultipleClose natsMsgsFilter
natsSock_ConnectTcp natsSock_IPOrder natsThreadStartedCB NextMsgCallOnAsyncSub
NextMsgOnClosedSub NoDoubleConnClosedOnDrain NoEcho NoFlusherIfSendAsap NoPartialOnReconnect
NoResponders OldRequest OpenCloseAndWait ParseStateReconnectFunctionality
PendingLimitsDeliveredAndDropped PendingLimitsWithSyncSub PermViolation PingReconnect
ProperFalloutAfterMaxAttempts ProperReconnectDelay ProxyConnectCb PublishMsg PubSubWithReply
QueueSubscriber QueueSubsOnReconnect ReconnectAllowedFlags ReconnectBufSize
ReconnectDisallowedFlags ReconnectFailsPendingRequest ReconnectJitter
ReconnectServerStats ReconnectThreadLeak ReconnectWithTokenHandler ReplyArg Request
RequestClose RequestNoBody RequestPool RequestTimeout RetryOnFailedConnect SendMsg
ServersOption ServersRandomize ServerStopDisconnectedCB SimplePublish SimplePublishNoData
SimultaneousRequest SlowAsyncSubscriber SlowConsumerCB SlowSubscriber Stats
StopReconnectAfterTwoAuthErr SubBadSubjectAndQueueName SubOnComplete
SubRemovedWhileProcessingMsg SyncReplyArg SyncSubscribe SyncSubscriptionPending
SyncSubscriptionPendingDrain TimeoutOnNoServer Unsubscribe UseDefaultURLIfNoServerSpecified
UserCredsCallbacks UserCredsFromFiles UserCredsFromMemory
"
# Need cluster routes (-cluster/-routes) or TLS, which weir does not have.
OUT_OF_SCOPE_TESTS="
DiscoveredServersCb GetClientID GetDiscoveredServers GetServers IgnoreDiscoveredServers
ServerPoolUpdatedOnClusterUpdate ReconnectImplicitUserInfo EventLoopTLS SimplifiedURLs
"

# Services framework (micro): request/reply on core NATS only, no JetStream.
MICRO_TESTS=$(sed -n 's/^_test(\(Micro[A-Za-z_]*\))$/\1/p' "$SRC/test/list_test.txt")
# JetStream, Key-Value, Object Store (weir: not implemented yet). Some are client-only unit tests
# (JetStreamUnmarshal*, JetStreamMarshal*, JetStreamConvertDirectMsg), many are gated on the
# announced server version and then SKIP.
JS_TESTS=$(sed -n 's/^_test(\(\(JetStream\|KeyValue\|ObjectStore\)[A-Za-z0-9_]*\))$/\1/p' "$SRC/test/list_test.txt")

if [ $# -gt 0 ]; then
    TESTS="$*"
else
    case "${TEST_SET:-core}" in
        core)         TESTS="$CORE_TESTS" ;;
        micro)        TESTS="$MICRO_TESTS" ;;
        js)           TESTS="$JS_TESTS" ;;
        out-of-scope) TESTS="$OUT_OF_SCOPE_TESTS" ;;
        all)          TESTS="$CORE_TESTS $MICRO_TESTS $OUT_OF_SCOPE_TESTS $JS_TESTS" ;;
        *) echo "TEST_SET must be core, micro, js, out-of-scope or all" >&2; exit 2 ;;
    esac
    [ "${INCLUDE_OUT_OF_SCOPE:-0}" = 1 ] && [ "${TEST_SET:-core}" = core ] && TESTS="$TESTS $OUT_OF_SCOPE_TESTS"
fi

# Refuse to run when a test port is taken: results would be meaningless.
busy=""
for p in 1222 1223 1224 1226 4222 4443 4223 4224 5222 5223 5224 6222 6223 6224 8232 22222 22223 22224; do
    if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then busy="$busy $p"; fi
done
if [ -n "$busy" ]; then
    echo "ports in use:$busy -- stop whatever listens there first" >&2
    exit 2
fi

RESULTS="$OUT_DIR/results.tsv"
: > "$RESULTS"
summary=""

for exe in $SERVERS; do
    [ -x "$exe" ] || { echo "server $exe not executable, skipped" >&2; continue; }
    sname=$(basename "$exe")
    sdir="$OUT_DIR/$sname"
    mkdir -p "$sdir"
    # The announced version gates version-dependent tests (NATS_TEST_SERVER_VERSION): take
    # the last "vX.Y.Z" that `exe --version` prints.
    ver=$("$exe" --version 2>&1 | grep -o 'v[0-9][0-9]*\.[0-9][0-9]*\.[0-9][0-9]*' | tail -1)
    # Wrapper: keeps the server log under OUT_DIR instead of the test's server.log.
    wrap="$sdir/server-wrapper.sh"
    cat > "$wrap" <<EOF
#!/bin/sh
# Generated by run.sh: run $exe unchanged, but first hard-link the test's server.log (in the
# current directory) to NATSC_COMPAT_LOG so the log survives the test's own remove().
if [ -n "\${NATSC_COMPAT_LOG:-}" ]; then
    [ -e server.log ] || : > server.log
    [ -e "\$NATSC_COMPAT_LOG" ] || ln server.log "\$NATSC_COMPAT_LOG" 2>/dev/null || true
fi
exec "$exe" "\$@"
EOF
    chmod +x "$wrap"
    pass=0; fail=0; skip=0; failed_list=""
    echo "== $exe (announced ${ver:-unknown}) =="
    for t in $TESTS; do
        log="$sdir/$t.log"
        slog="$sdir/$t.server.log"
        rm -f "$slog" "$SRC/test/server.log"
        start=$(date +%s)
        ( cd "$SRC/test" && \
          NATS_TEST_SERVER_EXE="$wrap" \
          NATS_TEST_SERVER_VERSION="nats-server: ${ver:-v0.0.0}" \
          NATSC_COMPAT_LOG="$slog" \
          timeout -k 5 "$TEST_TIMEOUT" "$TESTSUITE" "$t" ) > "$log" 2>&1
        rc=$?
        # a failed test leaves its JetStream store and generated configuration files behind
        rm -rf "$SRC"/test/datastore_* "$SRC"/test/conf_*
        secs=$(( $(date +%s) - start ))
        if grep -q "ALL PASSED" "$log" && grep -q "^[^#]*#01 Skipping since requires server version" "$log"; then
            # gated on NATS_TEST_SERVER_VERSION: the whole test was skipped
            res=SKIP; skip=$((skip+1))
        elif grep -q "ALL PASSED" "$log"; then
            res=PASS; pass=$((pass+1))
        else
            if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then res=TIMEOUT; else res=FAIL; fi
            fail=$((fail+1)); failed_list="$failed_list $t"
        fi
        printf '%s\t%s\t%s\t%s\n' "$sname" "$t" "$res" "$secs" >> "$RESULTS"
        printf '  %-52s %-7s %3ss\n' "$t" "$res" "$secs"
        # A timed-out test may leave its servers behind; stop the ones it started.
        if [ "$res" = TIMEOUT ]; then
            sleep 1
        fi
    done
    line="$sname: $pass passed, $fail failed"
    [ $skip -gt 0 ] && line="$line, $skip skipped (server version too old for the test)"
    [ -n "$failed_list" ] && line="$line  (failed:$failed_list)"
    echo "$line"
    summary="$summary$line
"
done

echo
echo "== summary (logs and results.tsv in $OUT_DIR) =="
printf '%s' "$summary"

# Side-by-side table of the tests whose result differs, when more than one server ran.
if [ "$(cut -f1 "$RESULTS" | sort -u | wc -l)" -gt 1 ]; then
    echo
    awk -F'\t' '
        { if (!($1 in seen)) { seen[$1]=1; srv[++ns]=$1 }
          if (!($2 in tseen)) { tseen[$2]=1; tst[++nt]=$2 }
          r[$1 SUBSEP $2]=$3 }
        END {
          nd=0
          for (j=1;j<=nt;j++) {
            diff=0; for (i=2;i<=ns;i++) if (r[srv[i] SUBSEP tst[j]] != r[srv[1] SUBSEP tst[j]]) diff=1
            if (!diff) continue
            if (!nd++) {
              print "tests whose result differs:"
              printf "%-52s", "test"; for (i=1;i<=ns;i++) printf " %-14s", srv[i]; printf "\n"
            }
            printf "%-52s", tst[j]; for (i=1;i<=ns;i++) printf " %-14s", r[srv[i] SUBSEP tst[j]]; printf "\n"
          }
          if (!nd) print "all servers gave the same results"
        }' "$RESULTS"
fi
