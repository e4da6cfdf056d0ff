/*
 * server.c — the server context's life: listener, accept, signals, the per-iteration flush,
 * the PID file, and shutdown (see server.h).
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "jetstream.h"
#include "jsapi.h"
#include "log.h"
#include "monitor.h"
#include "outbuf.h"
#include "proto/nkey.h"


static void on_accept(loop_handler *h, uint32_t events)
{
    server *s = LOOP_CONTAINER(h, server, listener);
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(h->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_error("accept: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char ip[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
            port = ntohs(a->sin6_port);
        }
        client_accept(s, fd, ip, port);
    }
}

static void on_signal(loop_handler *h, uint32_t events)
{
    server *s = LOOP_CONTAINER(h, server, signals);
    struct signalfd_siginfo si;
    while (read(h->fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
            log_info("Trapped \"%s\" signal", si.ssi_signo == SIGINT ? "interrupt" : "terminated");
            s->shutting_down = true;
            loop_stop(s->loop);
        } else if (si.ssi_signo == SIGHUP) {
            log_warn("configuration reload is not supported; restart the server to apply changes");
        }
    }
}

static void before_sleep(void *arg)
{
    server *s = arg;
    js_commit(s); /* acks wait for the group commit; they go out with this flush */
    client_flush_all(s);
}

static int open_listener(server *s)
{
    weir_options *o = s->opts;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", o->port < 0 ? 0 : o->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    const char *host = o->host && *o->host ? o->host : NULL;
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        log_fatal("Error listening on port: %s:%d, %s", o->host, o->port, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 4096) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        log_fatal("Error listening on port: %s:%d, %s", o->host, o->port, strerror(errno));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)&ss)->sin_port);
    s->listener.fd = fd;
    s->listener.fn = on_accept;
    return loop_add(s->loop, &s->listener, EPOLLIN);
}

static int open_signals(server *s)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    s->signals.fd = fd;
    s->signals.fn = on_signal;
    return loop_add(s->loop, &s->signals, EPOLLIN);
}

/* A server id like nats-server's: the public NKEY of a fresh server key pair. */
static void make_server_id(server *s)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    sodium_memzero(sk, sizeof sk);
    char id[57];
    if (nkey_encode_public(pk, NKEY_PREFIX_SERVER, id) == 0)
        snprintf(s->server_id, sizeof s->server_id, "%s", id);
    else
        snprintf(s->server_id, sizeof s->server_id, "weir-%llx", (unsigned long long)time(NULL));
}

static int write_pid_file(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%d", (int)getpid());
    return fclose(f);
}

int server_start(server *s, weir_options *opts)
{
    memset(s, 0, sizeof *s);
    s->opts = opts;
    s->listener.fd = -1;
    s->signals.fd = -1;
    if (sodium_init() < 0) {
        log_fatal("libsodium failed to initialise");
        return -1;
    }
    srand((unsigned)randombytes_random());
    make_server_id(s);
    snprintf(s->server_name, sizeof s->server_name, "%s",
             opts->server_name && *opts->server_name ? opts->server_name : s->server_id);
    s->loop = loop_new();
    s->sublist = sublist_new();
    if (!s->loop || !s->sublist) {
        log_fatal("out of memory");
        return -1;
    }
    s->start_ms = loop_now_ms(s->loop);
    loop_set_before_sleep(s->loop, before_sleep, s);

    log_info("Starting weir-server");
    log_info("  Version:  %s (nats-server compatible %s)", WEIR_VERSION, WEIR_NATS_COMPAT_VERSION);
    log_info("  ID:       %s", s->server_id);
    log_info("  Name:     %s", s->server_name);
    if (opts->config_file)
        log_info("Using configuration file: %s", opts->config_file);

    /* before the store: RocksDB's threads inherit the signal mask, and a signal delivered to
     * one of them would otherwise kill the process instead of reaching the loop */
    if (open_signals(s) < 0) {
        log_fatal("signal setup failed: %s", strerror(errno));
        return -1;
    }
    if (opts->jetstream && js_start(s) < 0)
        return -1;
    if (open_listener(s) < 0)
        return -1;
    log_info("Listening for client connections on %s:%d", opts->host, s->port);
    if (opts->http_port != 0 && monitor_start(s) < 0)
        return -1;
    if (opts->pid_file && write_pid_file(opts->pid_file) < 0) {
        log_fatal("Could not write pidfile: %s", strerror(errno));
        return -1;
    }
    log_info("Server is ready");
    return 0;
}

int server_run(server *s)
{
    return loop_run(s->loop);
}

void server_stop(server *s)
{
    log_info("Initiating Shutdown...");
    if (s->listener.fd >= 0) {
        loop_remove(s->loop, &s->listener);
        close(s->listener.fd);
        s->listener.fd = -1;
    }
    monitor_stop(s);
    if (s->loop) {
        js_commit(s); /* what was appended in the last iteration is acknowledged before we go */
        client_flush_all(s);
        client_close_all(s);
    }
    if (s->signals.fd >= 0) {
        close(s->signals.fd);
        s->signals.fd = -1;
    }
    js_stop(s);
    jsapi_free(s);
    sublist_free(s->sublist);
    s->sublist = NULL;
    loop_free(s->loop);
    s->loop = NULL;
    outbuf_release_free_list();
    if (s->opts->pid_file)
        unlink(s->opts->pid_file);
    log_info("Server Exiting..");
}
