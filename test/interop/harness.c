/*
 * harness.c — server processes, libnats connections, raw protocol sockets and credentials for
 * the interop tests. See harness.h for the contracts.
 */
#include "test/interop/harness.h"
#include "proto/nkey.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define H_START_TIMEOUT_MS 10000
#define H_STOP_TIMEOUT_MS 5000

/* ---- small utilities -------------------------------------------------------------------- */

int64_t h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int h_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "harness: open %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t w = write(fd, text + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "harness: write %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    return close(fd);
}

int h_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

void h_init(void)
{
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sodium_init() < 0)
        fprintf(stderr, "harness: sodium_init failed\n");
    natsStatus st = nats_Open(-1);
    if (st != NATS_OK)
        fprintf(stderr, "harness: nats_Open: %s\n", natsStatus_GetText(st));
}

void h_done(void)
{
    nats_CloseAndWait(5000);
}

/* ---- server processes ------------------------------------------------------------------- */

static const char *server_binary(void)
{
    const char *b = getenv("WEIR_SERVER");
    return (b && *b) ? b : "bin/weir-server";
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void rm_tree(const char *dir)
{
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Waits for the child to exit for up to timeout_ms; returns 1 and fills *status if it did. */
static int reap(pid_t pid, int timeout_ms, int *status)
{
    int64_t end = h_now_ms() + timeout_ms;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* not our child any more: nothing left to wait for */
        if (h_now_ms() >= end)
            return 0;
        h_sleep_ms(5);
    }
}

bool h_server_alive(h_server *s)
{
    if (s->pid <= 0)
        return false;
    int status;
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == s->pid) {
        s->pid = 0;
        return false;
    }
    return true;
}

void h_server_dump(const h_server *s, int lines)
{
    if (!s->out[0])
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tail -n %d '%s' 1>&2", lines, s->out);
    fprintf(stderr, "---- last %d lines of %s ----\n", lines, s->out);
    fflush(stderr);
    if (system(cmd) != 0) {
        /* nothing to do: the dump is best effort */
    }
}

/* Connects to the port and waits for a line starting with "INFO ". */
static int port_answers_info(int port)
{
    h_raw *r = malloc(sizeof *r);
    if (!r)
        return 0;
    int ok = 0;
    if (h_raw_open(r, port, 0) == 0) {
        char line[128];
        int n = h_raw_readline(r, line, sizeof line, 1000);
        ok = n >= 5 && strncmp(line, "INFO ", 5) == 0;
    }
    h_raw_close(r);
    free(r);
    return ok;
}

static int spawn(h_server *s)
{
    const char *bin = server_binary();
    char portbuf[16];
    snprintf(portbuf, sizeof portbuf, "%d", s->port);
    char *argv[H_MAX_ARGS + 16];
    int argc = 0;
    argv[argc++] = (char *)bin;
    argv[argc++] = "-a";
    argv[argc++] = "127.0.0.1";
    argv[argc++] = "-p";
    argv[argc++] = portbuf;
    argv[argc++] = "-sd";
    argv[argc++] = s->store;
    if (s->conf[0]) {
        argv[argc++] = "-c";
        argv[argc++] = s->conf;
    }
    for (int i = 0; i < s->nargs; i++)
        argv[argc++] = s->args[i];
    argv[argc] = NULL;

    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "harness: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a test binary that is killed */
        signal(SIGPIPE, SIG_DFL);
        int fd = open(s->out, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        execv(bin, argv);
        fprintf(stderr, "harness: exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    s->pid = pid;

    int64_t end = h_now_ms() + H_START_TIMEOUT_MS;
    while (h_now_ms() < end) {
        if (!h_server_alive(s)) {
            fprintf(stderr, "harness: server %s exited during start-up (port %d)\n", bin,
                    s->port);
            h_server_dump(s, 30);
            return -2;
        }
        if (port_answers_info(s->port)) {
            h_sleep_ms(2);
            if (h_server_alive(s)) /* and not someone else answering on that port */
                return 0;
        } else {
            h_sleep_ms(10);
        }
    }
    fprintf(stderr, "harness: server %s did not answer on port %d within %d ms\n", bin, s->port,
            H_START_TIMEOUT_MS);
    h_server_dump(s, 30);
    h_server_kill(s);
    return -1;
}

int h_server_start(h_server *s, const char *conf_text, ...)
{
    if (s->pid > 0 || s->dir[0]) {
        fprintf(stderr, "harness: h_server_start on a server in use (call h_server_free)\n");
        return -1;
    }
    memset(s, 0, sizeof *s);
    va_list ap;
    va_start(ap, conf_text);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL) {
        if (s->nargs == H_MAX_ARGS) {
            va_end(ap);
            fprintf(stderr, "harness: too many server arguments\n");
            h_server_free(s);
            return -1;
        }
        s->args[s->nargs++] = strdup(a);
    }
    va_end(ap);

    snprintf(s->dir, sizeof s->dir, "/tmp/weir-iop-XXXXXX");
    if (!mkdtemp(s->dir)) {
        fprintf(stderr, "harness: mkdtemp: %s\n", strerror(errno));
        s->dir[0] = 0;
        h_server_free(s);
        return -1;
    }
    snprintf(s->store, sizeof s->store, "%s/store", s->dir);
    snprintf(s->out, sizeof s->out, "%s/server.out", s->dir);
    if (mkdir(s->store, 0700) != 0) {
        fprintf(stderr, "harness: mkdir %s: %s\n", s->store, strerror(errno));
        h_server_free(s);
        return -1;
    }
    if (conf_text) {
        snprintf(s->conf, sizeof s->conf, "%s/server.conf", s->dir);
        if (h_write_file(s->conf, conf_text) != 0) {
            h_server_free(s);
            return -1;
        }
    }
    /* The port is free when chosen but may be taken (by a client's ephemeral port, another
     * test's server) before the server binds it: if the server exits during start-up, try
     * again on another port, a few times. */
    int rc = -1;
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = h_free_port();
        if (s->port <= 0) {
            fprintf(stderr, "harness: no free port\n");
            break;
        }
        snprintf(s->url, sizeof s->url, "nats://127.0.0.1:%d", s->port);
        rc = spawn(s);
        if (rc != -2)
            break;
    }
    if (rc != 0) {
        h_server_free(s);
        return -1;
    }
    return 0;
}

int h_server_stop(h_server *s)
{
    if (s->pid <= 0)
        return 0;
    int status = 0, rc = 0;
    kill(s->pid, SIGINT);
    if (!reap(s->pid, H_STOP_TIMEOUT_MS, &status)) {
        fprintf(stderr, "harness: server pid %d ignored SIGINT for %d ms, killing it\n",
                (int)s->pid, H_STOP_TIMEOUT_MS);
        kill(s->pid, SIGKILL);
        reap(s->pid, H_STOP_TIMEOUT_MS, &status);
        rc = -1;
    }
    s->pid = 0;
    return rc;
}

void h_server_kill(h_server *s)
{
    if (s->pid <= 0)
        return;
    int status;
    kill(s->pid, SIGKILL);
    reap(s->pid, H_STOP_TIMEOUT_MS, &status);
    s->pid = 0;
}

int h_server_restart(h_server *s)
{
    if (!s->dir[0]) {
        fprintf(stderr, "harness: restart of a server never started\n");
        return -1;
    }
    h_server_stop(s);
    /* Same port: a listener that sets SO_REUSEADDR (as nats-server does) rebinds at once even
     * with connections of the old process in TIME_WAIT. */
    return spawn(s) == 0 ? 0 : -1;
}

void h_server_free(h_server *s)
{
    h_server_stop(s);
    const char *keep = getenv("WEIR_TEST_KEEP");
    if (s->dir[0]) {
        if (keep && *keep && strcmp(keep, "0") != 0)
            fprintf(stderr, "harness: kept %s\n", s->dir);
        else
            rm_tree(s->dir);
    }
    for (int i = 0; i < s->nargs; i++)
        free(s->args[i]);
    memset(s, 0, sizeof *s);
}

/* ---- libnats connections ---------------------------------------------------------------- */

natsOptions *h_opts(const h_server *s, const h_conn_opts *o)
{
    static const h_conn_opts none;
    if (!o)
        o = &none;
    natsOptions *opts = NULL;
    natsStatus st = natsOptions_Create(&opts);
    if (st == NATS_OK)
        st = natsOptions_SetURL(opts, s->url);
    if (st == NATS_OK)
        st = natsOptions_SetTimeout(opts, o->timeout_ms > 0 ? o->timeout_ms : 2000);
    if (st == NATS_OK)
        st = natsOptions_SetAllowReconnect(opts, o->allow_reconnect);
    if (st == NATS_OK && (o->user || o->pass))
        st = natsOptions_SetUserInfo(opts, o->user ? o->user : "", o->pass ? o->pass : "");
    if (st == NATS_OK && o->token)
        st = natsOptions_SetToken(opts, o->token);
    if (st == NATS_OK && o->nkey_pub)
        st = natsOptions_SetNKeyFromSeed(opts, o->nkey_pub, o->nkey_seed_file);
    if (st == NATS_OK && o->name)
        st = natsOptions_SetName(opts, o->name);
    if (st == NATS_OK && o->no_echo)
        st = natsOptions_SetNoEcho(opts, true);
    if (st != NATS_OK) {
        fprintf(stderr, "harness: options: %s\n", natsStatus_GetText(st));
        natsOptions_Destroy(opts);
        return NULL;
    }
    return opts;
}

natsStatus h_connect(const h_server *s, const h_conn_opts *o, natsConnection **nc, char *err,
                     size_t errcap)
{
    *nc = NULL;
    if (err && errcap)
        err[0] = 0;
    natsOptions *opts = h_opts(s, o);
    if (!opts)
        return NATS_ERR;
    natsStatus st = natsConnection_Connect(nc, opts);
    if (st != NATS_OK) {
        natsStatus ls;
        const char *txt = nats_GetLastError(&ls);
        if (err && errcap)
            snprintf(err, errcap, "%s (%s)", natsStatus_GetText(st), txt ? txt : "");
        *nc = NULL;
    }
    natsOptions_Destroy(opts);
    return st;
}

int h_nc_roundtrip(natsConnection *nc, const char *subject)
{
    static int counter;
    char subj[256], data[64];
    snprintf(subj, sizeof subj, "%s.%d", subject, ++counter);
    snprintf(data, sizeof data, "roundtrip-%d", counter);
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    int rc = -1;
    if (natsConnection_SubscribeSync(&sub, nc, subj) != NATS_OK)
        goto out;
    if (natsConnection_Flush(nc) != NATS_OK)
        goto out;
    if (natsConnection_PublishString(nc, subj, data) != NATS_OK)
        goto out;
    if (natsSubscription_NextMsg(&m, sub, 3000) != NATS_OK)
        goto out;
    if (natsMsg_GetDataLength(m) == (int)strlen(data) &&
        memcmp(natsMsg_GetData(m), data, strlen(data)) == 0)
        rc = 0;
out:
    natsMsg_Destroy(m);
    if (sub) {
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    return rc;
}

/* ---- raw protocol sockets --------------------------------------------------------------- */

int h_raw_open(h_raw *r, int port, int rcvbuf)
{
    r->fd = -1;
    r->off = r->len = r->scan = r->skip = 0;
    r->closed = false;
    r->keep_pings = false;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (rcvbuf > 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    r->fd = fd;
    return 0;
}

void h_raw_close(h_raw *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->off = r->len = r->scan = r->skip = 0;
}

int h_raw_send(h_raw *r, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        if (r->fd < 0)
            return -1;
        ssize_t w = send(r->fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int h_raw_sends(h_raw *r, const char *text)
{
    return h_raw_send(r, text, strlen(text));
}

int h_raw_sendf(h_raw *r, const char *fmt, ...)
{
    char stackbuf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stackbuf, sizeof stackbuf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof stackbuf)
        return h_raw_send(r, stackbuf, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = h_raw_send(r, big, (size_t)n);
    free(big);
    return rc;
}

/* The size in the last argument of a MSG/HMSG control line p[0..n) (ending in \n), or -1. */
static long long last_number(const char *p, size_t n)
{
    size_t e = n;
    while (e > 0 && (p[e - 1] == '\n' || p[e - 1] == '\r' || p[e - 1] == ' '))
        e--;
    size_t b = e;
    while (b > 0 && p[b - 1] >= '0' && p[b - 1] <= '9')
        b--;
    if (b == e || e - b > 15)
        return -1;
    long long v = 0;
    for (size_t i = b; i < e; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* Moves scan forward over complete protocol lines and payloads, deleting server PINGs. */
static void raw_filter(h_raw *r)
{
    if (r->keep_pings || r->closed) {
        r->scan = r->len;
        return;
    }
    if (r->scan < r->off)
        r->scan = r->off;
    while (r->scan < r->len) {
        if (r->skip > 0) {
            size_t k = r->len - r->scan;
            if (k > r->skip)
                k = r->skip;
            r->scan += k;
            r->skip -= k;
            continue;
        }
        char *p = r->buf + r->scan;
        size_t avail = r->len - r->scan;
        char *nl = memchr(p, '\n', avail);
        if (!nl) {
            if (r->off == 0 && r->len == sizeof r->buf)
                r->scan = r->len; /* a line longer than the buffer: pass it unfiltered */
            return;
        }
        size_t linelen = (size_t)(nl - p) + 1;
        if (linelen == 6 && memcmp(p, "PING\r\n", 6) == 0) {
            memmove(p, p + 6, avail - 6);
            r->len -= 6;
            continue;
        }
        if ((linelen > 4 && memcmp(p, "MSG ", 4) == 0) ||
            (linelen > 5 && memcmp(p, "HMSG ", 5) == 0)) {
            long long size = last_number(p, linelen);
            if (size >= 0)
                r->skip = (size_t)size + 2;
        }
        r->scan += linelen;
    }
}

/* End of the bytes readers may consume. */
static size_t raw_visible(const h_raw *r)
{
    return r->scan > r->len ? r->len : r->scan;
}

/* Reads more bytes into the buffer, waiting until deadline. 0 on data, H_TIMEOUT, H_CLOSED. */
static int raw_fill(h_raw *r, int64_t deadline)
{
    if (r->closed || r->fd < 0) {
        r->scan = r->len;
        return r->off < r->len ? 0 : H_CLOSED;
    }
    if (r->off == r->len)
        r->off = r->len = r->scan = 0;
    if (r->len == sizeof r->buf) {
        if (r->off == 0) {
            raw_filter(r);
            return 0; /* full: the caller must consume first */
        }
        memmove(r->buf, r->buf + r->off, r->len - r->off);
        r->len -= r->off;
        r->scan = r->scan > r->off ? r->scan - r->off : 0;
        r->off = 0;
    }
    for (;;) {
        int64_t left = deadline - h_now_ms();
        if (left < 0)
            left = 0;
        struct pollfd p = {r->fd, POLLIN, 0};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            r->closed = true;
            return H_CLOSED;
        }
        if (pr == 0)
            return H_TIMEOUT;
        ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
        if (n > 0) {
            r->len += (size_t)n;
            raw_filter(r);
            return 0;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        r->closed = true; /* EOF, or ECONNRESET and friends */
        r->scan = r->len; /* whatever is left (a partial line) is readable now */
        return r->off < r->len ? 0 : H_CLOSED;
    }
}

int h_raw_readline(h_raw *r, char *line, size_t cap, int timeout_ms)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    size_t n = 0, total = 0;
    for (;;) {
        while (r->off < raw_visible(r)) {
            char c = r->buf[r->off++];
            if (c == '\n') {
                if (n > 0 && n == total && line[n - 1] == '\r')
                    n--;
                if (cap)
                    line[n] = 0;
                return (int)n;
            }
            total++;
            if (n + 1 < cap)
                line[n++] = c;
        }
        int rc = raw_fill(r, deadline);
        if (rc != 0) {
            if (cap)
                line[n] = 0;
            return rc;
        }
    }
}

int h_raw_read_n(h_raw *r, void *out, size_t n, int timeout_ms)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    char *o = out;
    while (n > 0) {
        if (r->off < raw_visible(r)) {
            size_t k = raw_visible(r) - r->off;
            if (k > n)
                k = n;
            memcpy(o, r->buf + r->off, k);
            r->off += k;
            o += k;
            n -= k;
            continue;
        }
        int rc = raw_fill(r, deadline);
        if (rc != 0)
            return rc;
    }
    return 0;
}

size_t h_raw_read_until(h_raw *r, char *out, size_t cap, const char *until, int timeout_ms,
                        bool *closed)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    size_t ulen = until ? strlen(until) : 0;
    char tail[64];
    size_t tlen = 0;
    size_t stored = 0, total = 0;
    if (ulen >= sizeof tail)
        ulen = sizeof tail - 1;
    if (closed)
        *closed = false;
    for (;;) {
        while (r->off < raw_visible(r)) {
            char c = r->buf[r->off++];
            total++;
            if (stored + 1 < cap)
                out[stored++] = c;
            if (ulen) {
                if (tlen == ulen) {
                    memmove(tail, tail + 1, tlen - 1);
                    tlen--;
                }
                tail[tlen++] = c;
                if (tlen == ulen && memcmp(tail, until, ulen) == 0) {
                    if (cap)
                        out[stored] = 0;
                    return total;
                }
            }
        }
        int rc = raw_fill(r, deadline);
        if (rc != 0) {
            if (rc == H_CLOSED && closed)
                *closed = true;
            if (cap)
                out[stored] = 0;
            return total;
        }
    }
}

int h_raw_wait_closed(h_raw *r, int timeout_ms, size_t *nread)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    size_t total = 0;
    r->keep_pings = true; /* everything is discarded anyway */
    for (;;) {
        total += r->len - r->off;
        r->off = r->len = r->scan = r->skip = 0;
        int rc = raw_fill(r, deadline);
        if (rc == H_CLOSED) {
            if (nread)
                *nread = total;
            return 1;
        }
        if (rc == H_TIMEOUT) {
            if (nread)
                *nread = total;
            return 0;
        }
    }
}

int h_raw_handshake(h_raw *r, int port, const char *connect_json, char *info, size_t infocap)
{
    if (!connect_json)
        connect_json =
            "{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"
            "\"protocol\":1}";
    if (h_raw_open(r, port, 0) != 0) {
        fprintf(stderr, "harness: raw connect to %d failed: %s\n", port, strerror(errno));
        return -1;
    }
    char line[8192];
    int n = h_raw_readline(r, line, sizeof line, 3000);
    if (n < 5 || strncmp(line, "INFO ", 5) != 0) {
        fprintf(stderr, "harness: expected INFO, got %d '%.100s'\n", n, n > 0 ? line : "");
        return -1;
    }
    if (info && infocap)
        snprintf(info, infocap, "%s", line + 5);
    if (h_raw_sendf(r, "CONNECT %s\r\nPING\r\n", connect_json) != 0)
        return -1;
    for (;;) {
        n = h_raw_readline(r, line, sizeof line, 3000);
        if (n < 0) {
            fprintf(stderr, "harness: no PONG after CONNECT (%d)\n", n);
            return -1;
        }
        if (strcmp(line, "PONG") == 0)
            return 0;
        if (strcmp(line, "+OK") == 0)
            continue;
        fprintf(stderr, "harness: unexpected reply to CONNECT: '%.200s'\n", line);
        return -1;
    }
}

/* Connects to s and makes a JetStream context: 0, or -1 said on stderr. */
static int connect_js(h_server *s, natsConnection **nc, jsCtx **js)
{
    char err[256];
    if (h_connect(s, NULL, nc, err, sizeof err) != NATS_OK) {
        fprintf(stderr, "connect: %s\n", err);
        return -1;
    }
    if (natsConnection_JetStream(js, *nc, NULL) != NATS_OK) {
        fprintf(stderr, "natsConnection_JetStream failed\n");
        return -1;
    }
    return 0;
}

int h_start_js(h_server *s, natsConnection **nc, jsCtx **js)
{
    if (h_server_start(s, NULL, "-js", NULL) != 0)
        return -1;
    return connect_js(s, nc, js);
}

int h_restart_js(h_server *s, natsConnection **nc, jsCtx **js)
{
    jsCtx_Destroy(*js);
    *js = NULL;
    natsConnection_Destroy(*nc);
    *nc = NULL;
    if (h_server_stop(s) != 0) /* a server that does not stop on SIGINT in time fails the restart */
        return -1;
    if (h_server_restart(s) != 0)
        return -1;
    return connect_js(s, nc, js);
}

int h_end_js(h_server *s, natsConnection *nc, jsCtx *js, int failed)
{
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    if (failed)
        h_server_dump(s, 30);
    h_server_free(s);
    h_done();
    return failed ? 1 : 0;
}

json_t *h_js_api(natsConnection *nc, const char *subject, const char *body)
{
    natsMsg *reply = NULL;
    if (natsConnection_RequestString(&reply, nc, subject, body ? body : "", 3000) != NATS_OK)
        return NULL;
    json_error_t jerr;
    json_t *j = json_loadb(natsMsg_GetData(reply), (size_t)natsMsg_GetDataLength(reply), 0, &jerr);
    natsMsg_Destroy(reply);
    return j;
}

int h_server_minor(const h_server *s)
{
    h_raw r;
    char info[4096] = "";
    int major = 0, minor = 0;
    if (h_raw_handshake(&r, s->port, NULL, info, sizeof info) == 0) {
        const char *v = strstr(info, "\"version\":\"");
        if (!v || sscanf(v + 11, "%d.%d", &major, &minor) != 2)
            major = minor = 0;
    }
    h_raw_close(&r);
    int m = major > 2 ? 99 : minor;
    printf("info: server version 2.%d\n", m);
    return m;
}

int h_raw_ping(h_raw *r, int timeout_ms)
{
    if (h_raw_sends(r, "PING\r\n") != 0)
        return -1;
    char got[7];
    if (h_raw_read_n(r, got, 6, timeout_ms) != 0)
        return -1;
    return memcmp(got, "PONG\r\n", 6) == 0 ? 0 : -1;
}

const char *h_escape(const void *data, size_t n, char *out, size_t cap)
{
    const unsigned char *p = data;
    size_t o = 0;
    if (!cap)
        return out;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char c = p[i];
        if (c == '\r') {
            out[o++] = '\\';
            out[o++] = 'r';
        } else if (c == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
    return out;
}

/* ---- credentials ------------------------------------------------------------------------ */

/* NKEY key pairs for auth tests, encoded with the server's own proto/nkey (whose encoding is
 * checked against published key pairs in test/unit/test_nkey.c). */
int h_nkey_user_keypair(char seed[59], char pub[57])
{
    unsigned char raw[32], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    randombytes_buf(raw, sizeof raw);
    int rc = crypto_sign_seed_keypair(pk, sk, raw) == 0 &&
                     nkey_encode_seed(raw, NKEY_PREFIX_USER, seed) == 0 &&
                     nkey_encode_public(pk, NKEY_PREFIX_USER, pub) == 0
                 ? 0
                 : -1;
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(raw, sizeof raw);
    return rc;
}

int h_nkey_public_from_seed(const char *seed, char pub[57])
{
    unsigned char raw[32], pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    char role = 0;
    int rc = nkey_decode_seed(seed, &role, raw) == 0 && role == NKEY_PREFIX_USER &&
                     crypto_sign_seed_keypair(pk, sk, raw) == 0 &&
                     nkey_encode_public(pk, NKEY_PREFIX_USER, pub) == 0
                 ? 0
                 : -1;
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(raw, sizeof raw);
    return rc;
}

int h_bcrypt(const char *password, char *out, size_t cap)
{
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (!crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof salt))
        return -1;
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (!cd)
        return -1;
    const char *h = crypt_r(password, salt, cd);
    int rc = -1;
    if (h && h[0] == '$' && strlen(h) < cap) {
        snprintf(out, cap, "%s", h);
        rc = 0;
    }
    free(cd);
    return rc;
}

bool h_get_stream_state(jsCtx *js, const char *name, h_stream_state *s)
{
    jsStreamInfo *si = NULL;
    jsErrCode ec = 0;
    memset(s, 0, sizeof *s);
    if (js_GetStreamInfo(&si, js, name, NULL, &ec) != NATS_OK)
        return false;
    s->msgs = si->State.Msgs;
    s->first = si->State.FirstSeq;
    s->last = si->State.LastSeq;
    s->deleted = (uint64_t)si->State.NumDeleted;
    if (si->Mirror) {
        s->mirror = true;
        snprintf(s->mirror_name, sizeof s->mirror_name, "%s",
                 si->Mirror->Name ? si->Mirror->Name : "");
        s->lag = si->Mirror->Lag;
    }
    jsStreamInfo_Destroy(si);
    return true;
}

bool h_wait_stream_state(jsCtx *js, const char *name, uint64_t msgs, uint64_t last,
                         int timeout_ms, h_stream_state *s)
{
    int64_t deadline = h_now_ms() + timeout_ms;
    for (;;) {
        bool ok = h_get_stream_state(js, name, s);
        if (ok && s->msgs == msgs && (last == 0 || s->last == last))
            return true;
        if (h_now_ms() >= deadline)
            return false;
        h_sleep_ms(20);
    }
}
