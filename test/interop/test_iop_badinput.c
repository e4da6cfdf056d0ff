/*
 * test_iop_badinput.c — malformed client protocol over raw sockets. For each bad input the
 * test asserts the exact bytes the server answers (nats-server 2.9's wording, observed) and
 * whether it closes the connection; after each case a libnats "witness" client, connected the
 * whole time, must still publish and receive normally.
 *
 * What nats-server does, in short: errors it reports with -ERR and closes for are unknown
 * operations (including MSG from a client and a payload not followed by CRLF), control lines
 * over 4096 bytes ("maximum control line exceeded", lower case), payloads over max_payload, and
 * no_responders without headers. Malformed arguments of PUB/HPUB/SUB (missing or non-numeric
 * size, wrong argument count) and a CONNECT that is not JSON close the connection without any
 * -ERR. Invalid subjects in SUB, and in PUB when pedantic, get -ERR and the connection stays
 * open (a pedantic PUB to an invalid subject is even delivered after its -ERR). Bytes that are
 * not UTF-8 in subjects are accepted and routed as they are.
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

static h_server srv;
static natsConnection *witness;

#define DEFAULT_CONNECT                                                                    \
    "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"       \
    "\"protocol\":1}"
#define PEDANTIC_CONNECT                                                                   \
    "{\"verbose\":false,\"pedantic\":true,\"headers\":true,\"no_responders\":true,"        \
    "\"protocol\":1}"

enum { STAYS_OPEN = 0, CLOSES = 1 };

/* One exchange on a fresh connection. connect_json NULL: send input right after INFO, without
 * CONNECT. With STAYS_OPEN, "PING\r\n" follows the input and everything up to the PONG must
 * equal expect (which then ends in "PONG\r\n"); with CLOSES, everything until the server
 * closes must equal expect. */
static int exchange_alt(const char *connect_json, const void *input, size_t n,
                        const char *expect, const char *alt, int closes, char *why, size_t cap)
{
    h_raw *r = calloc(1, sizeof *r);
    char *got = malloc(8192), *line = malloc(8192);
    char e1[300], e2[300], in[120];
    int rc = -1;
    bool closed = false;
    if (!r || !got || !line)
        goto out;
    if (connect_json) {
        if (h_raw_handshake(r, srv.port, connect_json, NULL, 0) != 0) {
            snprintf(why, cap, "handshake failed");
            goto out;
        }
    } else {
        if (h_raw_open(r, srv.port, 0) != 0 || h_raw_readline(r, line, 8192, 3000) < 5 ||
            strncmp(line, "INFO ", 5) != 0) {
            snprintf(why, cap, "no INFO");
            goto out;
        }
    }
    if (h_raw_send(r, input, n) != 0) {
        snprintf(why, cap, "send failed");
        goto out;
    }
    if (closes) {
        h_raw_read_until(r, got, 8192, NULL, 3000, &closed);
    } else {
        /* read up to a PONG, and on until as many bytes as expected (the input may hold
         * PINGs of its own) */
        h_raw_sends(r, "PING\r\n");
        size_t have = 0, want = strlen(expect);
        if (alt && strlen(alt) > want)
            want = strlen(alt);
        int64_t deadline = h_now_ms() + 3000;
        do {
            int left = (int)(deadline - h_now_ms());
            have += h_raw_read_until(r, got + have, 8192 - have, "PONG\r\n", left > 0 ? left : 0,
                                     &closed);
            if (strcmp(got, expect) == 0 || (alt && strcmp(got, alt) == 0))
                break;
        } while (have < want && have < 8000 && !closed && h_now_ms() < deadline);
    }
    h_escape(input, n < 60 ? n : 60, in, sizeof in);
    if (alt && strcmp(got, alt) == 0)
        expect = alt;
    if (strcmp(got, expect) != 0) {
        snprintf(why, cap, "after '%s': got '%s', want '%s'", in,
                 h_escape(got, strlen(got), e1, sizeof e1),
                 h_escape(expect, strlen(expect), e2, sizeof e2));
        goto out;
    }
    if (closes && !closed) {
        snprintf(why, cap, "after '%s': connection not closed", in);
        goto out;
    }
    if (!closes && (closed || h_raw_ping(r, 2000) != 0)) {
        snprintf(why, cap, "after '%s': connection closed", in);
        goto out;
    }
    rc = 0;
out:
    if (r)
        h_raw_close(r);
    free(r);
    free(got);
    free(line);
    return rc;
}

static int exchange(const char *connect_json, const void *input, size_t n, const char *expect,
                    int closes, char *why, size_t cap)
{
    return exchange_alt(connect_json, input, n, expect, NULL, closes, why, cap);
}

static int witness_ok(char *why, size_t cap)
{
    if (!witness || h_nc_roundtrip(witness, "iop.bad.witness") != 0) {
        snprintf(why, cap, "witness client can no longer publish/receive");
        return -1;
    }
    return 0;
}

#define EX(cj, text, expect, closes)                                                       \
    do {                                                                                   \
        if (exchange((cj), (text), sizeof(text) - 1, (expect), (closes), why, sizeof why)) \
            goto fail;                                                                     \
    } while (0)

#define CASE_END()                                                                         \
    if (witness_ok(why, sizeof why) == 0)                                                  \
        return;                                                                            \
    fail:                                                                                  \
    CHECKF(0, "%.450s", why)

static void unknown_operation(void)
{
    char why[512];
    EX(DEFAULT_CONNECT, "FOO\r\n", "-ERR 'Unknown Protocol Operation'\r\n", CLOSES);
    EX(DEFAULT_CONNECT, "FOO bar baz\r\n", "-ERR 'Unknown Protocol Operation'\r\n", CLOSES);
    EX(NULL, "FOO\r\n", "-ERR 'Unknown Protocol Operation'\r\n", CLOSES); /* before CONNECT */
    EX(DEFAULT_CONNECT, "MSG foo 1 2\r\nhi\r\n", "-ERR 'Unknown Protocol Operation'\r\n",
       CLOSES);
    EX(DEFAULT_CONNECT, "\r\n", "-ERR 'Unknown Protocol Operation'\r\n", CLOSES);
    CASE_END();
}

static char longline[8192];

static void control_line_too_long(void)
{
    char why[512];
    /* "PUB " + 4097 argument bytes, no line end: refused as soon as it is seen */
    memcpy(longline, "PUB ", 4);
    memset(longline + 4, 'a', 4097);
    if (exchange(DEFAULT_CONNECT, longline, 4 + 4097, "-ERR 'maximum control line exceeded'\r\n",
                 CLOSES, why, sizeof why))
        goto fail;
    memcpy(longline, "SUB ", 4);
    memset(longline + 4, 'b', 5000);
    if (exchange(DEFAULT_CONNECT, longline, 4 + 5000, "-ERR 'maximum control line exceeded'\r\n",
                 CLOSES, why, sizeof why))
        goto fail;
    /* with a line end too */
    memcpy(longline, "PUB ", 4);
    memset(longline + 4, 'c', 4095);
    memcpy(longline + 4 + 4095, " 0\r\n\r\n", 6); /* argument of 4097 bytes */
    if (exchange(DEFAULT_CONNECT, longline, 4 + 4097 + 4, "-ERR 'maximum control line exceeded'\r\n",
                 CLOSES, why, sizeof why))
        goto fail;
    /* an argument of exactly 4096 bytes is still fine */
    memset(longline + 4, 'd', 4094);
    memcpy(longline + 4 + 4094, " 0\r\n\r\n", 6);
    if (exchange(DEFAULT_CONNECT, longline, 4 + 4096 + 4, "PONG\r\n", STAYS_OPEN, why,
                 sizeof why))
        goto fail;
    CASE_END();
}

static void pedantic_publish_subject(void)
{
    char why[512];
    EX(PEDANTIC_CONNECT, "PUB foo..bar 0\r\n\r\n", "-ERR 'Invalid Publish Subject'\r\nPONG\r\n",
       STAYS_OPEN);
    EX(PEDANTIC_CONNECT, "PUB foo.* 0\r\n\r\n", "-ERR 'Invalid Publish Subject'\r\nPONG\r\n",
       STAYS_OPEN);
    EX(PEDANTIC_CONNECT, "PUB foo.> 0\r\n\r\n", "-ERR 'Invalid Publish Subject'\r\nPONG\r\n",
       STAYS_OPEN);
    EX(PEDANTIC_CONNECT, "PUB .foo 2\r\nhi\r\n", "-ERR 'Invalid Publish Subject'\r\nPONG\r\n",
       STAYS_OPEN);
    /* nats-server sends the -ERR but then delivers the message all the same (processPub has
     * no return after sendErr, still so in 2.12); a server that drops it is accepted too */
    static const char ped_pub[] = "SUB iop.bad.ped.> 1\r\nPUB iop.bad.ped.* 2\r\nhi\r\n";
    if (exchange_alt(PEDANTIC_CONNECT, ped_pub, sizeof ped_pub - 1,
                     "-ERR 'Invalid Publish Subject'\r\nMSG iop.bad.ped.* 1 2\r\nhi\r\nPONG\r\n",
                     "-ERR 'Invalid Publish Subject'\r\nPONG\r\n", STAYS_OPEN, why, sizeof why))
        goto fail;
    /* valid subjects in pedantic mode are fine */
    EX(PEDANTIC_CONNECT, "SUB iop.bad.ped.x 1\r\nPUB iop.bad.ped.x 2\r\nhi\r\n",
       "MSG iop.bad.ped.x 1 2\r\nhi\r\nPONG\r\n", STAYS_OPEN);
    /* without pedantic the server does not check publish subjects */
    EX(DEFAULT_CONNECT, "PUB foo..bar 0\r\n\r\n", "PONG\r\n", STAYS_OPEN);
    CASE_END();
}

static void subscribe_invalid_subject(void)
{
    char why[512];
    EX(DEFAULT_CONNECT, "SUB foo..bar 1\r\n", "-ERR 'Invalid Subject'\r\nPONG\r\n", STAYS_OPEN);
    EX(DEFAULT_CONNECT, "SUB foo. 1\r\n", "-ERR 'Invalid Subject'\r\nPONG\r\n", STAYS_OPEN);
    EX(DEFAULT_CONNECT, "SUB .foo 1\r\n", "-ERR 'Invalid Subject'\r\nPONG\r\n", STAYS_OPEN);
    EX(DEFAULT_CONNECT, "SUB foo.>.bar 1\r\n", "-ERR 'Invalid Subject'\r\nPONG\r\n", STAYS_OPEN);
    EX(PEDANTIC_CONNECT, "SUB foo..bar 1\r\n", "-ERR 'Invalid Subject'\r\nPONG\r\n", STAYS_OPEN);
    /* the refused subscription does not exist: the next one with the same sid works */
    EX(DEFAULT_CONNECT, "SUB a..b 1\r\nSUB iop.bad.sub 1\r\nPUB iop.bad.sub 1\r\nz\r\n",
       "-ERR 'Invalid Subject'\r\nMSG iop.bad.sub 1 1\r\nz\r\nPONG\r\n", STAYS_OPEN);
    CASE_END();
}

static void non_utf8_subject(void)
{
    char why[512];
    /* nats-server does not validate UTF-8: the bytes are a subject like any other */
    EX(DEFAULT_CONNECT, "SUB iop.bad.\xff\xfe 1\r\nPUB iop.bad.\xff\xfe 2\r\nhi\r\n",
       "MSG iop.bad.\xff\xfe 1 2\r\nhi\r\nPONG\r\n", STAYS_OPEN);
    EX(PEDANTIC_CONNECT, "SUB iop.bad.\xc3\x28.x 1\r\nPUB iop.bad.\xc3\x28.x 2\r\nhi\r\n",
       "MSG iop.bad.\xc3\x28.x 1 2\r\nhi\r\nPONG\r\n", STAYS_OPEN);
    /* and valid UTF-8 too */
    EX(PEDANTIC_CONNECT, "SUB iop.bad.\xc3\xa9t\xc3\xa9 1\r\nPUB iop.bad.\xc3\xa9t\xc3\xa9 0\r\n\r\n",
       "MSG iop.bad.\xc3\xa9t\xc3\xa9 1 0\r\n\r\nPONG\r\n", STAYS_OPEN);
    CASE_END();
}

/* The next message of sub must be `data` (nothing before it). */
static int next_is(natsSubscription *sub, const char *data)
{
    natsMsg *m = NULL;
    int ok = natsSubscription_NextMsg(&m, sub, 3000) == NATS_OK &&
             natsMsg_GetDataLength(m) == (int)strlen(data) &&
             memcmp(natsMsg_GetData(m), data, strlen(data)) == 0;
    natsMsg_Destroy(m);
    return ok;
}

static void half_sent_pub(void)
{
    char why[512] = "";
    natsSubscription *sub = NULL;
    h_raw *r = calloc(1, sizeof *r);
    char got[256];
    bool closed = false;
    size_t n = 99;
    int quiet = 0, clean = 0, clean2 = 0;
    CHECK(witness && r);
    if (natsConnection_SubscribeSync(&sub, witness, "iop.bad.half") == NATS_OK &&
        natsConnection_Flush(witness) == NATS_OK &&
        h_raw_handshake(r, srv.port, NULL, NULL, 0) == 0) {
        /* control line and 3 of 10 payload bytes: the server waits for the rest */
        h_raw_sends(r, "PUB iop.bad.half 10\r\nhel");
        n = h_raw_read_until(r, got, sizeof got, NULL, 300, &closed);
        quiet = n == 0 && !closed;
        h_raw_close(r);
        natsConnection_PublishString(witness, "iop.bad.half", "sentinel");
        natsConnection_Flush(witness);
        clean = next_is(sub, "sentinel"); /* no partial message was delivered */
        /* half a control line, then gone */
        if (h_raw_handshake(r, srv.port, NULL, NULL, 0) == 0) {
            h_raw_sends(r, "PUB iop.bad.ha");
            h_raw_close(r);
            natsConnection_PublishString(witness, "iop.bad.half", "sentinel2");
            natsConnection_Flush(witness);
            clean2 = next_is(sub, "sentinel2");
        }
    }
    natsSubscription_Destroy(sub);
    free(r);
    CHECKF(quiet, "server answered %zu bytes (closed=%d) to a half-sent PUB", n, closed);
    CHECKF(clean, "a partial message was delivered");
    CHECK(clean2);
    CHECK(witness_ok(why, sizeof why) == 0);
}

static void pub_bad_size(void)
{
    char why[512];
    /* nats-server logs "processPub Bad or Missing Size" and closes without -ERR */
    EX(DEFAULT_CONNECT, "PUB foo abc\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "PUB foo -1\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "PUB foo 2x\r\nhi\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "PUB foo 99999999999999999999\r\n", "", CLOSES);
    CASE_END();
}

static void pub_payload_longer_than_declared(void)
{
    char why[512] = "";
    natsSubscription *sub = NULL;
    int fail = 0, clean = 0;
    CHECK(witness);
    CHECK(natsConnection_SubscribeSync(&sub, witness, "iop.bad.long") == NATS_OK);
    CHECK(natsConnection_Flush(witness) == NATS_OK);
    /* after the declared 2 bytes the server wants CRLF */
    fail = exchange(DEFAULT_CONNECT, "PUB iop.bad.long 2\r\nhello\r\n", 27u,
                    "-ERR 'Unknown Protocol Operation'\r\n", CLOSES, why, sizeof why);
    if (!fail)
        fail = exchange(DEFAULT_CONNECT, "PUB iop.bad.long 2\r\nhiPING\r\n", 28,
                        "-ERR 'Unknown Protocol Operation'\r\n", CLOSES, why, sizeof why);
    if (!fail)
        fail = exchange(DEFAULT_CONNECT, "PUB iop.bad.long 0\r\nPING\r\n", 26,
                        "-ERR 'Unknown Protocol Operation'\r\n", CLOSES, why, sizeof why);
    if (!fail) {
        natsConnection_PublishString(witness, "iop.bad.long", "sentinel");
        natsConnection_Flush(witness);
        clean = next_is(sub, "sentinel"); /* "he", "hi", "" were not delivered */
    }
    natsSubscription_Destroy(sub);
    CHECKF(!fail, "%.450s", why);
    CHECKF(clean, "the message with a bad payload end was delivered");
    CHECK(witness_ok(why, sizeof why) == 0);
}

static void wrong_argument_count(void)
{
    char why[512];
    EX(DEFAULT_CONNECT, "PUB\r\n", "-ERR 'Unknown Protocol Operation'\r\n", CLOSES);
    EX(DEFAULT_CONNECT, "PUB foo\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "PUB a b c 2\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "SUB foo\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "SUB foo a b 7\r\n", "", CLOSES);
    EX(DEFAULT_CONNECT, "HPUB foo 10 5\r\n", "", CLOSES); /* header size > total size */
    CASE_END();
}

static void bad_connect(void)
{
    char why[512];
    EX(NULL, "CONNECT {bad\r\n", "", CLOSES);
    EX(NULL,
       "CONNECT {\"verbose\":false,\"headers\":false,\"no_responders\":true}\r\n",
       "-ERR 'no responders requires headers support'\r\n", CLOSES);
    /* HPUB without headers negotiated in CONNECT */
    EX("{\"verbose\":false,\"headers\":false}", "HPUB foo 12 12\r\nNATS/1.0\r\n\r\n\r\n", "",
       CLOSES);
    CASE_END();
}

static void tolerated_input(void)
{
    char why[512];
    /* UNSUB of a sid that does not exist, or with a max that is not a number: ignored */
    EX(DEFAULT_CONNECT, "UNSUB 99\r\n", "PONG\r\n", STAYS_OPEN);
    EX(DEFAULT_CONNECT, "UNSUB abc\r\n", "PONG\r\n", STAYS_OPEN);
    /* operation names are case-insensitive; tabs and repeated spaces separate arguments;
     * a bare LF ends a line */
    EX(DEFAULT_CONNECT, "ping\r\n", "PONG\r\nPONG\r\n", STAYS_OPEN);
    EX(DEFAULT_CONNECT, "PiNg\n", "PONG\r\nPONG\r\n", STAYS_OPEN);
    EX(DEFAULT_CONNECT, "sub\tiop.bad.tab\t1\r\npub  iop.bad.tab   2\r\nhi\r\n",
       "MSG iop.bad.tab 1 2\r\nhi\r\nPONG\r\n", STAYS_OPEN);
    CASE_END();
}

int main(void)
{
    h_init();
    if (h_server_start(&srv, NULL, NULL) == 0) {
        char err[256];
        if (h_connect(&srv, NULL, &witness, err, sizeof err) != NATS_OK)
            fprintf(stderr, "witness connect: %s\n", err);
    }
    RUN(unknown_operation);
    RUN(control_line_too_long);
    RUN(pedantic_publish_subject);
    RUN(subscribe_invalid_subject);
    RUN(non_utf8_subject);
    RUN(half_sent_pub);
    RUN(pub_bad_size);
    RUN(pub_payload_longer_than_declared);
    RUN(wrong_argument_count);
    RUN(bad_connect);
    RUN(tolerated_input);
    natsConnection_Destroy(witness);
    if (testlib_failed_cases)
        h_server_dump(&srv, 20);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}
