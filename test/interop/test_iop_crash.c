/*
 * test_iop_crash.c — acknowledged messages survive a crash. A publisher drives appends through
 * a real weir-server (PUB with a reply subject, PubAck parsed from the reply) while the test
 * kills the server with SIGKILL at a random moment; then the store is opened directly and every
 * acknowledged message must be there with its subject and payload, the sequence range without
 * holes, and the state consistent. Several rounds on the same store, the server restarted in
 * between.
 */
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"
#include "test/interop/harness.h"
#include "test/testlib.h"

#define ROUNDS 6
#define MAX_MSGS 200000
#define WINDOW 2000 /* unacknowledged publishes in flight at most */

typedef struct acked {
    uint64_t seq; /* 0 = not acknowledged */
    int round;
} acked;

static acked acks[ROUNDS][MAX_MSGS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int outstanding;
static int ack_errors;

typedef struct round_ctx {
    int round;
} round_ctx;

static void on_ack(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    round_ctx *rc = closure;
    const char *subj = natsMsg_GetSubject(msg);
    const char *dot = strrchr(subj, '.');
    long n = dot ? strtol(dot + 1, NULL, 10) : -1;
    json_error_t jerr;
    json_t *j = json_loadb(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg), 0, &jerr);
    json_t *seq = j ? json_object_get(j, "seq") : NULL;
    pthread_mutex_lock(&mu);
    if (n >= 0 && n < MAX_MSGS && json_is_integer(seq) && !json_object_get(j, "error"))
        acks[rc->round][n].seq = (uint64_t)json_integer_value(seq);
    else
        ack_errors++;
    outstanding--;
    pthread_mutex_unlock(&mu);
    json_decref(j);
    natsMsg_Destroy(msg);
}

static void payload_for(int round, long n, char *buf, size_t cap)
{
    snprintf(buf, cap, "round %d message %ld: %08lx", round, n, (unsigned long)(n * 2654435761u));
}

/* Publishes until the connection breaks (the kill) or MAX_MSGS; returns how many were sent. */
static long publish_until_killed(h_server *srv, int round, int kill_after_ms)
{
    natsConnection *nc = NULL;
    char err[256];
    if (h_connect(srv, NULL, &nc, err, sizeof err) != NATS_OK)
        return -1;
    round_ctx rc = {round};
    natsSubscription *sub = NULL;
    char inbox[64];
    snprintf(inbox, sizeof inbox, "_INBOX.crash%d.*", round);
    natsConnection_Subscribe(&sub, nc, inbox, on_ack, &rc);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    natsConnection_Flush(nc);
    int64_t kill_at = h_now_ms() + kill_after_ms;
    bool killed = false;
    long n = 0;
    for (; n < MAX_MSGS; n++) {
        if (!killed && h_now_ms() >= kill_at) {
            h_server_kill(srv);
            killed = true;
        }
        for (int spins = 0;; spins++) {
            pthread_mutex_lock(&mu);
            int o = outstanding;
            pthread_mutex_unlock(&mu);
            if (o < WINDOW || killed || spins > 2000)
                break;
            h_sleep_ms(1);
        }
        char subj[64], reply[64], data[128];
        snprintf(subj, sizeof subj, "crash.%d.%ld", round, n % 7);
        snprintf(reply, sizeof reply, "_INBOX.crash%d.%ld", round, n);
        payload_for(round, n, data, sizeof data);
        pthread_mutex_lock(&mu);
        outstanding++;
        pthread_mutex_unlock(&mu);
        if (natsConnection_PublishRequestString(nc, subj, reply, data) != NATS_OK)
            break;
        if (killed && !natsConnection_IsClosed(nc) && natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED)
            break;
        if (killed && n % 256 == 0 && natsConnection_FlushTimeout(nc, 200) != NATS_OK)
            break;
    }
    if (!killed)
        h_server_kill(srv);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    pthread_mutex_lock(&mu);
    outstanding = 0;
    pthread_mutex_unlock(&mu);
    return n;
}

static h_server srv;

static void acked_messages_survive_sigkill(void)
{
    CHECK(h_server_start(&srv, NULL, "-js", NULL) == 0);
    CHECK(h_server_stop(&srv) == 0);
    {
        char err[256];
        store_options so = {.dir = srv.store, .sync_interval_ms = 120000};
        store *st = store_open(&so, err, sizeof err);
        CHECKF(st, "store_open: %s", err);
        json_error_t jerr;
        json_t *j = json_loads("{\"name\":\"CRASH\",\"subjects\":[\"crash.>\"]}", 0, &jerr);
        stream_config cfg;
        jserr e;
        CHECK(stream_config_from_json(j, &cfg, &e) == 0);
        json_decref(j);
        stream *s = NULL;
        CHECK(store_stream_create(st, &cfg, &s, &e) == 0);
        stream_config_free(&cfg);
        store_close(st);
    }
    srand(7);
    uint64_t expected_last = 0;
    for (int round = 0; round < ROUNDS; round++) {
        CHECKF(h_server_restart(&srv) == 0, "restart before round %d", round);
        long sent = publish_until_killed(&srv, round, 150 + rand() % 600);
        CHECKF(sent > 0, "round %d published nothing", round);

        char err[256];
        store_options so = {.dir = srv.store, .sync_interval_ms = 120000};
        store *st = store_open(&so, err, sizeof err);
        CHECKF(st, "round %d: store_open after SIGKILL: %s", round, err);
        stream *s = store_stream_find(st, "CRASH");
        CHECK(s);
        stream_state state;
        stream_get_state(s, &state);
        CHECKF(state.num_deleted == 0 && state.msgs == state.last_seq - state.first_seq + 1,
               "round %d: holes in the stream (first %" PRIu64 " last %" PRIu64 " msgs %" PRIu64 ")",
               round, state.first_seq, state.last_seq, state.msgs);
        CHECKF(state.last_seq >= expected_last, "round %d: last sequence went back", round);
        long nacked = 0;
        for (long n = 0; n < MAX_MSGS; n++) {
            uint64_t seq = acks[round][n].seq;
            if (!seq)
                continue;
            nacked++;
            stream_msg m;
            jserr e;
            CHECKF(stream_get(s, seq, &m, &e) == 0, "round %d: acked message %ld (seq %" PRIu64 ") lost",
                   round, n, seq);
            char want[128], subj[64];
            payload_for(round, n, want, sizeof want);
            snprintf(subj, sizeof subj, "crash.%d.%ld", round, n % 7);
            bool same = m.data_len == strlen(want) && memcmp(m.data, want, m.data_len) == 0 &&
                        m.subject_len == strlen(subj) && memcmp(m.subject, subj, m.subject_len) == 0;
            stream_msg_free(&m);
            CHECKF(same, "round %d: message %ld (seq %" PRIu64 ") has other content", round, n, seq);
        }
        printf("info: round %d: %ld published, %ld acknowledged, stream holds %" PRIu64 " (seq %" PRIu64 "..%" PRIu64 ")\n",
               round, sent, nacked, state.msgs, state.first_seq, state.last_seq);
        CHECKF(nacked > 0, "round %d: nothing was acknowledged before the kill", round);
        expected_last = state.last_seq;
        store_close(st);
    }
    CHECK(ack_errors == 0);
}

int main(void)
{
    h_init();
    RUN(acked_messages_survive_sigkill);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}
