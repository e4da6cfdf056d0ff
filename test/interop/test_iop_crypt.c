/*
 * test_iop_crypt.c — encryption at rest through a real weir-server. The server starts with
 * `-js` and `jetstream { key: "..." }`; a stream made through the C API on that store (with
 * the same key) captures messages published with a reply subject (PubAcks checked). Then:
 * after a stop the store opens with the key and holds every message intact, while no file of
 * the store contains a payload, subject or header in the clear; a restart with the same key
 * works and keeps appending; the key from $WEIR_JETSTREAM_KEY works when the configuration has
 * none; a wrong key, and no key at all, make the server exit at start with a clear message in
 * its output (which never shows the key); the data is still intact afterwards.
 */
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stream/stream.h"
#include "test/interop/harness.h"
#include "test/testlib.h"

#define KEY "iop-crypt: a long random secret 6b1d0e77c45a"
#define WRONG_KEY "iop-crypt: not the secret"
#define PAYLOAD_MARK "IOP-PAYLOAD-e3a90c"
#define SUBJECT_MARK "IOPSUBJ5b17"
#define HEADER_MARK "IOP-HEADER-77d2f0"
#define NMSGS 40

static h_server srv;

static const char *conf_with_key(const char *key)
{
    static char buf[256];
    if (key)
        snprintf(buf, sizeof buf, "jetstream {\n  key: \"%s\"\n}\n", key);
    else
        snprintf(buf, sizeof buf, "jetstream {\n  sync_interval: \"2m\"\n}\n");
    return buf;
}

/* Writes a reason into why and returns -1. */
static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

static store *open_store(const char *key, char *err, size_t errlen)
{
    store_options so = {.dir = srv.store, .sync_interval_ms = 120000, .key = key};
    return store_open(&so, err, errlen);
}

static void payload_of(long n, char *out, size_t cap)
{
    snprintf(out, cap, PAYLOAD_MARK " message %ld", n);
}

/* Publishes messages first..first+count-1 with a header and a reply subject; each PubAck must
 * name the stream and the next sequence. Returns 0 or -1. */
static int publish(long first, long count)
{
    natsConnection *nc = NULL;
    char err[256];
    if (h_connect(&srv, NULL, &nc, err, sizeof err) != NATS_OK) {
        fprintf(stderr, "connect: %s\n", err);
        return -1;
    }
    int rc = 0;
    for (long n = first; n < first + count && rc == 0; n++) {
        char subj[64], data[64];
        snprintf(subj, sizeof subj, "vault." SUBJECT_MARK ".%ld", n % 3);
        payload_of(n, data, sizeof data);
        natsMsg *m = NULL, *reply = NULL;
        natsStatus st = natsMsg_Create(&m, subj, NULL, data, (int)strlen(data));
        if (st == NATS_OK)
            st = natsMsgHeader_Set(m, "X-Secret", HEADER_MARK);
        if (st == NATS_OK)
            st = natsConnection_RequestMsg(&reply, nc, m, 3000);
        json_error_t jerr;
        json_t *j = st == NATS_OK ? json_loadb(natsMsg_GetData(reply),
                                                (size_t)natsMsg_GetDataLength(reply), 0, &jerr)
                                  : NULL;
        json_t *seq = j ? json_object_get(j, "seq") : NULL;
        json_t *name = j ? json_object_get(j, "stream") : NULL;
        if (!json_is_integer(seq) || json_integer_value(seq) != n + 1 || !json_is_string(name) ||
            strcmp(json_string_value(name), "VAULT") != 0) {
            fprintf(stderr, "message %ld: no PubAck for seq %ld (status %d, reply %.*s)\n", n,
                    n + 1, (int)st, reply ? natsMsg_GetDataLength(reply) : 0,
                    reply ? natsMsg_GetData(reply) : "");
            rc = -1;
        }
        json_decref(j);
        natsMsg_Destroy(reply);
        natsMsg_Destroy(m);
    }
    natsConnection_Destroy(nc);
    return rc;
}

/* Opens the store with the key and checks that it holds exactly messages 0..count-1. */
static int verify_store(long count, char *why, size_t whylen)
{
    char err[256];
    store *st = open_store(KEY, err, sizeof err);
    if (!st)
        return snprintf(why, whylen, "store_open: %s", err);
    int rc = 0;
    stream *s = store_stream_find(st, "VAULT");
    stream_state state;
    if (!s) {
        rc = fail(why, whylen, "stream VAULT is gone");
    } else if (stream_get_state(s, &state),
               state.msgs != (uint64_t)count || state.last_seq != (uint64_t)count ||
                   state.num_subjects != 3) {
        rc = fail(why, whylen, "state: msgs %" PRIu64 " last %" PRIu64 " subjects %" PRIu64
                      ", want %ld %ld 3", state.msgs, state.last_seq, state.num_subjects,
                      count, count);
    }
    for (long n = 0; rc == 0 && n < count; n++) {
        stream_msg m;
        jserr e;
        char subj[64], data[64];
        snprintf(subj, sizeof subj, "vault." SUBJECT_MARK ".%ld", n % 3);
        payload_of(n, data, sizeof data);
        if (stream_get(s, (uint64_t)n + 1, &m, &e) < 0) {
            rc = fail(why, whylen, "message %ld is missing", n);
            break;
        }
        bool same = m.subject_len == strlen(subj) && memcmp(m.subject, subj, m.subject_len) == 0 &&
                    m.data_len == strlen(data) && memcmp(m.data, data, m.data_len) == 0 &&
                    m.hdr_len > 0 && memmem(m.hdr, m.hdr_len, HEADER_MARK, strlen(HEADER_MARK));
        stream_msg_free(&m);
        if (!same)
            rc = fail(why, whylen, "message %ld has other content", n);
    }
    store_close(st);
    return rc;
}

/* ---- searching the store's files and the server's output ---- */

static int plain_hits;
static char plain_first[320];

static int scan_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    if (type != FTW_F)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char *buf = malloc((size_t)sb->st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)sb->st_size + 1, f) : 0;
    fclose(f);
    static const char *const marks[] = {PAYLOAD_MARK, SUBJECT_MARK, HEADER_MARK};
    for (size_t i = 0; buf && i < 3; i++) {
        if (memmem(buf, n, marks[i], strlen(marks[i]))) {
            if (!plain_hits++)
                snprintf(plain_first, sizeof plain_first, "%s holds %s", path, marks[i]);
            break;
        }
    }
    free(buf);
    return 0;
}

/* The server's output from byte `from` on (malloc'd, NUL-terminated), or NULL. */
static char *server_out_from(long from)
{
    FILE *f = fopen(srv.out, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    if (from > end)
        from = end;
    fseek(f, from, SEEK_SET);
    char *buf = malloc((size_t)(end - from) + 1);
    size_t n = buf ? fread(buf, 1, (size_t)(end - from), f) : 0;
    fclose(f);
    if (buf)
        buf[n] = 0;
    return buf;
}

static long server_out_size(void)
{
    struct stat sb;
    return stat(srv.out, &sb) == 0 ? (long)sb.st_size : 0;
}

/* Restarts with conf and expects the start to fail with `message` in what the server printed
 * (and neither key). 0 or -1 with why. */
static int expect_refused(const char *conf, const char *message, char *why, size_t whylen)
{
    if (h_write_file(srv.conf, conf) != 0)
        return fail(why, whylen, "cannot rewrite %s", srv.conf);
    long mark = server_out_size();
    fprintf(stderr, "(a server exiting at start-up is expected next)\n");
    if (h_server_restart(&srv) == 0) {
        h_server_stop(&srv);
        return fail(why, whylen, "the server started (expected: %s)", message);
    }
    char *out = server_out_from(mark);
    int rc = 0;
    if (!out || !strstr(out, message))
        rc = fail(why, whylen, "no \"%s\" in the server's output: %.200s", message,
                      out ? out : "(none)");
    else if (strstr(out, KEY) || strstr(out, WRONG_KEY))
        rc = fail(why, whylen, "the server printed a key");
    free(out);
    return rc;
}

static void encrypted_store_through_the_server(void)
{
    unsetenv("WEIR_JETSTREAM_KEY");
    char why[300];
    CHECK(h_server_start(&srv, conf_with_key(KEY), "-js", NULL) == 0);
    CHECK(h_server_stop(&srv) == 0);
    {
        char *out = server_out_from(0);
        bool logged = out && strstr(out, "Encryption:") && strstr(out, "key from jetstream.key");
        bool leaked = out && strstr(out, KEY);
        free(out);
        CHECKF(logged, "the server did not log that the store is encrypted");
        CHECKF(!leaked, "the server printed the key");
    }
    /* the stream, through the C API, on the store the server created with the key */
    {
        char err[256];
        store *st = open_store(KEY, err, sizeof err);
        CHECKF(st, "store_open: %s", err);
        json_error_t jerr;
        json_t *j = json_loads("{\"name\":\"VAULT\",\"subjects\":[\"vault.>\"]}", 0, &jerr);
        stream_config cfg;
        jserr e;
        CHECK(stream_config_from_json(j, &cfg, &e) == 0);
        json_decref(j);
        stream *s = NULL;
        int rc = store_stream_create(st, &cfg, &s, &e);
        stream_config_free(&cfg);
        store_close(st);
        CHECK(rc == 0);
    }
    CHECK(h_server_restart(&srv) == 0);
    CHECK(publish(0, NMSGS) == 0);
    CHECK(h_server_stop(&srv) == 0);
    CHECKF(verify_store(NMSGS, why, sizeof why) == 0, "after the first run: %s", why);
    plain_hits = 0;
    nftw(srv.store, scan_one, 16, FTW_PHYS);
    CHECKF(plain_hits == 0, "plaintext on disk: %s", plain_first);

    /* the same key again: everything is there and appends go on */
    CHECK(h_server_restart(&srv) == 0);
    CHECK(publish(NMSGS, NMSGS) == 0);
    CHECK(h_server_stop(&srv) == 0);
    CHECKF(verify_store(2 * NMSGS, why, sizeof why) == 0, "after a restart: %s", why);

    /* the key from the environment when the configuration has none */
    CHECK(h_write_file(srv.conf, conf_with_key(NULL)) == 0);
    setenv("WEIR_JETSTREAM_KEY", KEY, 1);
    long mark = server_out_size();
    int started = h_server_restart(&srv);
    unsetenv("WEIR_JETSTREAM_KEY");
    CHECK(started == 0);
    CHECK(publish(2 * NMSGS, 1) == 0);
    CHECK(h_server_stop(&srv) == 0);
    {
        char *out = server_out_from(mark);
        bool logged = out && strstr(out, "key from $WEIR_JETSTREAM_KEY");
        free(out);
        CHECKF(logged, "the server did not say the key came from the environment");
    }

    /* a wrong key, and no key: the server exits at start with a clear message */
    CHECKF(expect_refused(conf_with_key(WRONG_KEY),
                          "encryption key does not match the one this store was written with",
                          why, sizeof why) == 0, "wrong key: %s", why);
    CHECKF(expect_refused(conf_with_key(NULL), "store is encrypted: configure jetstream.key",
                          why, sizeof why) == 0, "no key: %s", why);
    CHECKF(verify_store(2 * NMSGS + 1, why, sizeof why) == 0, "after the refused starts: %s", why);
}

int main(void)
{
    h_init();
    RUN(encrypted_store_through_the_server);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}
