/*
 * test_iop_reconnect.c — a libnats client survives a server restart on the same port: the
 * disconnected and reconnected callbacks fire, subscriptions made before the restart are
 * re-established by the client and deliver again, new subscriptions and request/reply work,
 * and messages published while the server was down (buffered by the client) arrive after.
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#include <pthread.h>

typedef struct events {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int disconnected, reconnected, closed;
} events;

static events ev = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static void on_disconnected(natsConnection *nc, void *closure)
{
    events *e = closure;
    pthread_mutex_lock(&e->mu);
    e->disconnected++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

static void on_reconnected(natsConnection *nc, void *closure)
{
    events *e = closure;
    pthread_mutex_lock(&e->mu);
    e->reconnected++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

static void on_closed(natsConnection *nc, void *closure)
{
    events *e = closure;
    pthread_mutex_lock(&e->mu);
    e->closed++;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

/* Waits until *counter >= want, up to timeout_ms. Returns the final count. */
static int wait_count(events *e, int *counter, int want, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    pthread_mutex_lock(&e->mu);
    while (*counter < want && h_now_ms() < end) {
        pthread_mutex_unlock(&e->mu);
        h_sleep_ms(5); /* portable enough, and no clock juggling for cond timed waits */
        pthread_mutex_lock(&e->mu);
    }
    int v = *counter;
    pthread_mutex_unlock(&e->mu);
    return v;
}

static natsStatus connect_reconnecting(const h_server *s, natsConnection **nc)
{
    h_conn_opts o = {.allow_reconnect = true};
    natsOptions *opts = h_opts(s, &o);
    if (!opts)
        return NATS_ERR;
    natsStatus st = natsOptions_SetMaxReconnect(opts, 1000);
    if (st == NATS_OK)
        st = natsOptions_SetReconnectWait(opts, 50);
    if (st == NATS_OK)
        st = natsOptions_SetReconnectJitter(opts, 10, 10);
    if (st == NATS_OK)
        st = natsOptions_SetDisconnectedCB(opts, on_disconnected, &ev);
    if (st == NATS_OK)
        st = natsOptions_SetReconnectedCB(opts, on_reconnected, &ev);
    if (st == NATS_OK)
        st = natsOptions_SetClosedCB(opts, on_closed, &ev);
    if (st == NATS_OK)
        st = natsConnection_Connect(nc, opts);
    natsOptions_Destroy(opts);
    return st;
}

static void responder(natsConnection *c, natsSubscription *sub, natsMsg *msg, void *closure)
{
    if (natsMsg_GetReply(msg))
        natsConnection_PublishString(c, natsMsg_GetReply(msg), "pong");
    natsMsg_Destroy(msg);
}

static bool next_is(natsSubscription *sub, const char *data, int timeout_ms)
{
    natsMsg *m = NULL;
    bool ok = natsSubscription_NextMsg(&m, sub, timeout_ms) == NATS_OK &&
              natsMsg_GetDataLength(m) == (int)strlen(data) &&
              memcmp(natsMsg_GetData(m), data, strlen(data)) == 0;
    natsMsg_Destroy(m);
    return ok;
}

static void reconnect_after_restart(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, NULL, "-js", NULL) == 0);
    int port = s.port;
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL, *svc = NULL;
    natsMsg *reply = NULL;
    int step = 0;
    int disc = 0, reco = 0, same_port = 0, before = 0, after = 0, buffered = 0, newsub = 0;
    int req_ok = 0, connected = 0;
    natsStatus st = connect_reconnecting(&s, &nc);
    if (st != NATS_OK)
        goto done;
    step = 1;
    if (natsConnection_SubscribeSync(&sub, nc, "iop.rc") != NATS_OK ||
        natsConnection_Subscribe(&svc, nc, "iop.rc.svc", responder, NULL) != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK)
        goto done;
    step = 2;
    natsConnection_PublishString(nc, "iop.rc", "before");
    natsConnection_Flush(nc);
    before = next_is(sub, "before", 2000);

    if (h_server_stop(&s) != 0)
        goto done;
    step = 3;
    disc = wait_count(&ev, &ev.disconnected, 1, 5000) >= 1;
    /* published while down: libnats keeps it in its reconnect buffer */
    natsConnection_PublishString(nc, "iop.rc", "while-down");

    if (h_server_restart(&s) != 0)
        goto done;
    step = 4;
    same_port = s.port == port;
    reco = wait_count(&ev, &ev.reconnected, 1, 10000) >= 1;
    if (!reco)
        goto done;
    step = 5;
    natsConnection_Flush(nc);
    buffered = next_is(sub, "while-down", 3000);
    natsConnection_PublishString(nc, "iop.rc", "after");
    natsConnection_Flush(nc);
    after = next_is(sub, "after", 3000);
    newsub = h_nc_roundtrip(nc, "iop.rc.new") == 0;
    if (natsConnection_RequestString(&reply, nc, "iop.rc.svc", "ping", 3000) == NATS_OK)
        req_ok = natsMsg_GetDataLength(reply) == 4 && !memcmp(natsMsg_GetData(reply), "pong", 4);
    connected = natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED;
done:
    natsMsg_Destroy(reply);
    natsSubscription_Destroy(sub);
    natsSubscription_Destroy(svc);
    natsConnection_Destroy(nc);
    if (step < 5)
        h_server_dump(&s, 15);
    h_server_free(&s);
    CHECKF(st == NATS_OK, "connect: %s", natsStatus_GetText(st));
    CHECKF(step >= 2, "subscribe failed (step %d)", step);
    CHECK(before);
    CHECKF(step >= 3, "server did not stop on SIGINT");
    CHECKF(disc, "disconnected callback not called");
    CHECKF(step >= 4, "server did not restart");
    CHECK(same_port);
    CHECKF(reco, "reconnected callback not called within 10 s");
    CHECKF(buffered, "message published while disconnected was not delivered after reconnect");
    CHECKF(after, "old subscription does not deliver after reconnect");
    CHECKF(newsub, "new subscription after reconnect does not work");
    CHECKF(req_ok, "request/reply after reconnect failed");
    CHECK(connected);
}

/* Twice in a row, and a kill -9 instead of a clean stop: the client does not care how the
 * server went away. */
static void reconnect_after_kill(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, NULL, NULL) == 0);
    pthread_mutex_lock(&ev.mu);
    ev.disconnected = ev.reconnected = 0;
    pthread_mutex_unlock(&ev.mu);
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    int ok_rounds = 0;
    natsStatus st = connect_reconnecting(&s, &nc);
    if (st == NATS_OK)
        st = natsConnection_SubscribeSync(&sub, nc, "iop.rk");
    if (st == NATS_OK)
        st = natsConnection_Flush(nc);
    for (int round = 1; st == NATS_OK && round <= 2; round++) {
        h_server_kill(&s);
        if (wait_count(&ev, &ev.disconnected, round, 5000) < round)
            break;
        if (h_server_restart(&s) != 0)
            break;
        if (wait_count(&ev, &ev.reconnected, round, 10000) < round)
            break;
        char data[32];
        snprintf(data, sizeof data, "round-%d", round);
        natsConnection_PublishString(nc, "iop.rk", data);
        natsConnection_Flush(nc);
        if (!next_is(sub, data, 3000))
            break;
        ok_rounds++;
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    h_server_free(&s);
    CHECKF(st == NATS_OK, "%s", natsStatus_GetText(st));
    CHECKF(ok_rounds == 2, "only %d of 2 kill/restart rounds worked (disc %d, reco %d)",
           ok_rounds, ev.disconnected, ev.reconnected);
}

int main(void)
{
    h_init();
    RUN(reconnect_after_restart);
    RUN(reconnect_after_kill);
    h_done();
    TESTLIB_EXIT();
}
