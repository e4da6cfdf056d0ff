/*
 * test_iop_protocol.c — the NATS client protocol byte for byte over raw sockets: the INFO
 * greeting (fields and JSON types, jetstream, auth_required, nonce), verbose mode, PING/PONG,
 * UNSUB with a maximum, MSG and HMSG framing, the no-responders status message, headers
 * stripped for clients that did not ask for them, pipelining and a PUB split into one-byte
 * writes. Expected bytes are what nats-server 2.9 sends.
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#include <jansson.h>

static h_server srv; /* started with -js */

#define DEFAULT_CONNECT                                                                    \
    "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"       \
    "\"protocol\":1}"

/* Sends text on a handshaken connection and checks that everything the server sends back, up
 * to and including the PONG of a PING appended here, equals expect (without that PONG). */
static int conv(h_raw *r, const char *text, size_t n, const char *expect, size_t elen,
                char *why, size_t cap)
{
    char got[8192], want[8192], e1[400], e2[400];
    if (elen + 7 > sizeof want) {
        snprintf(why, cap, "expectation too long");
        return -1;
    }
    memcpy(want, expect, elen);
    memcpy(want + elen, "PONG\r\n", 7);
    bool closed = false;
    if (h_raw_send(r, text, n) != 0 || h_raw_sends(r, "PING\r\n") != 0) {
        snprintf(why, cap, "send failed");
        return -1;
    }
    size_t have = 0, wlen = elen + 6;
    int64_t deadline = h_now_ms() + 3000;
    do {
        int left = (int)(deadline - h_now_ms());
        have += h_raw_read_until(r, got + have, sizeof got - have, "PONG\r\n",
                                 left > 0 ? left : 0, &closed);
    } while (have < wlen && have < sizeof got - 100 && !closed && h_now_ms() < deadline);
    if (have != wlen || memcmp(got, want, wlen) != 0) {
        snprintf(why, cap, "got '%s' (closed=%d), want '%s'",
                 h_escape(got, have < sizeof got ? have : sizeof got - 1, e1, sizeof e1), closed,
                 h_escape(want, wlen, e2, sizeof e2));
        return -1;
    }
    return 0;
}

#define CONV(r, text, expect)                                                              \
    do {                                                                                   \
        if (conv((r), (text), sizeof(text) - 1, (expect), sizeof(expect) - 1, why,         \
                 sizeof why) != 0)                                                         \
            goto fail;                                                                     \
    } while (0)

/* INFO of a fresh connection as JSON (NULL on failure); the raw line (after "INFO ") goes to
 * line when not NULL. */
static json_t *fetch_info(const h_server *s, char *line, size_t cap)
{
    h_raw *r = calloc(1, sizeof *r);
    char *buf = malloc(16384);
    json_t *j = NULL;
    if (r && buf && h_raw_open(r, s->port, 0) == 0) {
        int n = h_raw_readline(r, buf, 16384, 3000);
        if (n > 6 && strncmp(buf, "INFO {", 6) == 0) {
            json_error_t err;
            j = json_loads(buf + 5, JSON_DISABLE_EOF_CHECK, &err);
            if (line)
                snprintf(line, cap, "%s", buf + 5);
        }
    }
    if (r)
        h_raw_close(r);
    free(r);
    free(buf);
    return j;
}

static void info_fields(void)
{
    char line[4096] = "";
    json_t *j = fetch_info(&srv, line, sizeof line);
    json_t *j2 = fetch_info(&srv, NULL, 0);
    CHECKF(j && j2, "INFO line missing or not JSON: '%.300s'", line);
    const char *strings[] = {"server_id", "server_name", "version", "go", "host", "client_ip"};
    const char *missing = NULL;
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
        json_t *v = json_object_get(j, strings[i]);
        if (!json_is_string(v) || json_string_length(v) == 0)
            missing = strings[i];
    }
    const char *ints[] = {"proto", "port", "max_payload", "client_id"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (!json_is_integer(json_object_get(j, ints[i])))
            missing = ints[i];
    char version[64] = "";
    if (json_string_value(json_object_get(j, "version")))
        snprintf(version, sizeof version, "%s", json_string_value(json_object_get(j, "version")));
    int major = -1, minor = -1, patch = -1;
    sscanf(version, "%d.%d.%d", &major, &minor, &patch);
    json_int_t proto = json_integer_value(json_object_get(j, "proto"));
    json_int_t port = json_integer_value(json_object_get(j, "port"));
    json_int_t maxp = json_integer_value(json_object_get(j, "max_payload"));
    json_int_t cid1 = json_integer_value(json_object_get(j, "client_id"));
    json_int_t cid2 = json_integer_value(json_object_get(j2, "client_id"));
    const char *host = json_string_value(json_object_get(j, "host"));
    const char *ip = json_string_value(json_object_get(j, "client_ip"));
    int headers = json_is_true(json_object_get(j, "headers"));
    int js = json_is_true(json_object_get(j, "jetstream"));
    json_t *auth = json_object_get(j, "auth_required");
    int no_auth = !auth || json_is_false(auth);
    int host_ok = host && strcmp(host, "127.0.0.1") == 0;
    int ip_ok = ip && strcmp(ip, "127.0.0.1") == 0;
    json_decref(j);
    json_decref(j2);
    CHECKF(!missing, "INFO field %s missing or of the wrong type: %.300s", missing, line);
    CHECKF(major == 2 && minor >= 9 && patch >= 0, "version '%.40s'", version);
    CHECKF(proto == 1, "proto %lld", (long long)proto);
    CHECKF(port == srv.port, "port %lld, listening on %d", (long long)port, srv.port);
    CHECKF(maxp == 1048576, "max_payload %lld (default is 1 MB)", (long long)maxp);
    CHECKF(cid1 > 0 && cid2 > 0 && cid1 != cid2, "client_id %lld then %lld", (long long)cid1,
           (long long)cid2);
    CHECK(host_ok);
    CHECK(ip_ok);
    CHECKF(headers, "headers is not true");
    CHECKF(js, "jetstream is not true with -js");
    CHECKF(no_auth, "auth_required without auth configured");
}

static void info_auth_and_nonce(void)
{
    h_server a = {0}, plain = {0}, nk = {0};
    char seed[59], pub[57], conf[256];
    json_t *ja = NULL, *jp = NULL, *jn1 = NULL, *jn2 = NULL;
    int started = h_server_start(&a, NULL, "--user", "u", "--pass", "p", NULL) == 0 &&
                  h_server_start(&plain, NULL, NULL) == 0 && h_nkey_user_keypair(seed, pub) == 0;
    if (started) {
        snprintf(conf, sizeof conf, "authorization { users = [ {nkey: \"%s\"} ] }\n", pub);
        started = h_server_start(&nk, conf, NULL) == 0;
    }
    if (started) {
        ja = fetch_info(&a, NULL, 0);
        jp = fetch_info(&plain, NULL, 0);
        jn1 = fetch_info(&nk, NULL, 0);
        jn2 = fetch_info(&nk, NULL, 0);
    }
    int auth_ok = ja && json_is_true(json_object_get(ja, "auth_required"));
    json_t *pjs = jp ? json_object_get(jp, "jetstream") : NULL;
    int plain_ok = jp && (!pjs || json_is_false(pjs));
    json_t *pauth = jp ? json_object_get(jp, "auth_required") : NULL;
    int plain_noauth = jp && (!pauth || json_is_false(pauth));
    const char *n1 = jn1 ? json_string_value(json_object_get(jn1, "nonce")) : NULL;
    const char *n2 = jn2 ? json_string_value(json_object_get(jn2, "nonce")) : NULL;
    int nonce_ok = n1 && n2 && strlen(n1) >= 8 && strcmp(n1, n2) != 0;
    int nk_auth = jn1 && json_is_true(json_object_get(jn1, "auth_required"));
    json_decref(ja);
    json_decref(jp);
    json_decref(jn1);
    json_decref(jn2);
    h_server_free(&a);
    h_server_free(&plain);
    h_server_free(&nk);
    CHECK(started);
    CHECKF(auth_ok, "auth_required not true with --user/--pass");
    CHECKF(plain_ok, "jetstream announced without -js");
    CHECKF(plain_noauth, "auth_required announced without auth");
    CHECKF(nonce_ok, "nonce missing, short or repeated with NKEY users");
    CHECKF(nk_auth, "auth_required not true with NKEY users");
}

static void verbose_mode(void)
{
    h_raw *r = calloc(1, sizeof *r);
    char why[1024] = "", line[4096];
    CHECK(r);
    if (h_raw_open(r, srv.port, 0) != 0 || h_raw_readline(r, line, sizeof line, 3000) < 5) {
        snprintf(why, sizeof why, "no INFO");
        goto fail;
    }
    CONV(r, "CONNECT {\"verbose\":true,\"pedantic\":false,\"headers\":true,\"protocol\":1}\r\n",
         "+OK\r\n");
    CONV(r, "SUB iop.v 1\r\n", "+OK\r\n");
    /* +OK for the PUB comes before the message it delivers */
    CONV(r, "PUB iop.v 2\r\nhi\r\n", "+OK\r\nMSG iop.v 1 2\r\nhi\r\n");
    CONV(r, "HPUB iop.v 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
         "+OK\r\nHMSG iop.v 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    CONV(r, "UNSUB 1\r\n", "+OK\r\n");
    CONV(r, "PUB iop.v 2\r\nhi\r\n", "+OK\r\n");
    CONV(r, "", ""); /* PING alone: just PONG, no +OK */
    h_raw_close(r);
    free(r);
    return;
fail:
    h_raw_close(r);
    free(r);
    CHECKF(0, "%.450s", why);
}

static void ping_pong(void)
{
    h_raw *r = calloc(1, sizeof *r);
    char why[1024] = "";
    CHECK(r);
    if (h_raw_handshake(r, srv.port, DEFAULT_CONNECT, NULL, 0) != 0) {
        snprintf(why, sizeof why, "handshake failed");
        goto fail;
    }
    CONV(r, "PING\r\nPING\r\nPING\r\n", "PONG\r\nPONG\r\nPONG\r\n");
    /* a PONG from the client (answer to a server PING) is accepted silently */
    CONV(r, "PONG\r\n", "");
    h_raw_close(r);
    free(r);
    return;
fail:
    h_raw_close(r);
    free(r);
    CHECKF(0, "%.450s", why);
}

static void unsub_max(void)
{
    h_raw *r = calloc(1, sizeof *r);
    char why[1024] = "";
    CHECK(r);
    if (h_raw_handshake(r, srv.port, DEFAULT_CONNECT, NULL, 0) != 0) {
        snprintf(why, sizeof why, "handshake failed");
        goto fail;
    }
    CONV(r, "SUB iop.um 1\r\nUNSUB 1 2\r\n", "");
    CONV(r, "PUB iop.um 1\r\na\r\nPUB iop.um 1\r\nb\r\nPUB iop.um 1\r\nc\r\n",
         "MSG iop.um 1 1\r\na\r\nMSG iop.um 1 1\r\nb\r\n");
    CONV(r, "PUB iop.um 1\r\nd\r\n", "");
    /* a max at or below what was already delivered ends the subscription at once */
    CONV(r, "SUB iop.um2 2\r\nPUB iop.um2 1\r\na\r\nPUB iop.um2 1\r\nb\r\nUNSUB 2 1\r\n"
            "PUB iop.um2 1\r\nc\r\n",
         "MSG iop.um2 2 1\r\na\r\nMSG iop.um2 2 1\r\nb\r\n");
    /* UNSUB with max 0 is a plain UNSUB */
    CONV(r, "SUB iop.um3 3\r\nUNSUB 3 0\r\nPUB iop.um3 1\r\na\r\n", "");
    h_raw_close(r);
    free(r);
    return;
fail:
    h_raw_close(r);
    free(r);
    CHECKF(0, "%.450s", why);
}

static void message_framing(void)
{
    h_raw *r = calloc(1, sizeof *r), *old = calloc(1, sizeof *old);
    char why[1024] = "";
    CHECK(r && old);
    if (h_raw_handshake(r, srv.port, DEFAULT_CONNECT, NULL, 0) != 0 ||
        h_raw_handshake(old, srv.port, "{\"verbose\":false,\"headers\":false,\"protocol\":1}",
                        NULL, 0) != 0) {
        snprintf(why, sizeof why, "handshake failed");
        goto fail;
    }
    /* reply subjects, queue subscriptions, empty and binary payloads */
    CONV(r, "SUB iop.f 1\r\nPUB iop.f r.1 2\r\nhi\r\n", "MSG iop.f 1 r.1 2\r\nhi\r\n");
    CONV(r, "PUB iop.f 0\r\n\r\n", "MSG iop.f 1 0\r\n\r\n");
    CONV(r, "PUB iop.f 6\r\na\r\n\0b\n\r\n", "MSG iop.f 1 6\r\na\r\n\0b\n\r\n");
    CONV(r, "UNSUB 1\r\nSUB iop.fq grp 7\r\nPUB iop.fq 2\r\nhi\r\n", "MSG iop.fq 7 2\r\nhi\r\n");
    /* headers: HPUB -> HMSG with identical header block and sizes */
    CONV(r, "SUB iop.h 2\r\nHPUB iop.h reply.x 24 29\r\nNATS/1.0\r\nA: b\r\nA: c\r\n\r\nhello\r\n",
         "HMSG iop.h 2 reply.x 24 29\r\nNATS/1.0\r\nA: b\r\nA: c\r\n\r\nhello\r\n");
    CONV(r, "HPUB iop.h 12 12\r\nNATS/1.0\r\n\r\n\r\n", "HMSG iop.h 2 12 12\r\nNATS/1.0\r\n\r\n\r\n");
    /* a client that did not announce headers gets HPUBs as MSG with the payload only */
    CONV(old, "SUB iop.hs 1\r\n", "");
    CONV(r, "HPUB iop.hs 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", "");
    CONV(old, "", "MSG iop.hs 1 2\r\nhi\r\n");
    h_raw_close(r);
    h_raw_close(old);
    free(r);
    free(old);
    return;
fail:
    h_raw_close(r);
    h_raw_close(old);
    free(r);
    free(old);
    CHECKF(0, "%.450s", why);
}

static void no_responders_status(void)
{
    h_raw *r = calloc(1, sizeof *r), *q = calloc(1, sizeof *q);
    char why[1024] = "";
    CHECK(r && q);
    if (h_raw_handshake(r, srv.port, DEFAULT_CONNECT, NULL, 0) != 0 ||
        h_raw_handshake(q, srv.port, "{\"verbose\":false,\"headers\":true,\"protocol\":1}", NULL,
                        0) != 0) {
        snprintf(why, sizeof why, "handshake failed");
        goto fail;
    }
    /* exact status message: a header block with status 503 and no payload, sent on the
     * requester's reply subscription */
    CONV(r, "SUB _INBOX.nr 3\r\nPUB iop.nobody _INBOX.nr 2\r\nhi\r\n",
         "HMSG _INBOX.nr 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
    CONV(r, "PUB iop.nobody _INBOX.nr 0\r\n\r\n", "HMSG _INBOX.nr 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
    CONV(r, "HPUB iop.nobody _INBOX.nr 18 18\r\nNATS/1.0\r\nX: y\r\n\r\n\r\n",
         "HMSG _INBOX.nr 3 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
    /* the reply subscription may be a wildcard (libnats' and nats.go's response muxers) */
    CONV(r, "SUB _INBOX.mux.* 4\r\nPUB iop.nobody _INBOX.mux.a1 2\r\nhi\r\n",
         "HMSG _INBOX.mux.a1 4 16 16\r\nNATS/1.0 503\r\n\r\n\r\n");
    /* without a publish-side reply subject, or without a subscription on it: nothing */
    CONV(r, "PUB iop.nobody 2\r\nhi\r\n", "");
    CONV(r, "PUB iop.nobody _INBOX.unsubscribed 2\r\nhi\r\n", "");
    /* a client that did not ask for no_responders gets nothing */
    CONV(q, "SUB _INBOX.q 1\r\nPUB iop.nobody _INBOX.q 2\r\nhi\r\n", "");
    /* with a responder the request is delivered, and no 503 comes */
    CONV(q, "SUB iop.somebody 2\r\n", "");
    CONV(r, "PUB iop.somebody _INBOX.nr 2\r\nhi\r\n", "");
    CONV(q, "", "MSG iop.somebody 2 _INBOX.nr 2\r\nhi\r\n");
    h_raw_close(r);
    h_raw_close(q);
    free(r);
    free(q);
    return;
fail:
    h_raw_close(r);
    h_raw_close(q);
    free(r);
    free(q);
    CHECKF(0, "%.450s", why);
}

static int send_bytewise(h_raw *r, const char *text)
{
    for (size_t i = 0; text[i]; i++) {
        if (h_raw_send(r, text + i, 1) != 0)
            return -1;
        h_sleep_ms(1);
    }
    return 0;
}

static void split_writes(void)
{
    h_raw *r = calloc(1, sizeof *r);
    char why[1024] = "";
    CHECK(r);
    if (h_raw_handshake(r, srv.port, DEFAULT_CONNECT, NULL, 0) != 0) {
        snprintf(why, sizeof why, "handshake failed");
        goto fail;
    }
    if (send_bytewise(r, "SUB iop.split 1\r\nPUB iop.split 5\r\nhello\r\n") != 0 ||
        send_bytewise(r, "HPUB iop.split r 17 19\r\nNATS/1.0\r\nA:b\r\n\r\nhi\r\n") != 0) {
        snprintf(why, sizeof why, "send failed");
        goto fail;
    }
    CONV(r, "", "MSG iop.split 1 5\r\nhello\r\nHMSG iop.split 1 r 17 19\r\nNATS/1.0\r\nA:b\r\n\r\nhi\r\n");
    /* and the whole CONNECT of a fresh connection byte by byte */
    h_raw_close(r);
    char line[4096];
    if (h_raw_open(r, srv.port, 0) != 0 || h_raw_readline(r, line, sizeof line, 3000) < 5) {
        snprintf(why, sizeof why, "no INFO");
        goto fail;
    }
    if (send_bytewise(r, "CONNECT " DEFAULT_CONNECT "\r\nSUB s 9\r\nPUB s 1\r\nx\r\n") != 0) {
        snprintf(why, sizeof why, "send failed");
        goto fail;
    }
    CONV(r, "", "MSG s 9 1\r\nx\r\n");
    h_raw_close(r);
    free(r);
    return;
fail:
    h_raw_close(r);
    free(r);
    CHECKF(0, "%.450s", why);
}

static void pipelined(void)
{
    h_raw *r = calloc(1, sizeof *r);
    char *in = malloc(65536), *want = malloc(65536);
    char why[1024] = "";
    CHECK(r && in && want);
    size_t ni = 0, nw = 0;
    ni += (size_t)sprintf(in + ni, "SUB iop.p.a 1\r\nSUB iop.p.b 2\r\n");
    for (int i = 0; i < 500; i++) {
        char c = (char)('a' + (i & 1));
        ni += (size_t)sprintf(in + ni, "PUB iop.p.%c %d\r\n%d\r\n", c, i < 10 ? 1 : i < 100 ? 2 : 3,
                              i);
        nw += (size_t)sprintf(want + nw, "MSG iop.p.%c %d %d\r\n%d\r\n", c, 1 + (i & 1),
                              i < 10 ? 1 : i < 100 ? 2 : 3, i);
    }
    int ok = h_raw_handshake(r, srv.port, DEFAULT_CONNECT, NULL, 0) == 0 &&
             h_raw_send(r, in, ni) == 0 && h_raw_sends(r, "PING\r\n") == 0;
    char *got = malloc(nw + 7);
    int match = 0;
    if (ok && got) {
        memcpy(want + nw, "PONG\r\n", 7);
        match = h_raw_read_n(r, got, nw + 6, 5000) == 0 && memcmp(got, want, nw + 6) == 0;
    }
    h_raw_close(r);
    free(r);
    free(in);
    free(want);
    free(got);
    (void)why;
    CHECK(ok);
    CHECKF(match, "500 pipelined PUBs did not come back as the exact 500 MSGs in order");
}

int main(void)
{
    h_init();
    if (h_server_start(&srv, NULL, "-js", NULL) != 0)
        fprintf(stderr, "server did not start\n");
    RUN(info_fields);
    RUN(info_auth_and_nonce);
    RUN(verbose_mode);
    RUN(ping_pong);
    RUN(unsub_max);
    RUN(message_framing);
    RUN(no_responders_status);
    RUN(split_writes);
    RUN(pipelined);
    if (testlib_failed_cases)
        h_server_dump(&srv, 20);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}
