/*
 * monitor.c — the HTTP monitoring port (see monitor.h): a listener and one small state machine
 * per HTTP connection on the server's event loop, a bounded request parser, and the endpoints
 * /, /varz, /connz, /subsz, /jsz and /healthz with nats-server's JSON shapes (its
 * server/monitor.go: Varz, Connz/ConnInfo, Subsz/SublistStats, JSInfo, HealthStatus).
 *
 * A connection goes READ (collect the request head, at most MON_MAX_REQUEST bytes) → WRITE (the
 * whole response is built in memory first, then written as the socket accepts it) → DRAIN
 * (our side is shut down for writing; what the peer still sends is discarded until it closes,
 * so that unread request bytes never turn our close into a reset that loses the response).
 * A timer bounds every phase. Everything runs on the loop's thread; no locking.
 *
 * Only values weir really has are reported. Fields of nats-server that weir has no counterpart
 * for (routes, gateways, per-insert sublist counters, JetStream API counters, ...) are left out
 * rather than filled with made-up numbers, except where zero is the true value (no routes,
 * no leaf nodes, no clustering).
 */
#include "monitor.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "client.h"
#include "log.h"
#include "stream/stream.h"


#define MON_MAX_REQUEST 8192      /* request line + headers; more is 431 */
#define MON_MAX_CONNS 256         /* open connections; a new one beyond this closes the oldest */
#define MON_READ_TIMEOUT_MS 5000  /* the whole request head must arrive within this */
#define MON_WRITE_TIMEOUT_MS 10000
#define MON_DRAIN_TIMEOUT_MS 2000
#define MON_DRAIN_MAX (1024 * 1024)
#define MON_DEFAULT_LIST 1024     /* nats-server's DefaultConnListSize */

/* Endpoints, in the (sorted) order http_req_stats lists them. */
enum mon_path { P_ROOT, P_CONNZ, P_HEALTHZ, P_JSZ, P_SUBSZ, P_VARZ, P_COUNT };
static const char *const path_names[P_COUNT] = {"/", "/connz", "/healthz", "/jsz", "/subsz",
                                                "/varz"};

enum conn_state { ST_READ, ST_WRITE, ST_DRAIN };

typedef struct mon_conn mon_conn;

typedef struct monitor {
    server *srv;
    loop_handler listener;
    char host[256];
    int port;
    int64_t start_wall_ns; /* wall clock at server start */
    mon_conn *conns;       /* open connections, doubly linked */
    size_t nconns;
    uint64_t req_stats[P_COUNT];
    /* CPU usage: process ticks at the previous sample and when it was taken */
    uint64_t cpu_ticks;
    int64_t cpu_ms;
    double cpu_pct;
} monitor;

struct mon_conn {
    monitor *mon;
    loop_handler io;
    loop_timer timer;
    mon_conn *prev, *next;
    enum conn_state state;
    size_t drained;
    char *out;
    size_t out_len, out_off;
    size_t in_len;
    char in[MON_MAX_REQUEST + 1];
};

/* One parsed request (pointers into the connection's buffer, NUL-terminated in place). */
typedef struct http_req {
    const char *method;
    char *path;        /* percent-decoded */
    const char *query; /* raw, without '?'; "" when none */
    bool http10;
    bool head;
} http_req;

/* A response under construction. */
typedef struct http_resp {
    int status;
    const char *content_type;
    bool cors;       /* Access-Control-Allow-Origin: * (nats-server sets it on JSON replies) */
    bool allow;      /* Allow: GET, HEAD (405) */
    char *body;      /* malloc'd, or NULL */
    size_t body_len;
} http_resp;

/* ---------------------------------------------------------------- time and process facts */

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* RFC 3339 with nanoseconds, trailing zeros trimmed, UTC: what Go's time.Time marshals to. */
static void fmt_time(int64_t ns, char *out, size_t cap)
{
    time_t secs = (time_t)(ns / 1000000000LL);
    long frac = (long)(ns % 1000000000LL);
    if (frac < 0) {
        frac += 1000000000L;
        secs--;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[40];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac == 0) {
        snprintf(out, cap, "%sZ", base);
        return;
    }
    char f[16];
    snprintf(f, sizeof f, "%09ld", frac);
    for (int i = 8; i > 0 && f[i] == '0'; i--)
        f[i] = 0;
    snprintf(out, cap, "%s.%sZ", base, f);
}

/* nats-server's myUptime: whole seconds as "1y2d3h4m5s", leading zero units dropped. */
static void fmt_uptime(int64_t ms, char *out, size_t cap)
{
    int64_t secs = ms < 0 ? 0 : ms / 1000;
    int64_t mins = secs / 60, hrs = mins / 60, days = hrs / 24, yrs = days / 365;
    if (yrs > 0)
        snprintf(out, cap, "%lldy%lldd%lldh%lldm%llds", (long long)yrs, (long long)(days % 365),
                 (long long)(hrs % 24), (long long)(mins % 60), (long long)(secs % 60));
    else if (days > 0)
        snprintf(out, cap, "%lldd%lldh%lldm%llds", (long long)days, (long long)(hrs % 24),
                 (long long)(mins % 60), (long long)(secs % 60));
    else if (hrs > 0)
        snprintf(out, cap, "%lldh%lldm%llds", (long long)hrs, (long long)(mins % 60),
                 (long long)(secs % 60));
    else if (mins > 0)
        snprintf(out, cap, "%lldm%llds", (long long)mins, (long long)(secs % 60));
    else
        snprintf(out, cap, "%llds", (long long)secs);
}

static json_t *json_time(int64_t ns)
{
    char buf[64];
    fmt_time(ns, buf, sizeof buf);
    return json_string(buf);
}

/* Resident set size in bytes (/proc/self/statm), 0 if unreadable. */
static int64_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    long long size = 0, resident = 0;
    int n = fscanf(f, "%lld %lld", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return n == 2 && page > 0 ? (int64_t)resident * page : 0;
}

/* utime + stime of this process in clock ticks (/proc/self/stat), 0 if unreadable. */
static uint64_t cpu_ticks(void)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (!p)
        return 0;
    unsigned long long ut = 0, st = 0;
    /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return ut + st;
}

/* Percent CPU over the time since the previous call (since server start for the first call);
 * a call sooner than 100 ms after the previous sample repeats that sample's value. */
static double cpu_percent(monitor *m)
{
    int64_t now = mono_ms();
    uint64_t ticks = cpu_ticks();
    int64_t since = m->cpu_ms;
    if (now - since < 100)
        return m->cpu_pct;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0 || ticks < m->cpu_ticks)
        return m->cpu_pct;
    double secs = (double)(ticks - m->cpu_ticks) / (double)hz;
    double pct = 100.0 * secs / ((double)(now - since) / 1000.0);
    m->cpu_pct = round(pct * 10.0) / 10.0;
    m->cpu_ticks = ticks;
    m->cpu_ms = now;
    return m->cpu_pct;
}

static int num_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---------------------------------------------------------------- query strings */

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes src[0..n) into out (cap bytes incl. NUL); plus_space turns '+' into ' '
 * (query strings). Returns 0, or -1 for a malformed escape, a NUL byte or no room. */
static int pct_decode(const char *src, size_t n, bool plus_space, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)src[i];
        if (ch == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval((unsigned char)src[i + 1]), lo = hexval((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return -1;
            ch = hi * 16 + lo;
            i += 2;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)ch;
    }
    out[o] = 0;
    return 0;
}

/* The first value of `name` in the query (decoded into out). Pairs that do not decode are
 * skipped, as Go's url.Query does. Returns true when present. */
static bool query_get(const char *query, const char *name, char *out, size_t cap)
{
    const char *p = query;
    char key[128];
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        if (pct_decode(p, klen, true, key, sizeof key) == 0 && strcmp(key, name) == 0) {
            const char *v = eq ? eq + 1 : p + len;
            size_t vlen = eq ? len - klen - 1 : 0;
            if (pct_decode(v, vlen, true, out, cap) == 0)
                return true;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return false;
}

/* ---------------------------------------------------------------- responses */

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

static void resp_text(http_resp *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void resp_text(http_resp *r, int status, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    free(r->body);
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->cors = false;
    r->body = malloc((size_t)n + 1);
    r->body_len = r->body ? (size_t)n : 0;
    if (r->body)
        memcpy(r->body, buf, (size_t)n + 1);
}

/* Takes the reference j. compact: one line (like /healthz in nats-server), else 2-space indent. */
static void resp_json(http_resp *r, json_t *j, bool compact)
{
    size_t flags = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) |
                   (compact ? JSON_COMPACT : JSON_INDENT(2));
    char *text = j ? json_dumps(j, flags) : NULL;
    json_decref(j);
    if (!text) {
        resp_text(r, 500, "out of memory\n");
        return;
    }
    free(r->body);
    r->status = 200;
    r->content_type = "application/json";
    r->cors = true;
    r->body = text;
    r->body_len = strlen(text);
}

/* ---------------------------------------------------------------- parameters */

/* Go's strconv.Atoi for a query parameter: absent or empty → 0. Returns -1 after setting a 400
 * like nats-server's decodeInt. */
static int param_int(const http_req *q, const char *name, int *out, http_resp *r)
{
    char v[64];
    *out = 0;
    if (!query_get(q->query, name, v, sizeof v) || !v[0])
        return 0;
    char *end = NULL;
    errno = 0;
    long long n = isspace((unsigned char)v[0]) ? 0 : strtoll(v, &end, 10);
    if (isspace((unsigned char)v[0]) || !end || *end || errno == ERANGE || n > 2147483647LL ||
        n < -2147483647LL - 1) {
        resp_text(r, 400, "Error decoding int for '%s': parsing \"%s\": invalid syntax", name, v);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static bool is_false_value(const char *v)
{
    static const char *const f[] = {"", "0", "f", "F", "false", "FALSE", "False"};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (strcmp(v, f[i]) == 0)
            return true;
    return false;
}

/* nats-server parameters that would change the output in ways weir does not implement yet are
 * refused with 501 rather than ignored. `allowed` lists values that match what weir does
 * anyway (NULL: only false-like values are). Returns -1 after setting the response. */
static int param_unsupported(const http_req *q, const char *name, const char *const *allowed,
                             http_resp *r)
{
    char v[256];
    if (!query_get(q->query, name, v, sizeof v))
        return 0;
    if (allowed) {
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(v, allowed[i]) == 0)
                return 0;
    } else if (is_false_value(v)) {
        return 0;
    }
    resp_text(r, 501, "weir does not support '%s=%s' on %s yet\n", name, v, q->path);
    return -1;
}

/* ---------------------------------------------------------------- endpoints */

static void ep_root(monitor *m, const http_req *q, http_resp *r)
{
    static const char page[] =
        "<html lang=\"en\">\n<head><title>weir monitoring</title></head>\n<body>\n"
        "<h1>weir-server v" WEIR_VERSION " (nats-server " WEIR_NATS_COMPAT_VERSION
        " compatible)</h1>\n"
        "<a href=./varz>General <code>/varz</code></a><br/>\n"
        "<a href=./jsz>JetStream <code>/jsz</code></a><br/>\n"
        "<a href=./connz>Connections <code>/connz</code></a><br/>\n"
        "<a href=./subsz>Subscriptions <code>/subsz</code></a><br/>\n"
        "<a href=./healthz>Health Probe <code>/healthz</code></a><br/>\n"
        "</body>\n</html>\n";
    free(r->body);
    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
    r->body = strdup(page);
    r->body_len = r->body ? sizeof page - 1 : 0;
    if (!r->body)
        resp_text(r, 500, "out of memory\n");
}

static void ep_healthz(monitor *m, const http_req *q, http_resp *r)
{
    /* The server answers from its one loop, and the store (if any) opened at start-up: if this
     * request is being served, the server is healthy. */
    json_t *j = json_object();
    json_object_set_new(j, "status", json_string("ok"));
    resp_json(r, j, true);
}

static const char *js_store_dir(const server *s)
{
    return s->store ? store_dir(s->store) : s->opts->store_dir;
}

/* JetStreamConfig as configured: max_memory / max_storage (-1 = unlimited in weir), store_dir,
 * sync_interval, sync_always. */
static json_t *js_config(const server *s)
{
    json_t *c = json_object();
    json_object_set_new(c, "max_memory", json_integer(s->opts->max_memory_store));
    json_object_set_new(c, "max_storage", json_integer(s->opts->max_file_store));
    const char *dir = js_store_dir(s);
    if (dir)
        json_object_set_new(c, "store_dir", json_string(dir));
    if (s->opts->sync_interval_ms > 0) /* a Go time.Duration: nanoseconds */
        json_object_set_new(c, "sync_interval", json_integer(s->opts->sync_interval_ms * 1000000LL));
    if (s->opts->sync_always)
        json_object_set_new(c, "sync_always", json_true());
    return c;
}

/* JetStreamStats fields into obj. These are real: no stream can be created yet (the JetStream
 * API is not served), so nothing is stored or reserved, and the one account ($G) uses JetStream
 * exactly when it is enabled. When streams arrive, these must come from stream/. The API
 * counters ("api") are left out until weir counts API requests. */
static void js_stats_into(const server *s, json_t *obj)
{
    json_object_set_new(obj, "memory", json_integer(0));
    json_object_set_new(obj, "storage", json_integer(0));
    json_object_set_new(obj, "reserved_memory", json_integer(0));
    json_object_set_new(obj, "reserved_storage", json_integer(0));
    json_object_set_new(obj, "accounts", json_integer(s->opts->jetstream ? 1 : 0));
    json_object_set_new(obj, "ha_assets", json_integer(0)); /* no clustering */
}

static void ep_varz(monitor *m, const http_req *q, http_resp *r)
{
    server *s = m->srv;
    const weir_options *o = s->opts;
    int64_t now = wall_ns();
    int64_t up_ms = loop_now_ms(s->loop) - s->start_ms;
    sublist_stats ss;
    sublist_get_stats(s->sublist, &ss);
    char up[64];
    fmt_uptime(up_ms, up, sizeof up);

    json_t *j = json_object();
    json_object_set_new(j, "server_id", json_string(s->server_id));
    json_object_set_new(j, "server_name", json_string(s->server_name));
    json_object_set_new(j, "version", json_string(WEIR_NATS_COMPAT_VERSION));
    json_object_set_new(j, "proto", json_integer(1));
    json_object_set_new(j, "go", json_string("weir " WEIR_VERSION)); /* as INFO says */
    json_object_set_new(j, "host", json_string(o->host ? o->host : ""));
    json_object_set_new(j, "port", json_integer(s->port));
    if (auth_required(o))
        json_object_set_new(j, "auth_required", json_true());
    json_object_set_new(j, "max_connections", json_integer(o->max_connections));
    json_object_set_new(j, "ping_interval", json_integer(o->ping_interval_ms * 1000000LL));
    json_object_set_new(j, "ping_max", json_integer(o->ping_max));
    json_object_set_new(j, "http_host", json_string(m->host));
    json_object_set_new(j, "http_port", json_integer(m->port));
    json_object_set_new(j, "http_base_path", json_string(""));
    json_object_set_new(j, "https_port", json_integer(0));
    json_object_set_new(j, "auth_timeout", json_real((double)o->auth_timeout_ms / 1000.0));
    json_object_set_new(j, "max_control_line", json_integer(o->max_control_line));
    json_object_set_new(j, "max_payload", json_integer(o->max_payload));
    json_object_set_new(j, "max_pending", json_integer(o->max_pending));
    /* not configured: nats-server shows empty objects then too */
    json_object_set_new(j, "cluster", json_object());
    json_object_set_new(j, "gateway", json_object());
    json_object_set_new(j, "leaf", json_object());
    json_object_set_new(j, "mqtt", json_object());
    json_object_set_new(j, "websocket", json_object());
    json_t *js = json_object();
    if (o->jetstream) {
        json_object_set_new(js, "config", js_config(s));
        json_t *st = json_object();
        js_stats_into(s, st);
        json_object_set_new(js, "stats", st);
    }
    json_object_set_new(j, "jetstream", js);
    json_object_set_new(j, "write_deadline", json_integer(o->write_deadline_ms * 1000000LL));
    json_object_set_new(j, "start", json_time(m->start_wall_ns));
    json_object_set_new(j, "now", json_time(now));
    json_object_set_new(j, "uptime", json_string(up));
    json_object_set_new(j, "mem", json_integer(rss_bytes()));
    json_object_set_new(j, "cores", json_integer(num_cores()));
    json_object_set_new(j, "cpu", json_real(cpu_percent(m)));
    json_object_set_new(j, "connections", json_integer((json_int_t)s->nclients));
    json_object_set_new(j, "total_connections",
                        json_integer((json_int_t)s->stats.total_connections));
    json_object_set_new(j, "routes", json_integer(0));
    json_object_set_new(j, "remotes", json_integer(0));
    json_object_set_new(j, "leafnodes", json_integer(0));
    json_object_set_new(j, "in_msgs", json_integer((json_int_t)s->stats.in_msgs));
    json_object_set_new(j, "out_msgs", json_integer((json_int_t)s->stats.out_msgs));
    json_object_set_new(j, "in_bytes", json_integer((json_int_t)s->stats.in_bytes));
    json_object_set_new(j, "out_bytes", json_integer((json_int_t)s->stats.out_bytes));
    json_object_set_new(j, "slow_consumers", json_integer((json_int_t)s->stats.slow_consumers));
    json_object_set_new(j, "subscriptions", json_integer((json_int_t)ss.subscriptions));
    json_t *rs = json_object();
    for (int i = 0; i < P_COUNT; i++)
        if (m->req_stats[i])
            json_object_set_new(rs, path_names[i], json_integer((json_int_t)m->req_stats[i]));
    json_object_set_new(j, "http_req_stats", rs);
    json_object_set_new(j, "weir_version", json_string(WEIR_VERSION));
    resp_json(r, j, false);
}

/* client_connz_entry gives uptime_ms / idle_ms; nats-server's ConnInfo has start and
 * last_activity times and uptime / idle strings. Rebuilds the entry in ConnInfo's field order. */
static json_t *connz_entry(const client *c, int64_t now_mono_ms, int64_t now_wall)
{
    static const char *const order[] = {"cid", "kind", "type", "ip", "port", "start",
                                        "last_activity", "rtt", "uptime", "idle",
                                        "pending_bytes", "in_msgs", "out_msgs", "in_bytes",
                                        "out_bytes", "subscriptions", "name", "lang", "version",
                                        NULL};
    json_t *e = client_connz_entry(c, now_mono_ms);
    if (!e)
        return NULL;
    json_int_t up_ms = json_integer_value(json_object_get(e, "uptime_ms"));
    json_int_t idle_ms = json_integer_value(json_object_get(e, "idle_ms"));
    char buf[64];
    json_object_set_new(e, "start", json_time(now_wall - (int64_t)up_ms * 1000000LL));
    json_object_set_new(e, "last_activity", json_time(now_wall - (int64_t)idle_ms * 1000000LL));
    fmt_uptime(up_ms, buf, sizeof buf);
    json_object_set_new(e, "uptime", json_string(buf));
    fmt_uptime(idle_ms, buf, sizeof buf);
    json_object_set_new(e, "idle", json_string(buf));
    json_object_del(e, "uptime_ms");
    json_object_del(e, "idle_ms");

    json_t *out = json_object();
    for (size_t i = 0; order[i]; i++) {
        json_t *v = json_object_get(e, order[i]);
        if (v) {
            json_object_set(out, order[i], v);
            json_object_del(e, order[i]);
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(e, k, v) json_object_set(out, k, v);
    json_decref(e);
    return out;
}

typedef struct cid_ref {
    uint64_t cid;
    const client *c;
} cid_ref;

static int cmp_cid(const void *a, const void *b)
{
    uint64_t x = ((const cid_ref *)a)->cid, y = ((const cid_ref *)b)->cid;
    return x < y ? -1 : x > y;
}

static void ep_connz(monitor *m, const http_req *q, http_resp *r)
{
    static const char *const sorts[] = {"", "cid", "start", NULL}; /* start order = cid order */
    static const char *const states[] = {"", "open", NULL};
    static const char *const none[] = {"", NULL};
    int offset, limit, want_cid;
    if (param_int(q, "offset", &offset, r) < 0 || param_int(q, "limit", &limit, r) < 0 ||
        param_int(q, "cid", &want_cid, r) < 0)
        return;
    if (param_unsupported(q, "sort", sorts, r) < 0 || param_unsupported(q, "state", states, r) < 0 ||
        param_unsupported(q, "subs", NULL, r) < 0 || param_unsupported(q, "auth", NULL, r) < 0 ||
        param_unsupported(q, "acc", none, r) < 0 ||
        param_unsupported(q, "user", none, r) < 0 ||
        param_unsupported(q, "mqtt_client", none, r) < 0 ||
        param_unsupported(q, "filter_subject", none, r) < 0)
        return;
    if (offset < 0)
        offset = 0;
    if (limit <= 0)
        limit = MON_DEFAULT_LIST;
    if (want_cid > 0)
        limit = 1;

    server *s = m->srv;
    int64_t now_mono = loop_now_ms(s->loop);
    int64_t now_wall = wall_ns();
    /* Sort by cid (nats-server's default). The entries are built once to learn each cid and
     * dropped at once, so memory stays bounded by the page, not by the number of clients. */
    size_t n = 0, cap = s->nclients + 1;
    cid_ref *refs = malloc(cap * sizeof *refs);
    if (!refs) {
        resp_text(r, 500, "out of memory\n");
        return;
    }
    for (const client *c = client_first(s); c && n < cap; c = client_next(c)) {
        json_t *e = client_connz_entry(c, now_mono);
        uint64_t cid = (uint64_t)json_integer_value(json_object_get(e, "cid"));
        json_decref(e);
        if (want_cid > 0 && cid != (uint64_t)want_cid)
            continue;
        refs[n].cid = cid;
        refs[n].c = c;
        n++;
    }
    qsort(refs, n, sizeof *refs, cmp_cid);

    json_t *list = json_array();
    size_t from = (size_t)offset < n ? (size_t)offset : n;
    size_t to = from + ((size_t)limit < n - from ? (size_t)limit : n - from);
    for (size_t i = from; i < to; i++) {
        json_t *e = connz_entry(refs[i].c, now_mono, now_wall);
        if (e)
            json_array_append_new(list, e);
    }
    free(refs);

    json_t *j = json_object();
    json_object_set_new(j, "server_id", json_string(s->server_id));
    json_object_set_new(j, "now", json_time(now_wall));
    json_object_set_new(j, "num_connections", json_integer((json_int_t)json_array_size(list)));
    json_object_set_new(j, "total", json_integer((json_int_t)n));
    json_object_set_new(j, "offset", json_integer(offset));
    json_object_set_new(j, "limit", json_integer(limit));
    json_object_set_new(j, "connections", list);
    resp_json(r, j, false);
}

/* SublistStats with the counters weir's sublist keeps; num_inserts, num_removes, max_fanout and
 * avg_fanout are not tracked and so not reported. */
static void ep_subsz(monitor *m, const http_req *q, http_resp *r)
{
    static const char *const none[] = {"", NULL};
    int offset, limit;
    if (param_int(q, "offset", &offset, r) < 0 || param_int(q, "limit", &limit, r) < 0)
        return;
    if (param_unsupported(q, "subs", NULL, r) < 0 || param_unsupported(q, "test", none, r) < 0 ||
        param_unsupported(q, "acc", none, r) < 0)
        return;
    server *s = m->srv;
    sublist_stats ss;
    sublist_get_stats(s->sublist, &ss);
    json_t *j = json_object();
    json_object_set_new(j, "server_id", json_string(s->server_id));
    json_object_set_new(j, "now", json_time(wall_ns()));
    json_object_set_new(j, "num_subscriptions", json_integer((json_int_t)ss.subscriptions));
    json_object_set_new(j, "num_cache", json_integer((json_int_t)ss.cache_entries));
    json_object_set_new(j, "num_matches", json_integer((json_int_t)ss.matches));
    double rate = ss.matches ? (double)ss.cache_hits / (double)ss.matches : 0.0;
    json_object_set_new(j, "cache_hit_rate", json_real(rate));
    resp_json(r, j, false);
}

/* JSInfo. Streams, consumers, messages and bytes are 0 because no stream can exist yet (see
 * js_stats_into); they must come from stream/ once the JetStream API is served. */
static void ep_jsz(monitor *m, const http_req *q, http_resp *r)
{
    server *s = m->srv;
    bool on = s->opts->jetstream;
    json_t *j = json_object();
    json_object_set_new(j, "server_id", json_string(s->server_id));
    json_object_set_new(j, "now", json_time(wall_ns()));
    if (!on)
        json_object_set_new(j, "disabled", json_true());
    if (on) {
        json_object_set_new(j, "config", js_config(s));
    } else {
        json_t *c = json_object();
        json_object_set_new(c, "max_memory", json_integer(0));
        json_object_set_new(c, "max_storage", json_integer(0));
        json_object_set_new(j, "config", c);
    }
    js_stats_into(s, j);
    json_object_set_new(j, "streams", json_integer(0));
    json_object_set_new(j, "consumers", json_integer(0));
    json_object_set_new(j, "messages", json_integer(0));
    json_object_set_new(j, "bytes", json_integer(0));
    resp_json(r, j, false);
}

typedef void (*endpoint_fn)(monitor *m, const http_req *q, http_resp *r);

static const struct {
    const char *path;
    enum mon_path id;
    endpoint_fn fn;
} endpoints[] = {
    {"/", P_ROOT, ep_root},           {"/varz", P_VARZ, ep_varz},
    {"/connz", P_CONNZ, ep_connz},    {"/subsz", P_SUBSZ, ep_subsz},
    {"/subscriptionsz", P_SUBSZ, ep_subsz}, {"/jsz", P_JSZ, ep_jsz},
    {"/healthz", P_HEALTHZ, ep_healthz},
};

static void dispatch(monitor *m, const http_req *q, http_resp *r)
{
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        if (strcmp(q->path, endpoints[i].path) == 0) {
            m->req_stats[endpoints[i].id]++;
            endpoints[i].fn(m, q, r);
            return;
        }
    }
    resp_text(r, 404, "404 page not found\n");
}

/* ---------------------------------------------------------------- request parsing */

static bool is_tchar(int ch)
{
    return ch > 0x20 && ch < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", ch);
}

/* Finds the end of the request head in buf[0..len): returns the offset just past the empty
 * line, or 0 when the head is not complete yet. Leading empty lines are skipped (RFC 9112). */
static size_t head_end(const char *buf, size_t len)
{
    size_t pos = 0;
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
        pos++;
    bool first = true;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        if (!nl)
            return 0;
        size_t llen = (size_t)(nl - (buf + pos));
        if (!first && (llen == 0 || (llen == 1 && buf[pos] == '\r')))
            return (size_t)(nl - buf) + 1;
        first = false;
        pos = (size_t)(nl - buf) + 1;
    }
    return 0;
}

/* Parses the head buf[0..end) in place. Returns 0, or an HTTP status for a bad request. */
static int parse_request(char *buf, size_t end, http_req *q)
{
    memset(q, 0, sizeof *q);
    for (size_t i = 0; i < end; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if ((ch < 0x20 && ch != '\r' && ch != '\n' && ch != '\t') || ch == 0x7f)
            return 400;
    }
    size_t pos = 0;
    while (pos < end && (buf[pos] == '\r' || buf[pos] == '\n'))
        pos++;
    char *line = buf + pos;
    char *nl = memchr(line, '\n', end - pos);
    if (!nl)
        return 400;
    *nl = 0;
    if (nl > line && nl[-1] == '\r')
        nl[-1] = 0;
    char *next = nl + 1;

    /* request line: METHOD SP target SP HTTP/x.y */
    char *sp1 = strchr(line, ' ');
    if (!sp1 || sp1 == line)
        return 400;
    *sp1 = 0;
    for (char *p = line; *p; p++)
        if (!is_tchar((unsigned char)*p))
            return 400;
    char *target = sp1 + 1;
    char *sp2 = strchr(target, ' ');
    if (!sp2 || sp2 == target)
        return 400;
    *sp2 = 0;
    const char *version = sp2 + 1;
    for (char *p = target; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return 400;
    if (strcmp(version, "HTTP/1.1") == 0)
        q->http10 = false;
    else if (strcmp(version, "HTTP/1.0") == 0)
        q->http10 = true;
    else if (strncmp(version, "HTTP/", 5) == 0 && isdigit((unsigned char)version[5]) &&
             version[6] == '.' && isdigit((unsigned char)version[7]) && !version[8])
        return 505;
    else
        return 400;

    /* header fields: name ":" value; folded lines are refused */
    char *p = next;
    while (p < buf + end) {
        char *e = memchr(p, '\n', (size_t)(buf + end - p));
        if (!e)
            return 400;
        size_t llen = (size_t)(e - p);
        if (llen > 0 && p[llen - 1] == '\r')
            llen--;
        if (llen == 0)
            break;
        if (p[0] == ' ' || p[0] == '\t')
            return 400;
        char *colon = memchr(p, ':', llen);
        if (!colon || colon == p)
            return 400;
        for (char *k = p; k < colon; k++)
            if (!is_tchar((unsigned char)*k))
                return 400;
        p = e + 1;
    }

    q->method = line;
    q->head = strcmp(line, "HEAD") == 0;
    /* absolute-form (http://host/path) is allowed like Go's server does */
    if (strncasecmp(target, "http://", 7) == 0 || strncasecmp(target, "https://", 8) == 0) {
        char *slash = strchr(strstr(target, "//") + 2, '/');
        if (!slash) {
            /* no path: "/" plus the query, if any */
            char *qm = strchr(target, '?');
            target = qm ? qm - 1 : target + strlen(target) - 1;
            *target = '/';
        } else {
            target = slash;
        }
    }
    if (target[0] != '/')
        return 400;
    char *qm = strchr(target, '?');
    q->query = "";
    if (qm) {
        *qm = 0;
        q->query = qm + 1;
    }
    char *hash = strchr(qm ? (char *)q->query : target, '#');
    if (hash)
        *hash = 0;
    /* decode the path in place: decoding never lengthens it */
    size_t plen = strlen(target);
    if (pct_decode(target, plen, false, target, plen + 1) < 0)
        return 400;
    q->path = target;
    return 0;
}

/* ---------------------------------------------------------------- connections */

static void conn_io(loop_handler *h, uint32_t events);

static void conn_free(mon_conn *c)
{
    monitor *m = c->mon;
    loop_timer_stop(m->srv->loop, &c->timer);
    if (c->io.fd >= 0) {
        loop_remove(m->srv->loop, &c->io);
        close(c->io.fd);
        c->io.fd = -1;
    }
    if (c->prev)
        c->prev->next = c->next;
    else
        m->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    m->nconns--;
    free(c->out);
    free(c);
}

static void conn_timeout(loop_timer *t)
{
    conn_free(LOOP_CONTAINER(t, mon_conn, timer));
}

/* The response is out: stop writing and wait (briefly) for the peer to close. */
static void conn_drain(mon_conn *c)
{
    loop *l = c->mon->srv->loop;
    free(c->out);
    c->out = NULL;
    c->state = ST_DRAIN;
    shutdown(c->io.fd, SHUT_WR);
    if (loop_modify(l, &c->io, EPOLLIN) < 0) {
        conn_free(c);
        return;
    }
    loop_timer_start(l, &c->timer, MON_DRAIN_TIMEOUT_MS);
}

static void conn_write(mon_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->io.fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (loop_modify(c->mon->srv->loop, &c->io, EPOLLOUT) < 0)
                conn_free(c);
            return;
        }
        conn_free(c); /* the peer is gone */
        return;
    }
    conn_drain(c);
}

/* Serialises the response (headers + body unless HEAD) and starts writing it. */
static void conn_respond(mon_conn *c, const http_req *q, http_resp *r)
{
    char date[64];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.%d %d %s\r\n"
                      "Content-Type: %s\r\n"
                      "%s%s"
                      "Date: %s\r\n"
                      "Content-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      q && q->http10 ? 0 : 1, r->status, reason(r->status),
                      r->content_type ? r->content_type : "text/plain; charset=utf-8",
                      r->cors ? "Access-Control-Allow-Origin: *\r\n" : "",
                      r->allow ? "Allow: GET, HEAD\r\n" : "", date, r->body_len);
    size_t blen = q && q->head ? 0 : r->body_len;
    char *out = malloc((size_t)hn + blen);
    if (!out) {
        free(r->body);
        conn_free(c);
        return;
    }
    memcpy(out, head, (size_t)hn);
    if (blen)
        memcpy(out + hn, r->body, blen);
    free(r->body);
    r->body = NULL;
    c->out = out;
    c->out_len = (size_t)hn + blen;
    c->out_off = 0;
    c->state = ST_WRITE;
    loop_timer_start(c->mon->srv->loop, &c->timer, MON_WRITE_TIMEOUT_MS);
    conn_write(c);
}

static void conn_error(mon_conn *c, int status, const char *text)
{
    http_resp r = {0};
    resp_text(&r, status, "%s", text);
    conn_respond(c, NULL, &r);
}

/* A complete head is in c->in[0..end): answer it. */
static void conn_handle(mon_conn *c, size_t end)
{
    http_req q;
    int bad = parse_request(c->in, end, &q);
    if (bad == 505) {
        conn_error(c, 505, "505 HTTP Version Not Supported\n");
        return;
    }
    if (bad) {
        conn_error(c, 400, "400 Bad Request\n");
        return;
    }
    http_resp r = {0};
    if (strcmp(q.method, "GET") != 0 && !q.head) {
        resp_text(&r, 405, "405 method not allowed\n");
        r.allow = true;
    } else {
        dispatch(c->mon, &q, &r);
    }
    conn_respond(c, &q, &r);
}

static void conn_read(mon_conn *c)
{
    for (;;) {
        size_t room = MON_MAX_REQUEST - c->in_len;
        if (room == 0) {
            conn_error(c, 431, "431 Request Header Fields Too Large\n");
            return;
        }
        ssize_t n = read(c->io.fd, c->in + c->in_len, room);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->in[c->in_len] = 0;
            size_t end = head_end(c->in, c->in_len);
            if (end) {
                conn_handle(c, end);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        conn_free(c); /* closed (or failed) before a whole request came */
        return;
    }
}

static void conn_discard(mon_conn *c)
{
    char sink[4096];
    for (;;) {
        ssize_t n = read(c->io.fd, sink, sizeof sink);
        if (n > 0) {
            c->drained += (size_t)n;
            if (c->drained > MON_DRAIN_MAX)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        break;
    }
    conn_free(c);
}

static void conn_io(loop_handler *h, uint32_t events)
{
    mon_conn *c = LOOP_CONTAINER(h, mon_conn, io);
    switch (c->state) {
    case ST_READ: conn_read(c); break;
    case ST_WRITE: conn_write(c); break;
    case ST_DRAIN: conn_discard(c); break;
    }
}

static void on_accept(loop_handler *h, uint32_t events)
{
    monitor *m = LOOP_CONTAINER(h, monitor, listener);
    for (int i = 0; i < 64; i++) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_error("http monitor accept: %s", strerror(errno));
            return;
        }
        if (m->nconns >= MON_MAX_CONNS) {
            /* make room by dropping the oldest connection, so that idle connections cannot
             * lock the port for the new ones */
            mon_conn *oldest = m->conns;
            while (oldest->next)
                oldest = oldest->next;
            log_debug("http monitor: %d connections open, closing the oldest", MON_MAX_CONNS);
            conn_free(oldest);
        }
        mon_conn *c = malloc(sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        memset(c, 0, offsetof(mon_conn, in));
        c->in[0] = 0;
        c->mon = m;
        c->state = ST_READ;
        c->io.fd = fd;
        c->io.fn = conn_io;
        loop_timer_init(&c->timer, conn_timeout);
        if (loop_add(m->srv->loop, &c->io, EPOLLIN) < 0) {
            close(fd);
            free(c);
            continue;
        }
        c->next = m->conns;
        if (m->conns)
            m->conns->prev = c;
        m->conns = c;
        m->nconns++;
        loop_timer_start(m->srv->loop, &c->timer, MON_READ_TIMEOUT_MS);
    }
}

/* ---------------------------------------------------------------- start / stop */

static int open_listener(monitor *m, const char *host, int port)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port < 0 ? 0 : port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host && *host ? host : NULL, portstr, &hints, &res);
    if (rc != 0) {
        log_fatal("Can't listen to the monitor port: %s:%d, %s", host, port, gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_fatal("Can't listen to the monitor port: listen tcp %s:%d: %s", host, port,
                  strerror(err));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    m->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    m->listener.fd = fd;
    m->listener.fn = on_accept;
    if (loop_add(m->srv->loop, &m->listener, EPOLLIN) < 0) {
        log_fatal("Can't listen to the monitor port: %s", strerror(errno));
        close(fd);
        m->listener.fd = -1;
        return -1;
    }
    return 0;
}

int monitor_start(server *s)
{
    const weir_options *o = s->opts;
    monitor *m = calloc(1, sizeof *m);
    if (!m) {
        log_fatal("out of memory");
        return -1;
    }
    m->srv = s;
    m->listener.fd = -1;
    const char *host = o->http_host && *o->http_host ? o->http_host : o->host;
    snprintf(m->host, sizeof m->host, "%s", host ? host : "");
    if (open_listener(m, m->host, o->http_port) < 0) {
        free(m);
        return -1;
    }
    int64_t mono_now = mono_ms();
    m->start_wall_ns = wall_ns() - (mono_now - s->start_ms) * 1000000LL;
    m->cpu_ticks = 0; /* first sample: the average since the process started */
    m->cpu_ms = s->start_ms;
    s->monitor = m;
    if (strchr(m->host, ':'))
        log_info("Starting http monitor on [%s]:%d", m->host, m->port);
    else
        log_info("Starting http monitor on %s:%d", m->host, m->port);
    return 0;
}

void monitor_stop(server *s)
{
    monitor *m = s->monitor;
    if (!m)
        return;
    while (m->conns)
        conn_free(m->conns);
    if (m->listener.fd >= 0) {
        loop_remove(s->loop, &m->listener);
        close(m->listener.fd);
    }
    free(m);
    s->monitor = NULL;
}
