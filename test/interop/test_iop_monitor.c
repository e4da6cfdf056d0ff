/*
 * test_iop_monitor.c — the HTTP monitoring port (-m) over raw sockets: /healthz, /varz, /connz,
 * /subsz, /jsz and / with nats-server's JSON field names and types, values that follow what
 * libnats clients really do (connections, messages, subscriptions, client names), paging of
 * /connz, and HTTP error handling (404, 405, 400, 505, 431, split and slow requests, many idle
 * connections) without harm to NATS clients.
 *
 * Runs against nats-server too (WEIR_SERVER=/usr/sbin/nats-server): checks of behaviour only
 * weir has (405 for POST, the 8 KB request bound, weir_version, closing after each response)
 * are made when /varz carries "weir_version".
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#include <ctype.h>
#include <jansson.h>
#include <strings.h>

static h_server srv; /* started with -js -m mport */
static int mport;
static bool is_weir;

/* ---- HTTP over raw sockets --------------------------------------------------------------- */

typedef struct http_reply {
    int status;          /* -1 when no status line came */
    int minor;           /* HTTP/1.minor */
    char head[8192];     /* status line and headers, NUL-terminated */
    char *body;          /* malloc'd, NUL-terminated (may be NULL) */
    size_t body_len;
    long content_length; /* -1 when absent */
    bool closed;         /* the server closed the connection after the response */
} http_reply;

static void reply_free(http_reply *r)
{
    free(r->body);
    r->body = NULL;
}

/* Value of header `name` (case-insensitive) into out; false when absent. */
static bool reply_header(const http_reply *r, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    const char *p = strstr(r->head, "\r\n");
    while (p && p[2]) {
        p += 2;
        const char *e = strstr(p, "\r\n");
        size_t llen = e ? (size_t)(e - p) : strlen(p);
        if (llen > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(out, cap, "%.*s", (int)(llen - (size_t)(v - p)), v);
            return true;
        }
        p = e;
    }
    return false;
}

/* Sends req (in pieces of `chunk` bytes with `pause_ms` between them when chunk > 0), reads the
 * response head and a body of Content-Length bytes, then waits up to wait_close_ms for the
 * server to close. Returns 0 when a status line came. */
static int http_exchange(int port, const char *req, size_t len, size_t chunk, int pause_ms,
                         int wait_close_ms, http_reply *out)
{
    memset(out, 0, sizeof *out);
    out->status = -1;
    out->content_length = -1;
    h_raw *r = calloc(1, sizeof *r);
    if (!r || h_raw_open(r, port, 0) != 0) {
        free(r);
        return -1;
    }
    r->keep_pings = true;
    int rc = -1;
    if (chunk == 0) {
        if (h_raw_send(r, req, len) != 0)
            goto done;
    } else {
        for (size_t off = 0; off < len; off += chunk) {
            size_t k = len - off < chunk ? len - off : chunk;
            if (h_raw_send(r, req + off, k) != 0)
                goto done;
            if (pause_ms)
                h_sleep_ms(pause_ms);
        }
    }
    bool closed = false;
    h_raw_read_until(r, out->head, sizeof out->head, "\r\n\r\n", 5000, &closed);
    if (sscanf(out->head, "HTTP/1.%d %d", &out->minor, &out->status) != 2)
        goto done;
    rc = 0;
    char cl[32];
    if (reply_header(out, "Content-Length", cl, sizeof cl))
        out->content_length = atol(cl);
    if (out->content_length > 0 && out->content_length < (64L << 20)) {
        out->body = malloc((size_t)out->content_length + 1);
        if (out->body && h_raw_read_n(r, out->body, (size_t)out->content_length, 5000) == 0) {
            out->body_len = (size_t)out->content_length;
            out->body[out->body_len] = 0;
        }
    } else if (out->content_length < 0) {
        /* no length (nats-server sends its index chunked): read until the server closes */
        size_t cap = 1 << 20;
        out->body = malloc(cap);
        if (out->body) {
            out->body_len = h_raw_read_until(r, out->body, cap, NULL, 5000, &closed);
            if (out->body_len >= cap)
                out->body_len = cap - 1;
            out->closed = closed;
        }
    }
    if (wait_close_ms > 0)
        out->closed = h_raw_wait_closed(r, wait_close_ms, NULL) == 1;
done:
    h_raw_close(r);
    free(r);
    return rc;
}

static int http_get(int port, const char *path, http_reply *out)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: weir-test\r\n"
                     "Connection: close\r\n\r\n",
                     path);
    return http_exchange(port, req, (size_t)n, 0, 0, 0, out);
}

/* GET path as JSON; NULL unless 200 with a JSON body. */
static json_t *get_json(int port, const char *path)
{
    http_reply r;
    json_t *j = NULL;
    if (http_get(port, path, &r) == 0 && r.status == 200 && r.body) {
        json_error_t err;
        j = json_loads(r.body, 0, &err);
    }
    reply_free(&r);
    return j;
}

/* Follows a dotted path ("jetstream.config.store_dir"). */
static json_t *jget(json_t *j, const char *dotted)
{
    char key[128];
    const char *p = dotted;
    while (j && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        j = json_object_get(j, key);
        p += n + (dot ? 1 : 0);
    }
    return j;
}

static long long jint(json_t *j, const char *dotted)
{
    json_t *v = jget(j, dotted);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static const char *jstr(json_t *j, const char *dotted)
{
    return json_string_value(jget(j, dotted));
}

/* "2006-01-02T15:04:05[.fraction]Z" */
static bool is_rfc3339_utc(const char *s)
{
    if (!s || strlen(s) < 20)
        return false;
    for (int i = 0; i < 19; i++) {
        bool digit = isdigit((unsigned char)s[i]);
        char want = i == 4 || i == 7 ? '-' : i == 10 ? 'T' : i == 13 || i == 16 ? ':' : 0;
        if (want ? s[i] != want : !digit)
            return false;
    }
    return s[strlen(s) - 1] == 'Z';
}

/* nats-server's uptime format: "0s", "1m2s", "3h0m1s", "2d...", "1y..." */
static bool is_uptime(const char *s)
{
    if (!s || !*s)
        return false;
    size_t n = strlen(s);
    if (s[n - 1] != 's')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]) && !strchr("ydhms", s[i]))
            return false;
    return isdigit((unsigned char)s[0]);
}

/* Polls /varz until field == want (up to 3 s); returns the last value. */
static long long varz_wait(const char *field, long long want)
{
    long long v = -1;
    int64_t deadline = h_now_ms() + 3000;
    do {
        json_t *j = get_json(mport, "/varz");
        v = jint(j, field);
        json_decref(j);
        if (v == want)
            break;
        h_sleep_ms(50);
    } while (h_now_ms() < deadline);
    return v;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void healthz_ok(void)
{
    http_reply r;
    CHECK(http_get(mport, "/healthz", &r) == 0);
    char ct[128] = "";
    reply_header(&r, "Content-Type", ct, sizeof ct);
    json_t *j = r.body ? json_loads(r.body, 0, NULL) : NULL;
    const char *st = jstr(j, "status");
    bool ok = st && strcmp(st, "ok") == 0;
    int status = r.status;
    json_decref(j);
    reply_free(&r);
    CHECKF(status == 200, "status %d", status);
    CHECKF(strncmp(ct, "application/json", 16) == 0, "Content-Type '%s'", ct);
    CHECKF(ok, "status is not \"ok\"");
}

static void varz_fields(void)
{
    natsConnection *nc = NULL;
    CHECK(h_connect(&srv, NULL, &nc, NULL, 0) == NATS_OK);
    char sid[128] = "";
    natsConnection_GetConnectedServerId(nc, sid, sizeof sid);
    json_t *j = get_json(mport, "/varz");
    natsConnection_Destroy(nc);
    CHECKF(j, "/varz is not JSON");
    const char *strings[] = {"server_id", "server_name", "version", "go", "host", "uptime"};
    const char *bad = NULL;
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (!jstr(j, strings[i]) || !*jstr(j, strings[i]))
            bad = strings[i];
    const char *ints[] = {"proto", "port", "max_connections", "ping_interval", "ping_max",
                          "http_port", "max_control_line", "max_payload", "max_pending",
                          "write_deadline", "mem", "cores", "connections",
                          "total_connections", "subscriptions", "in_msgs", "out_msgs",
                          "in_bytes", "out_bytes", "slow_consumers"};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (!json_is_integer(json_object_get(j, ints[i])))
            bad = ints[i];
    bool same_id = jstr(j, "server_id") && strcmp(jstr(j, "server_id"), sid) == 0;
    bool cpu_ok = json_is_number(json_object_get(j, "cpu"));
    bool times_ok = is_rfc3339_utc(jstr(j, "start")) && is_rfc3339_utc(jstr(j, "now")) &&
                    strcmp(jstr(j, "start"), jstr(j, "now")) < 0;
    bool up_ok = is_uptime(jstr(j, "uptime"));
    long long proto = jint(j, "proto"), port = jint(j, "port"), hport = jint(j, "http_port");
    long long maxp = jint(j, "max_payload"), ping = jint(j, "ping_interval");
    long long wd = jint(j, "write_deadline"), mem = jint(j, "mem"), cores = jint(j, "cores");
    long long pmax = jint(j, "ping_max"), mcl = jint(j, "max_control_line");
    bool js_ok = json_is_object(jget(j, "jetstream.config")) &&
                 jstr(j, "jetstream.config.store_dir") &&
                 json_is_integer(jget(j, "jetstream.config.max_memory")) &&
                 json_is_integer(jget(j, "jetstream.config.max_storage"));
    const char *wv = jstr(j, "weir_version");
    bool weir_ok = !is_weir || (wv && *wv);
    const char *ver = jstr(j, "version");
    int major = -1, minor = -1;
    if (ver)
        sscanf(ver, "%d.%d", &major, &minor);
    json_decref(j);
    CHECKF(!bad, "field %s missing or of the wrong type", bad);
    CHECKF(same_id, "server_id differs from INFO's '%s'", sid);
    CHECK(cpu_ok);
    CHECKF(times_ok, "start/now not RFC 3339 UTC or not in order");
    CHECK(up_ok);
    CHECK(proto == 1);
    CHECKF(port == srv.port, "port %lld, want %d", port, srv.port);
    CHECKF(hport == mport, "http_port %lld, want %d", hport, mport);
    CHECK(maxp == 1048576);
    CHECKF(ping == 120000000000LL, "ping_interval %lld (ns of 2 min)", ping);
    CHECKF(wd > 0 && wd % 1000000 == 0, "write_deadline %lld (ns)", wd);
    CHECK(pmax == 2);
    CHECK(mcl == 4096);
    CHECKF(mem > 1000000, "mem %lld", mem);
    CHECK(cores >= 1);
    CHECKF(js_ok, "jetstream.config incomplete with -js");
    CHECK(weir_ok);
    CHECKF(major == 2 && minor >= 9, "version '%s'", ver ? ver : "");
}

static void varz_counts(void)
{
    json_t *j0 = get_json(mport, "/varz");
    long long c0 = jint(j0, "connections"), t0 = jint(j0, "total_connections");
    long long in0 = jint(j0, "in_msgs"), inb0 = jint(j0, "in_bytes");
    long long out0 = jint(j0, "out_msgs"), outb0 = jint(j0, "out_bytes");
    json_decref(j0);
    CHECK(c0 >= 0);

    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    CHECK(h_connect(&srv, NULL, &nc, NULL, 0) == NATS_OK);
    json_t *j1 = get_json(mport, "/varz");
    long long c1 = jint(j1, "connections"), t1 = jint(j1, "total_connections");
    json_decref(j1);

    enum { N = 20, SZ = 10 };
    int received = 0;
    if (natsConnection_SubscribeSync(&sub, nc, "iop.mon.count") == NATS_OK) {
        for (int i = 0; i < N; i++)
            natsConnection_Publish(nc, "iop.mon.count", "0123456789", SZ);
        natsConnection_FlushTimeout(nc, 2000);
        natsMsg *m = NULL;
        while (received < N && natsSubscription_NextMsg(&m, sub, 2000) == NATS_OK) {
            natsMsg_Destroy(m);
            received++;
        }
    }
    json_t *j2 = get_json(mport, "/varz");
    long long in2 = jint(j2, "in_msgs"), inb2 = jint(j2, "in_bytes");
    long long out2 = jint(j2, "out_msgs"), outb2 = jint(j2, "out_bytes");
    json_decref(j2);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    long long c3 = varz_wait("connections", c0);

    CHECKF(c1 == c0 + 1, "connections %lld after connecting, %lld before", c1, c0);
    CHECKF(t1 >= t0 + 1, "total_connections %lld, %lld before", t1, t0);
    CHECKF(received == N, "received %d of %d", received, N);
    CHECKF(in2 >= in0 + N, "in_msgs %lld -> %lld after %d publishes", in0, in2, (int)N);
    CHECKF(inb2 >= inb0 + N * SZ, "in_bytes %lld -> %lld", inb0, inb2);
    CHECKF(out2 >= out0 + N, "out_msgs %lld -> %lld after %d deliveries", out0, out2, (int)N);
    CHECKF(outb2 >= outb0 + N * SZ, "out_bytes %lld -> %lld", outb0, outb2);
    CHECKF(c3 == c0, "connections %lld after closing, want %lld", c3, c0);
}

/* The /connz entry whose name is `name` (a new reference), or NULL. */
static json_t *connz_find(json_t *cz, const char *name)
{
    json_t *arr = json_object_get(cz, "connections"), *e;
    size_t i;
    json_array_foreach(arr, i, e)
    {
        const char *n = jstr(e, "name");
        if (n && strcmp(n, name) == 0)
            return json_incref(e);
    }
    return NULL;
}

static void connz_lists_client(void)
{
    natsConnection *nc = NULL;
    natsSubscription *s1 = NULL, *s2 = NULL, *s3 = NULL;
    h_conn_opts o = {.name = "iop-monitor-connz"};
    CHECK(h_connect(&srv, &o, &nc, NULL, 0) == NATS_OK);
    natsConnection_SubscribeSync(&s1, nc, "iop.mon.a");
    natsConnection_SubscribeSync(&s2, nc, "iop.mon.b.*");
    natsConnection_QueueSubscribeSync(&s3, nc, "iop.mon.c.>", "q");
    for (int i = 0; i < 5; i++)
        natsConnection_PublishString(nc, "iop.mon.none", "hello");
    natsConnection_FlushTimeout(nc, 2000);
    uint64_t cid = 0;
    natsConnection_GetClientID(nc, &cid);

    json_t *cz = get_json(mport, "/connz");
    json_t *e = connz_find(cz, "iop-monitor-connz");
    long long num = jint(cz, "num_connections"), total = jint(cz, "total");
    long long limit = jint(cz, "limit"), offset = jint(cz, "offset");
    size_t arrn = json_array_size(json_object_get(cz, "connections"));
    bool top_ok = jstr(cz, "server_id") && is_rfc3339_utc(jstr(cz, "now"));
    long long ecid = jint(e, "cid"), subs = jint(e, "subscriptions"), inm = jint(e, "in_msgs");
    long long eport = jint(e, "port"), inb = jint(e, "in_bytes"), pend = jint(e, "pending_bytes");
    const char *ip = jstr(e, "ip"), *lang = jstr(e, "lang");
    bool ip_ok = ip && strcmp(ip, "127.0.0.1") == 0;
    bool lang_ok = lang && strcmp(lang, "C") == 0;
    bool dur_ok = is_uptime(jstr(e, "uptime")) && is_uptime(jstr(e, "idle"));
    bool times_ok = is_rfc3339_utc(jstr(e, "start")) && is_rfc3339_utc(jstr(e, "last_activity"));
    bool no_ms = !json_object_get(e, "uptime_ms") && !json_object_get(e, "idle_ms");
    json_decref(e);
    json_decref(cz);
    natsSubscription_Destroy(s1);
    natsSubscription_Destroy(s2);
    natsSubscription_Destroy(s3);
    natsConnection_Destroy(nc);

    CHECKF(e, "client 'iop-monitor-connz' not listed in /connz");
    CHECK(top_ok);
    CHECKF(num == (long long)arrn && total >= num && num >= 1, "num_connections %lld, total %lld",
           num, total);
    CHECKF(limit == 1024 && offset == 0, "default limit %lld offset %lld", limit, offset);
    CHECKF(ecid == (long long)cid, "cid %lld, client says %llu", ecid, (unsigned long long)cid);
    CHECK(ip_ok);
    CHECK(eport > 0);
    CHECKF(lang_ok, "lang is not \"C\"");
    CHECKF(subs == 3, "subscriptions %lld, want 3", subs);
    CHECKF(inm >= 5 && inb >= 25, "in_msgs %lld in_bytes %lld after 5 publishes", inm, inb);
    CHECK(pend >= 0);
    CHECKF(dur_ok, "uptime/idle not duration strings");
    CHECKF(times_ok, "start/last_activity not RFC 3339");
    CHECKF(no_ms, "uptime_ms/idle_ms leaked into /connz");
}

static void connz_paging(void)
{
    natsConnection *nc[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++)
        CHECK(h_connect(&srv, NULL, &nc[i], NULL, 0) == NATS_OK);
    json_t *all = get_json(mport, "/connz");
    json_t *p0 = get_json(mport, "/connz?limit=1");
    json_t *p1 = get_json(mport, "/connz?offset=1&limit=1");
    json_t *past = get_json(mport, "/connz?offset=100000");
    http_reply bad;
    http_get(mport, "/connz?limit=abc", &bad);
    int bad_status = bad.status;
    reply_free(&bad);
    for (int i = 0; i < 3; i++)
        natsConnection_Destroy(nc[i]);

    json_t *arr = json_object_get(all, "connections"), *e;
    size_t i;
    long long prev = 0;
    bool sorted = true;
    json_array_foreach(arr, i, e)
    {
        if (jint(e, "cid") <= prev)
            sorted = false;
        prev = jint(e, "cid");
    }
    long long total = jint(all, "total");
    size_t n0 = json_array_size(json_object_get(p0, "connections"));
    size_t n1 = json_array_size(json_object_get(p1, "connections"));
    long long cid0 = jint(json_array_get(json_object_get(p0, "connections"), 0), "cid");
    long long cid1 = jint(json_array_get(json_object_get(p1, "connections"), 0), "cid");
    long long first = jint(json_array_get(arr, 0), "cid");
    long long second = jint(json_array_get(arr, 1), "cid");
    long long lim0 = jint(p0, "limit"), num0 = jint(p0, "num_connections");
    long long tot0 = jint(p0, "total"), off1 = jint(p1, "offset");
    size_t npast = json_array_size(json_object_get(past, "connections"));
    long long numpast = jint(past, "num_connections");
    bool got = all && p0 && p1 && past;
    json_decref(all);
    json_decref(p0);
    json_decref(p1);
    json_decref(past);
    CHECK(got);
    CHECKF(total >= 3, "total %lld with 3 clients open", total);
    CHECKF(sorted, "connections not in ascending cid order");
    CHECKF(n0 == 1 && lim0 == 1 && num0 == 1 && tot0 == total, "limit=1: %zu entries, limit %lld",
           n0, lim0);
    CHECKF(n1 == 1 && off1 == 1, "offset=1&limit=1: %zu entries, offset %lld", n1, off1);
    CHECKF(cid0 == first && cid1 == second, "pages give cids %lld, %lld; list %lld, %lld", cid0,
           cid1, first, second);
    CHECKF(npast == 0 && numpast == 0, "offset past the end gave %zu entries", npast);
    CHECKF(bad_status == 400, "limit=abc gave %d, want 400", bad_status);
}

static void subsz_counts(void)
{
    json_t *a = get_json(mport, "/subsz");
    long long s0 = jint(a, "num_subscriptions");
    bool types = json_is_integer(json_object_get(a, "num_cache")) &&
                 json_is_integer(json_object_get(a, "num_matches")) &&
                 json_is_number(json_object_get(a, "cache_hit_rate"));
    json_decref(a);
    json_t *va = get_json(mport, "/varz");
    long long v0 = jint(va, "subscriptions");
    json_decref(va);
    CHECKF(s0 >= 0, "num_subscriptions missing");
    CHECKF(types, "num_cache/num_matches/cache_hit_rate missing or of the wrong type");

    enum { K = 7 };
    natsConnection *nc = NULL;
    natsSubscription *subs[K] = {0};
    CHECK(h_connect(&srv, NULL, &nc, NULL, 0) == NATS_OK);
    char subj[64];
    for (int i = 0; i < K; i++) {
        snprintf(subj, sizeof subj, "iop.mon.subsz.%d", i);
        natsConnection_SubscribeSync(&subs[i], nc, subj);
    }
    natsConnection_FlushTimeout(nc, 2000);
    json_t *b = get_json(mport, "/subsz");
    long long s1 = jint(b, "num_subscriptions");
    json_decref(b);
    json_t *vb = get_json(mport, "/varz");
    long long v1 = jint(vb, "subscriptions");
    json_decref(vb);
    natsSubscription_Unsubscribe(subs[0]);
    natsSubscription_Unsubscribe(subs[1]);
    natsConnection_FlushTimeout(nc, 2000);
    json_t *c = get_json(mport, "/subsz");
    long long s2 = jint(c, "num_subscriptions");
    json_decref(c);
    for (int i = 0; i < K; i++)
        natsSubscription_Destroy(subs[i]);
    natsConnection_Destroy(nc);

    CHECKF(s1 == s0 + K, "num_subscriptions %lld -> %lld after %d subscribes", s0, s1, (int)K);
    CHECKF(v1 == v0 + K, "varz subscriptions %lld -> %lld after %d subscribes", v0, v1, (int)K);
    CHECKF(s2 == s0 + K - 2, "num_subscriptions %lld after 2 unsubscribes, want %lld", s2,
           s0 + K - 2);
}

static void jsz_fields(void)
{
    json_t *j = get_json(mport, "/jsz");
    json_t *v = get_json(mport, "/varz");
    bool id_ok = jstr(j, "server_id") && jstr(v, "server_id") &&
                 strcmp(jstr(j, "server_id"), jstr(v, "server_id")) == 0;
    bool now_ok = is_rfc3339_utc(jstr(j, "now"));
    bool cfg_ok = jstr(j, "config.store_dir") && json_is_integer(jget(j, "config.max_memory")) &&
                  json_is_integer(jget(j, "config.max_storage"));
    bool enabled = !json_is_true(json_object_get(j, "disabled"));
    const char *ints[] = {"memory", "storage", "reserved_memory", "reserved_storage", "accounts",
                          "ha_assets", "streams", "consumers", "messages", "bytes"};
    const char *bad = NULL;
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        if (!json_is_integer(json_object_get(j, ints[i])))
            bad = ints[i];
    long long streams = jint(j, "streams"), accounts = jint(j, "accounts");
    json_decref(j);
    json_decref(v);

    /* and without -js: disabled, no jetstream config in /varz */
    h_server plain = {0};
    char port[16];
    int mp = h_free_port();
    snprintf(port, sizeof port, "%d", mp);
    json_t *pj = NULL, *pv = NULL;
    if (h_server_start(&plain, NULL, "-m", port, NULL) == 0) {
        pj = get_json(mp, "/jsz");
        pv = get_json(mp, "/varz");
    }
    bool disabled = json_is_true(json_object_get(pj, "disabled"));
    bool varz_js_empty = json_is_object(json_object_get(pv, "jetstream")) &&
                         !jget(pv, "jetstream.config");
    json_decref(pj);
    json_decref(pv);
    h_server_free(&plain);

    CHECK(id_ok);
    CHECK(now_ok);
    CHECKF(cfg_ok, "config.store_dir/max_memory/max_storage missing with -js");
    CHECK(enabled);
    CHECKF(!bad, "%s missing or not an integer", bad);
    CHECKF(streams == 0, "streams %lld on a fresh server", streams);
    CHECKF(accounts == 1, "accounts %lld with JetStream on", accounts);
    CHECKF(disabled, "/jsz of a server without -js is not \"disabled\": true");
    CHECKF(varz_js_empty, "/varz jetstream of a server without -js is not an empty object");
}

static void root_index(void)
{
    http_reply r;
    CHECK(http_get(mport, "/", &r) == 0);
    bool lists = r.body && strstr(r.body, "varz") && strstr(r.body, "connz") &&
                 strstr(r.body, "healthz");
    int status = r.status;
    reply_free(&r);
    CHECKF(status == 200, "status %d", status);
    CHECKF(lists, "index does not link the endpoints");
}

#define EXCHANGE(req, out) http_exchange(mport, (req), sizeof(req) - 1, 0, 0, 0, (out))

static void http_errors(void)
{
    http_reply r;
    int st;
    CHECK(http_get(mport, "/no/such/endpoint", &r) == 0);
    st = r.status;
    reply_free(&r);
    CHECKF(st == 404, "unknown path: %d", st);

    CHECK(EXCHANGE("POST /varz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close"
                   "\r\n\r\nabcd",
                   &r) == 0);
    st = r.status;
    char allow[64] = "";
    reply_header(&r, "Allow", allow, sizeof allow);
    reply_free(&r);
    if (is_weir) {
        CHECKF(st == 405, "POST: %d, want 405", st);
        CHECKF(strstr(allow, "GET") != NULL, "405 without Allow: GET ('%s')", allow);
    } else {
        CHECKF(st == 200 || st == 405, "POST: %d", st); /* nats-server serves any method */
    }

    CHECK(EXCHANGE("garbage\r\n\r\n", &r) == 0);
    st = r.status;
    reply_free(&r);
    CHECKF(st == 400, "garbage: %d, want 400", st);

    CHECK(EXCHANGE("GET /va%zzrz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) == 0);
    st = r.status;
    reply_free(&r);
    CHECKF(st == 400, "bad percent escape: %d, want 400", st);

    CHECK(EXCHANGE("GET /varz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", &r) == 0);
    st = r.status;
    reply_free(&r);
    CHECKF(st == 400, "header without colon: %d, want 400", st);

    CHECK(EXCHANGE("GET /varz HTTP/3.0\r\nHost: x\r\n\r\n", &r) == 0);
    st = r.status;
    reply_free(&r);
    CHECKF(st == 505, "HTTP/3.0: %d, want 505", st);

    /* HTTP/1.0 and HEAD */
    CHECK(EXCHANGE("GET /healthz HTTP/1.0\r\n\r\n", &r) == 0);
    st = r.status;
    int minor = r.minor;
    bool body_ok = r.body && strstr(r.body, "ok");
    reply_free(&r);
    CHECKF(st == 200 && body_ok, "HTTP/1.0 GET: %d", st);
    CHECKF(minor == 0, "HTTP/1.0 request answered as HTTP/1.%d", minor);
    CHECK(EXCHANGE("HEAD /varz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &r) == 0);
    st = r.status;
    long cl = r.content_length;
    reply_free(&r);
    CHECKF(st == 200 && cl > 100, "HEAD /varz: %d, Content-Length %ld", st, cl);

    /* query parameters decoded, absolute-form target */
    json_t *j = get_json(mport, "/connz?limit=%32&offset=0");
    long long lim = jint(j, "limit");
    json_decref(j);
    CHECKF(lim == 2, "limit=%%32 gave limit %lld", lim);
    CHECK(EXCHANGE("GET http://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close"
                   "\r\n\r\n",
                   &r) == 0);
    st = r.status;
    reply_free(&r);
    CHECKF(st == 200, "absolute-form target: %d", st);

    if (is_weir) {
        /* the request bound, and the connection closed after one response */
        size_t big = 16 * 1024;
        char *req = malloc(big + 128);
        CHECK(req);
        int n = snprintf(req, 128, "GET /varz HTTP/1.1\r\nHost: x\r\nX-Big: ");
        memset(req + n, 'a', big);
        memcpy(req + n + big, "\r\n\r\n", 4);
        int rc = http_exchange(mport, req, (size_t)n + big + 4, 0, 0, 0, &r);
        free(req);
        st = r.status;
        reply_free(&r);
        CHECK(rc == 0);
        CHECKF(st == 431, "16 KB of headers: %d, want 431", st);
        CHECK(EXCHANGE("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", &r) == 0);
        st = r.status;
        reply_free(&r);
        CHECK(st == 200);
        rc = http_exchange(mport, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 35, 0, 0, 2000, &r);
        bool closed = r.closed;
        reply_free(&r);
        CHECK(rc == 0);
        CHECKF(closed, "connection left open after the response");
    }
}

/* A request split into small pieces arrives intact; a slow request does not hold others up. */
static void split_and_slow_requests(void)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    http_reply r;
    CHECK(http_exchange(mport, req, sizeof req - 1, 1, 0, 0, &r) == 0);
    int st = r.status;
    reply_free(&r);
    CHECKF(st == 200, "byte-by-byte request: %d", st);

    h_raw *slow = calloc(1, sizeof *slow);
    CHECK(slow);
    bool opened = h_raw_open(slow, mport, 0) == 0;
    if (opened)
        h_raw_sends(slow, "GET /hea");
    int64_t t0 = h_now_ms();
    int rc = http_get(mport, "/healthz", &r);
    int64_t took = h_now_ms() - t0;
    st = r.status;
    reply_free(&r);
    char line[256] = "";
    int n = -1;
    if (opened) {
        slow->keep_pings = true;
        h_raw_sends(slow, "lthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        n = h_raw_readline(slow, line, sizeof line, 3000);
    }
    h_raw_close(slow);
    free(slow);
    CHECK(opened);
    CHECKF(rc == 0 && st == 200, "request beside a slow one: %d", st);
    CHECKF(took < 1000, "request beside a slow one took %lld ms", (long long)took);
    CHECKF(n > 0 && strncmp(line, "HTTP/1.1 200", 12) == 0, "slow request answered '%s'", line);
}

/* Many idle connections do not lock the port; an idle one is closed after a while; bad HTTP
 * input leaves NATS clients alone. */
static void survives_abuse(void)
{
    enum { IDLE = 300 };
    h_raw *idle = calloc(IDLE, sizeof *idle);
    CHECK(idle);
    int opened = 0;
    for (int i = 0; i < IDLE; i++)
        if (h_raw_open(&idle[i], mport, 0) == 0)
            opened++;
    int64_t t_idle = h_now_ms();

    natsConnection *nc = NULL;
    int conn_ok = h_connect(&srv, NULL, &nc, NULL, 0) == NATS_OK;

    http_reply r;
    int rc = http_get(mport, "/healthz", &r);
    int st_busy = r.status;
    reply_free(&r);

    /* garbage of every kind, some connections closed half way */
    unsigned seed = 12345;
    for (int k = 0; k < 30; k++) {
        char junk[3000];
        size_t len = 1 + (size_t)(rand_r(&seed) % sizeof junk);
        for (size_t i = 0; i < len; i++)
            junk[i] = (char)(rand_r(&seed) & 0xff);
        if (k % 3 == 0)
            memcpy(junk, "GET /", len < 5 ? len : 5);
        h_raw g;
        if (h_raw_open(&g, mport, 0) == 0) {
            h_raw_send(&g, junk, len);
            if (k % 2 == 0)
                h_raw_sends(&g, "\r\n\r\n");
            h_raw_close(&g);
        }
    }
    h_raw half;
    if (h_raw_open(&half, mport, 0) == 0) {
        h_raw_sends(&half, "GET /varz HTTP/1.1\r\nHo");
        h_raw_close(&half);
    }

    int round = conn_ok ? h_nc_roundtrip(nc, "iop.mon.alive") : -1;
    rc |= http_get(mport, "/varz", &r);
    int st_after = r.status;
    reply_free(&r);

    /* the newest idle connection is closed by the server (5 s read timeout) */
    int left = is_weir ? (int)(t_idle + 9000 - h_now_ms()) : 0;
    int closed = opened ? h_raw_wait_closed(&idle[IDLE - 1], left > 0 ? left : 0, NULL) : 0;
    int64_t waited = h_now_ms() - t_idle;
    for (int i = 0; i < IDLE; i++)
        h_raw_close(&idle[i]);
    free(idle);
    natsConnection_Destroy(nc);

    CHECKF(opened == IDLE, "opened %d of %d idle connections", opened, (int)IDLE);
    CHECK(conn_ok);
    CHECKF(rc == 0 && st_busy == 200, "/healthz with %d idle connections: %d", IDLE, st_busy);
    CHECKF(round == 0, "NATS client no longer served after bad HTTP input");
    CHECKF(st_after == 200, "/varz after bad input: %d", st_after);
    if (is_weir) /* nats-server 2.9 keeps idle monitoring connections open */
        CHECKF(closed == 1, "idle monitoring connection still open after %lld ms",
               (long long)waited);
}

/* -m -1 picks a free port and logs it like nats-server. */
static void random_port(void)
{
    h_server rs = {0};
    int port = -1;
    long long vport = -1;
    int started = h_server_start(&rs, NULL, "-m", "-1", NULL) == 0;
    if (started) {
        for (int tries = 0; tries < 20 && port < 0; tries++) {
            FILE *f = fopen(rs.out, "r");
            char line[1024];
            while (f && fgets(line, sizeof line, f)) {
                const char *p = strstr(line, "Starting http monitor on ");
                const char *colon = p ? strrchr(p, ':') : NULL;
                if (colon)
                    port = atoi(colon + 1);
            }
            if (f)
                fclose(f);
            if (port < 0)
                h_sleep_ms(100);
        }
    }
    json_t *v = port > 0 ? get_json(port, "/varz") : NULL;
    vport = jint(v, "http_port");
    json_decref(v);
    h_server_free(&rs);
    CHECK(started);
    CHECKF(port > 0, "no \"Starting http monitor on HOST:PORT\" line in the log");
    CHECKF(v != NULL, "nothing served on the logged port %d", port);
    if (is_weir)
        CHECKF(vport == port, "varz http_port %lld, bound %d", vport, port);
}

int main(void)
{
    h_init();
    mport = h_free_port();
    char port[16];
    snprintf(port, sizeof port, "%d", mport);
    if (h_server_start(&srv, NULL, "-js", "-m", port, NULL) != 0)
        fprintf(stderr, "server did not start\n");
    json_t *v = get_json(mport, "/varz");
    is_weir = json_object_get(v, "weir_version") != NULL;
    json_decref(v);
    fprintf(stderr, "monitoring port %d (%s)\n", mport, is_weir ? "weir" : "not weir");
    RUN(healthz_ok);
    RUN(varz_fields);
    RUN(varz_counts);
    RUN(connz_lists_client);
    RUN(connz_paging);
    RUN(subsz_counts);
    RUN(jsz_fields);
    RUN(root_index);
    RUN(http_errors);
    RUN(split_and_slow_requests);
    RUN(survives_abuse);
    RUN(random_port);
    if (testlib_failed_cases)
        h_server_dump(&srv, 30);
    h_server_free(&srv);
    h_done();
    TESTLIB_EXIT();
}
