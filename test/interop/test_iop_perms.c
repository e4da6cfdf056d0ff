/*
 * test_iop_perms.c — per-user publish/subscribe permissions on the wire, against one server
 * started with a users list that has permissions (and default_permissions):
 *
 *   - a denied PUB gets exactly "-ERR 'Permissions Violation for Publish to "SUBJ"'", is not
 *     delivered, gets no +OK, and the connection stays open;
 *   - a denied SUB gets "-ERR 'Permissions Violation for Subscription to "SUBJ"'" (with
 *     " using queue "Q"" for a queue subscription) and is not registered;
 *   - libnats reports both through the async error callback as NATS_NOT_PERMITTED (the nats.c
 *     suite's PermViolation case) and keeps the connection;
 *   - a wildcard subscription that a subscribe deny rule overlaps does not receive the denied
 *     subjects;
 *   - allow_responses lets a responder answer the reply subject of a request it received, as
 *     many times as `max` allows, and nowhere else;
 *   - default_permissions apply to users without their own, `permissions: {}` allows all.
 *
 * Every case passes against nats-server too (WEIR_SERVER=/usr/sbin/nats-server).
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#include <pthread.h>
#include <string.h>

static const char CONF[] =
    "authorization {\n"
    "  default_permissions: { publish: \"def.>\", subscribe: [\"def.>\", \"_INBOX.>\"] }\n"
    "  users = [\n"
    "    {user: ivan, password: pwd, permissions: {publish: \"foo\", subscribe: \"bar\"}}\n"
    "    {user: pub, password: pub, permissions: {\n"
    "      publish: {allow: [\"orders.>\", \"misc.*\"], deny: \"orders.secret\"}\n"
    "      subscribe: {allow: [\"orders.>\", \"_INBOX.>\"], deny: [\"orders.secret\"]}\n"
    "    }}\n"
    "    {user: q, password: q, permissions: {subscribe: [\"work v1\", \"feed\"], "
    "publish: {deny: \">\"}}}\n"
    "    {user: svc, password: svc, permissions: {subscribe: \"svc.>\", allow_responses: true}}\n"
    "    {user: svc2, password: svc2, permissions: {subscribe: \"svc2\", "
    "allow_responses: {max: 2}}}\n"
    "    {user: admin, password: admin, permissions: {}}\n"
    "    {user: dflt, password: dflt}\n"
    "  ]\n"
    "}\n";

static h_server S;
static bool server_ok;

#define EXPECT(cond, ...)                                                                  \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            if (!why[0])                                                                   \
                snprintf(why, sizeof why, __VA_ARGS__);                                    \
            goto done;                                                                     \
        }                                                                                  \
    } while (0)

/* ---- raw connections -------------------------------------------------------------------- */

/* A raw connection authenticated as user (password = user, except ivan's). NULL on failure. */
static h_raw *raw_user(const char *user, bool verbose)
{
    h_raw *r = calloc(1, sizeof *r);
    char cj[256];
    snprintf(cj, sizeof cj,
             "{\"verbose\":%s,\"pedantic\":false,\"headers\":true,\"protocol\":1,"
             "\"user\":\"%s\",\"pass\":\"%s\"}",
             verbose ? "true" : "false", user, strcmp(user, "ivan") ? user : "pwd");
    if (r && h_raw_handshake(r, S.port, cj, NULL, 0) == 0)
        return r; /* with verbose, the handshake read the +OK of CONNECT too */
    if (r)
        h_raw_close(r);
    free(r);
    return NULL;
}

static void raw_free(h_raw *r)
{
    if (r) {
        h_raw_close(r);
        free(r);
    }
}

/* Sends text followed by PING and checks that exactly want, then PONG, comes back. */
static int exchange(h_raw *r, const char *text, const char *want, char *why, size_t cap)
{
    static char got[8192];
    char esc[600], wesc[600];
    bool closed = false;
    if (h_raw_sends(r, text) != 0 || h_raw_sends(r, "PING\r\n") != 0) {
        snprintf(why, cap, "send failed");
        return -1;
    }
    h_raw_read_until(r, got, sizeof got, "PONG\r\n", 3000, &closed);
    size_t wl = strlen(want);
    size_t gl = strlen(got);
    if (closed || gl != wl + 6 || memcmp(got, want, wl) != 0 || strcmp(got + wl, "PONG\r\n")) {
        snprintf(why, cap, "after '%.60s': got '%.250s'%s, want '%.250s'PONG",
                 h_escape(text, strlen(text), esc, 200), h_escape(got, gl, esc + 200, 400),
                 closed ? " and closed" : "", h_escape(want, wl, wesc, sizeof wesc));
        return -1;
    }
    return 0;
}

#define XCHG(r, text, want) EXPECT(exchange(r, text, want, why, sizeof why) == 0, "?")

static void raw_publish_violation(void)
{
    CHECK(server_ok);
    char why[1024] = "";
    h_raw *ivan = raw_user("ivan", false), *ivan_v = raw_user("ivan", true);
    h_raw *admin = raw_user("admin", false);
    char *long_subj = malloc(1200), *cmd = malloc(1400), *want = malloc(1400);
    EXPECT(ivan && ivan_v && admin && long_subj && cmd && want, "raw connect failed");
    XCHG(admin, "SUB bar 1\r\nSUB foo 2\r\n", "");
    XCHG(ivan, "PUB bar 4\r\nfail\r\n", "-ERR 'Permissions Violation for Publish to \"bar\"'\r\n");
    XCHG(admin, "", ""); /* not delivered */
    XCHG(ivan, "PUB foo 2\r\nok\r\n", "");
    XCHG(admin, "", "MSG foo 2 2\r\nok\r\n");
    /* with verbose: the -ERR instead of +OK; an allowed PUB still gets +OK */
    XCHG(ivan_v, "PUB bar 0\r\n\r\n", "-ERR 'Permissions Violation for Publish to \"bar\"'\r\n");
    XCHG(ivan_v, "PUB foo 0\r\n\r\n", "+OK\r\n");
    XCHG(admin, "", "MSG foo 2 0\r\n\r\n");
    /* HPUB is checked the same way */
    XCHG(ivan, "HPUB bar 12 12\r\nNATS/1.0\r\n\r\n\r\n",
         "-ERR 'Permissions Violation for Publish to \"bar\"'\r\n");
    /* the subject is quoted as Go's %q, and a long one is not cut */
    XCHG(ivan, "PUB a\"b\\c 0\r\n\r\n",
         "-ERR 'Permissions Violation for Publish to \"a\\\"b\\\\c\"'\r\n");
    memset(long_subj, 'x', 1000);
    long_subj[1000] = 0;
    snprintf(cmd, 1400, "PUB %s 0\r\n\r\n", long_subj);
    snprintf(want, 1400, "-ERR 'Permissions Violation for Publish to \"%s\"'\r\n", long_subj);
    XCHG(ivan, cmd, want);
    XCHG(admin, "", "");
    /* still connected and working */
    XCHG(ivan, "PUB foo 1\r\nz\r\n", "");
    XCHG(admin, "", "MSG foo 2 1\r\nz\r\n");
done:
    raw_free(ivan);
    raw_free(ivan_v);
    raw_free(admin);
    free(long_subj);
    free(cmd);
    free(want);
    CHECKF(!why[0], "%.400s", why);
}

static void raw_subscribe_violation(void)
{
    CHECK(server_ok);
    char why[1024] = "";
    h_raw *ivan = raw_user("ivan", false), *ivan_v = raw_user("ivan", true);
    h_raw *q = raw_user("q", false), *admin = raw_user("admin", false);
    EXPECT(ivan && ivan_v && q && admin, "raw connect failed");
    XCHG(ivan, "SUB foo 1\r\n", "-ERR 'Permissions Violation for Subscription to \"foo\"'\r\n");
    XCHG(ivan_v, "SUB foo 1\r\n", "-ERR 'Permissions Violation for Subscription to \"foo\"'\r\n");
    XCHG(admin, "PUB foo 1\r\nx\r\n", "");
    XCHG(ivan, "", ""); /* not registered */
    /* the refused sid is free: the same sid on an allowed subject works */
    XCHG(ivan, "SUB bar 1\r\n", "");
    XCHG(ivan_v, "SUB bar 1\r\n", "+OK\r\n");
    XCHG(admin, "PUB bar 1\r\ny\r\n", "");
    XCHG(ivan, "", "MSG bar 1 1\r\ny\r\n");
    XCHG(ivan_v, "", "MSG bar 1 1\r\ny\r\n");
    XCHG(ivan, "SUB bar.> 2\r\nSUB > 3\r\n",
         "-ERR 'Permissions Violation for Subscription to \"bar.>\"'\r\n"
         "-ERR 'Permissions Violation for Subscription to \">\"'\r\n");
    /* queue rules: "work v1" admits only queue v1 */
    XCHG(q, "SUB work v2 1\r\n",
         "-ERR 'Permissions Violation for Subscription to \"work\" using queue \"v2\"'\r\n");
    XCHG(q, "SUB work 2\r\n",
         "-ERR 'Permissions Violation for Subscription to \"work\"'\r\n");
    XCHG(q, "SUB work v1 3\r\nSUB feed any 4\r\nSUB feed 5\r\n", "");
    XCHG(admin, "PUB work 1\r\nw\r\nPUB feed 1\r\nf\r\n", "");
    /* plain subscriptions first, then queue groups: both servers deliver in that order */
    XCHG(q, "", "MSG work 3 1\r\nw\r\nMSG feed 5 1\r\nf\r\nMSG feed 4 1\r\nf\r\n");
    /* q may publish nowhere */
    XCHG(q, "PUB feed 0\r\n\r\n", "-ERR 'Permissions Violation for Publish to \"feed\"'\r\n");
done:
    raw_free(ivan);
    raw_free(ivan_v);
    raw_free(q);
    raw_free(admin);
    CHECKF(!why[0], "%.400s", why);
}

/* ---- libnats ---------------------------------------------------------------------------- */

typedef struct errs {
    pthread_mutex_t mu;
    int count;
    natsStatus last;
    char text[256];
} errs;

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
    errs *e = closure;
    const char *text = NULL;
    natsConnection_GetLastError(nc, &text);
    pthread_mutex_lock(&e->mu);
    e->count++;
    e->last = err;
    snprintf(e->text, sizeof e->text, "%s", text ? text : "");
    pthread_mutex_unlock(&e->mu);
}

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    natsMsg_Destroy(msg);
}

/* Waits until e has seen more than `seen` errors; returns the count (seen on timeout). */
static int wait_errors(errs *e, int seen, int timeout_ms)
{
    int64_t end = h_now_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&e->mu);
        int n = e->count;
        pthread_mutex_unlock(&e->mu);
        if (n > seen || h_now_ms() >= end)
            return n;
        h_sleep_ms(10);
    }
}

static natsConnection *nc_user(const char *user, const char *pass, errs *e)
{
    h_conn_opts o = {.user = user, .pass = pass};
    natsOptions *opts = h_opts(&S, &o);
    natsConnection *nc = NULL;
    if (!opts)
        return NULL;
    if (e)
        natsOptions_SetErrorHandler(opts, on_error, e);
    if (natsConnection_Connect(&nc, opts) != NATS_OK)
        nc = NULL;
    natsOptions_Destroy(opts);
    return nc;
}

/* Expects the next message on sub to have this subject and data, within 2 s. */
static int next_is(natsSubscription *sub, const char *subj, const char *data, char *why,
                   size_t cap)
{
    natsMsg *m = NULL;
    natsStatus st = natsSubscription_NextMsg(&m, sub, 2000);
    int rc = -1;
    if (st != NATS_OK)
        snprintf(why, cap, "no message %s (%s)", subj, natsStatus_GetText(st));
    else if (strcmp(natsMsg_GetSubject(m), subj) != 0 ||
             natsMsg_GetDataLength(m) != (int)strlen(data) ||
             memcmp(natsMsg_GetData(m), data, strlen(data)) != 0)
        snprintf(why, cap, "got %s '%.*s', want %s '%s'", natsMsg_GetSubject(m),
                 natsMsg_GetDataLength(m), natsMsg_GetData(m), subj, data);
    else
        rc = 0;
    natsMsg_Destroy(m);
    return rc;
}

/* Expects nothing more on sub for 300 ms. */
static int nothing_more(natsSubscription *sub, char *why, size_t cap)
{
    natsMsg *m = NULL;
    if (natsSubscription_NextMsg(&m, sub, 300) == NATS_OK) {
        snprintf(why, cap, "unexpected message on %s", natsMsg_GetSubject(m));
        natsMsg_Destroy(m);
        return -1;
    }
    return 0;
}

#define NEXT(sub, subj, data) EXPECT(next_is(sub, subj, data, why, sizeof why) == 0, "?")
#define NOTHING(sub) EXPECT(nothing_more(sub, why, sizeof why) == 0, "?")

/* The nats.c suite's PermViolation: async errors, the connection stays up. */
static void natsc_violations(void)
{
    CHECK(server_ok);
    char why[512] = "";
    errs e = {.mu = PTHREAD_MUTEX_INITIALIZER};
    natsConnection *ivan = nc_user("ivan", "pwd", &e), *admin = nc_user("admin", "admin", NULL);
    natsSubscription *denied = NULL, *bar = NULL, *foo = NULL;
    EXPECT(ivan && admin, "connect failed");
    EXPECT(natsConnection_PublishString(ivan, "bar", "fail") == NATS_OK, "publish call failed");
    EXPECT(wait_errors(&e, 0, 2000) == 1, "no async error for a denied publish");
    EXPECT(e.last == NATS_NOT_PERMITTED, "async error %d (%s), want NATS_NOT_PERMITTED", e.last,
           natsStatus_GetText(e.last));
    EXPECT(strstr(e.text, "Permissions Violation for Publish to \"bar\"") != NULL,
           "last error '%s'", e.text);
    EXPECT(natsConnection_Subscribe(&denied, ivan, "foo", on_msg, NULL) == NATS_OK,
           "subscribe call failed");
    EXPECT(wait_errors(&e, 1, 2000) == 2, "no async error for a denied subscription");
    EXPECT(e.last == NATS_NOT_PERMITTED, "async error %d, want NATS_NOT_PERMITTED", e.last);
    EXPECT(strstr(e.text, "Permissions Violation for Subscription to \"foo\"") != NULL,
           "last error '%s'", e.text);
    EXPECT(!natsConnection_IsClosed(ivan), "connection closed after a permissions violation");
    /* allowed traffic flows both ways */
    EXPECT(natsConnection_SubscribeSync(&bar, ivan, "bar") == NATS_OK, "sub bar");
    EXPECT(natsConnection_SubscribeSync(&foo, admin, "foo") == NATS_OK, "sub foo");
    EXPECT(natsConnection_Flush(ivan) == NATS_OK && natsConnection_Flush(admin) == NATS_OK,
           "flush");
    EXPECT(natsConnection_PublishString(admin, "bar", "to-ivan") == NATS_OK, "pub bar");
    EXPECT(natsConnection_PublishString(ivan, "foo", "from-ivan") == NATS_OK, "pub foo");
    NEXT(bar, "bar", "to-ivan");
    NEXT(foo, "foo", "from-ivan");
    EXPECT(wait_errors(&e, 2, 200) == 2, "unexpected async error: %s", e.text);
done:
    natsSubscription_Destroy(denied);
    natsSubscription_Destroy(bar);
    natsSubscription_Destroy(foo);
    natsConnection_Destroy(ivan);
    natsConnection_Destroy(admin);
    CHECKF(!why[0], "%.400s", why);
}

/* A subscribe deny rule inside an allowed wildcard: those subjects are not delivered. */
static void deny_filters_wildcard(void)
{
    CHECK(server_ok);
    char why[1024] = "";
    errs e = {.mu = PTHREAD_MUTEX_INITIALIZER};
    natsConnection *pub = nc_user("pub", "pub", &e), *admin = nc_user("admin", "admin", NULL);
    natsSubscription *all = NULL, *grp = NULL;
    h_raw *raw = raw_user("pub", false), *araw = raw_user("admin", false);
    EXPECT(pub && admin && raw && araw, "connect failed");
    EXPECT(natsConnection_SubscribeSync(&all, pub, "orders.>") == NATS_OK, "sub orders.>");
    EXPECT(natsConnection_QueueSubscribeSync(&grp, pub, "orders.*", "g") == NATS_OK, "qsub");
    EXPECT(natsConnection_Flush(pub) == NATS_OK, "flush");
    XCHG(raw, "SUB orders.> 1\r\n", "");
    XCHG(raw, "SUB orders.secret 2\r\n",
         "-ERR 'Permissions Violation for Subscription to \"orders.secret\"'\r\n");
    EXPECT(natsConnection_PublishString(admin, "orders.a", "a") == NATS_OK &&
               natsConnection_PublishString(admin, "orders.secret", "s") == NATS_OK &&
               natsConnection_PublishString(admin, "orders.b", "b") == NATS_OK &&
               natsConnection_Flush(admin) == NATS_OK,
           "publish");
    NEXT(all, "orders.a", "a");
    NEXT(all, "orders.b", "b");
    NOTHING(all);
    NEXT(grp, "orders.a", "a");
    NEXT(grp, "orders.b", "b");
    NOTHING(grp);
    XCHG(raw, "", "MSG orders.a 1 1\r\na\r\nMSG orders.b 1 1\r\nb\r\n");
    /* other subjects under the wildcard still arrive */
    XCHG(araw, "PUB orders.secret.x 1\r\nx\r\n", "");
    XCHG(raw, "", "MSG orders.secret.x 1 1\r\nx\r\n");
    NEXT(all, "orders.secret.x", "x");
    /* publish rules of the same user */
    XCHG(raw, "PUB orders.x 0\r\n\r\nPUB misc.a 0\r\n\r\n", "MSG orders.x 1 0\r\n\r\n");
    XCHG(raw, "PUB orders.secret 0\r\n\r\n",
         "-ERR 'Permissions Violation for Publish to \"orders.secret\"'\r\n");
    XCHG(raw, "PUB misc.a.b 0\r\n\r\n", "-ERR 'Permissions Violation for Publish to \"misc.a.b\"'\r\n");
    EXPECT(wait_errors(&e, 0, 100) == 0, "unexpected async error on the libnats connection: %s",
           e.text);
done:
    natsSubscription_Destroy(all);
    natsSubscription_Destroy(grp);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(admin);
    raw_free(raw);
    raw_free(araw);
    CHECKF(!why[0], "%.400s", why);
}

/* allow_responses: a responder answers requests it received, and publishes nowhere else. */
static void allow_responses(void)
{
    CHECK(server_ok);
    char why[1024] = "";
    errs e = {.mu = PTHREAD_MUTEX_INITIALIZER};
    natsConnection *svc = nc_user("svc", "svc", &e), *admin = nc_user("admin", "admin", NULL);
    natsSubscription *requests = NULL, *replies = NULL;
    natsMsg *req = NULL;
    h_raw *svc2 = raw_user("svc2", false), *araw = raw_user("admin", false);
    EXPECT(svc && admin && svc2 && araw, "connect failed");
    EXPECT(natsConnection_SubscribeSync(&requests, svc, "svc.echo") == NATS_OK, "sub svc.echo");
    EXPECT(natsConnection_Flush(svc) == NATS_OK, "flush");
    EXPECT(natsConnection_SubscribeSync(&replies, admin, "reply.admin.1") == NATS_OK &&
               natsConnection_Flush(admin) == NATS_OK,
           "sub reply");
    EXPECT(natsConnection_PublishRequestString(admin, "svc.echo", "reply.admin.1", "ping") ==
               NATS_OK,
           "publish request");
    EXPECT(natsSubscription_NextMsg(&req, requests, 2000) == NATS_OK, "no request");
    EXPECT(natsMsg_GetReply(req) && strcmp(natsMsg_GetReply(req), "reply.admin.1") == 0,
           "reply subject");
    EXPECT(natsConnection_PublishString(svc, natsMsg_GetReply(req), "pong") == NATS_OK, "respond");
    NEXT(replies, "reply.admin.1", "pong");
    EXPECT(wait_errors(&e, 0, 100) == 0, "the response was refused: %s", e.text);
    /* the default allows one response per request */
    EXPECT(natsConnection_PublishString(svc, "reply.admin.1", "again") == NATS_OK, "respond");
    EXPECT(wait_errors(&e, 0, 2000) == 1, "a second response was not refused");
    EXPECT(e.last == NATS_NOT_PERMITTED && strstr(e.text, "\"reply.admin.1\""),
           "async error %d '%s'", e.last, e.text);
    NOTHING(replies);
    /* and nothing else */
    EXPECT(natsConnection_PublishString(svc, "svc.echo", "self") == NATS_OK, "publish");
    EXPECT(wait_errors(&e, 1, 2000) == 2, "publishing to a non-reply subject was not refused");
    EXPECT(!natsConnection_IsClosed(svc), "responder's connection closed");
    /* max: 2, on the raw wire */
    XCHG(svc2, "SUB svc2 1\r\n", "");
    XCHG(araw, "SUB r.2 9\r\nPUB svc2 r.2 1\r\nq\r\n", "");
    XCHG(svc2, "", "MSG svc2 1 r.2 1\r\nq\r\n");
    XCHG(svc2, "PUB r.2 1\r\na\r\nPUB r.2 1\r\nb\r\nPUB r.2 1\r\nc\r\n",
         "-ERR 'Permissions Violation for Publish to \"r.2\"'\r\n");
    XCHG(araw, "", "MSG r.2 9 1\r\na\r\nMSG r.2 9 1\r\nb\r\n");
    XCHG(svc2, "PUB r.3 0\r\n\r\n", "-ERR 'Permissions Violation for Publish to \"r.3\"'\r\n");
    /* a new request with the same reply subject allows it again */
    XCHG(araw, "PUB svc2 r.2 1\r\nq\r\n", "");
    XCHG(svc2, "", "MSG svc2 1 r.2 1\r\nq\r\n");
    XCHG(svc2, "PUB r.2 1\r\nd\r\n", "");
    XCHG(araw, "", "MSG r.2 9 1\r\nd\r\n");
done:
    natsMsg_Destroy(req);
    natsSubscription_Destroy(requests);
    natsSubscription_Destroy(replies);
    natsConnection_Destroy(svc);
    natsConnection_Destroy(admin);
    raw_free(svc2);
    raw_free(araw);
    CHECKF(!why[0], "%.400s", why);
}

/* default_permissions for a user without its own; `permissions: {}` allows everything. */
static void default_permissions(void)
{
    CHECK(server_ok);
    char why[1024] = "";
    h_raw *d = raw_user("dflt", false), *admin = raw_user("admin", false);
    EXPECT(d && admin, "connect failed");
    XCHG(d, "SUB other 1\r\n", "-ERR 'Permissions Violation for Subscription to \"other\"'\r\n");
    XCHG(d, "SUB def.> 2\r\n", "");
    XCHG(d, "PUB def.x 1\r\n1\r\n", "MSG def.x 2 1\r\n1\r\n");
    XCHG(d, "PUB other 0\r\n\r\n", "-ERR 'Permissions Violation for Publish to \"other\"'\r\n");
    XCHG(admin, "SUB > 1\r\nPUB any.thing 1\r\n2\r\n", "MSG any.thing 1 1\r\n2\r\n");
    XCHG(d, "", "");
done:
    raw_free(d);
    raw_free(admin);
    CHECKF(!why[0], "%.400s", why);
}

int main(void)
{
    h_init();
    server_ok = h_server_start(&S, CONF, NULL) == 0;
    if (!server_ok)
        h_server_dump(&S, 20);
    RUN(raw_publish_violation);
    RUN(raw_subscribe_violation);
    RUN(natsc_violations);
    RUN(deny_filters_wildcard);
    RUN(allow_responses);
    RUN(default_permissions);
    h_server_free(&S);
    h_done();
    TESTLIB_EXIT();
}
