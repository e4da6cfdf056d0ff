/*
 * harness.h — what the interop tests share: start and stop a server process, connect libnats
 * clients to it, speak the NATS protocol over raw TCP sockets, and make credentials (NKEY user
 * key pairs, bcrypt hashes) for auth tests.
 *
 * The server binary is taken from the environment variable WEIR_SERVER (default
 * "bin/weir-server"); the same tests run against nats-server by pointing WEIR_SERVER at it.
 * Every server gets a free port on 127.0.0.1 and its own temporary directory under /tmp holding
 * the store (-sd), the optional configuration file (-c) and the process's stdout+stderr
 * (server.out). Set WEIR_TEST_KEEP=1 to keep those directories for a post-mortem.
 *
 * Everything here has a timeout: nothing waits forever on a server that misbehaves.
 * Functions return 0 (or a natsStatus of NATS_OK) on success and print why they failed to
 * stderr otherwise; the PASS/FAIL lines on stdout are the tests' own.
 */
#ifndef WEIR_TEST_INTEROP_HARNESS_H
#define WEIR_TEST_INTEROP_HARNESS_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <nats/nats.h>

#define H_MAX_ARGS 32

/* One server process. Zero-initialise, then h_server_start. */
typedef struct h_server {
    pid_t pid;             /* > 0 while running */
    int port;              /* chosen once at the first start, kept across restarts */
    char dir[256];         /* temporary directory owned by this server ("" before start) */
    char store[320];       /* dir/store, passed as -sd */
    char conf[320];        /* dir/server.conf when configuration text was given, else "" */
    char out[320];         /* dir/server.out: the process's stdout and stderr */
    char url[64];          /* nats://127.0.0.1:PORT */
    char *args[H_MAX_ARGS]; /* extra arguments (owned copies) */
    int nargs;
} h_server;

/* Process-wide set-up for a test binary: ignores SIGPIPE, opens libnats. Call first in main. */
void h_init(void);
/* Closes libnats (waits up to 5 s for its threads). Call last in main, before TESTLIB_EXIT. */
void h_done(void);

/* Starts a server. conf_text, if not NULL, is written to a configuration file passed with -c.
 * The NULL-terminated list of further arguments is appended after
 * "-a 127.0.0.1 -p PORT -sd STORE [-c CONF]". Waits until the port answers with an INFO line
 * (up to 10 s); if the process exits during start-up (say, the port was taken meanwhile), tries
 * again on another port, three times in all. Returns 0 when the server is ready. */
int h_server_start(h_server *s, const char *conf_text, ...) __attribute__((sentinel));
/* Stops with SIGINT, waits up to 5 s, then SIGKILLs. Returns 0 if the process exited by
 * itself after SIGINT. Does nothing (returns 0) when not running. */
int h_server_stop(h_server *s);
/* Kills with SIGKILL and reaps (a crash, as far as the store can tell). */
void h_server_kill(h_server *s);
/* Starts again with the same port, store, configuration and arguments. */
int h_server_restart(h_server *s);
/* true while the process has not exited. */
bool h_server_alive(h_server *s);
/* Stops the server if running, removes its directory (unless WEIR_TEST_KEEP is set), frees
 * the argument copies. The struct can then be reused for a new h_server_start. */
void h_server_free(h_server *s);
/* Prints the last `lines` lines of the server's output to stderr (for failing tests). */
void h_server_dump(const h_server *s, int lines);

/* A free TCP port on 127.0.0.1 (bound to port 0, then released). -1 on error. */
int h_free_port(void);
/* Monotonic milliseconds. */
int64_t h_now_ms(void);
/* Sleeps for ms milliseconds. */
void h_sleep_ms(int ms);
/* Writes text to path (created or truncated, mode 0600). */
int h_write_file(const char *path, const char *text);

/* ---- libnats connections ---------------------------------------------------------------- */

typedef struct h_conn_opts {
    const char *user, *pass;       /* user/password, both or neither */
    const char *token;
    const char *nkey_pub;          /* NKEY user public key ("U..."), with nkey_seed_file */
    const char *nkey_seed_file;    /* file holding the seed ("SU...") */
    const char *name;              /* client name */
    bool no_echo;
    bool allow_reconnect;          /* false by default: a lost connection stays lost */
    int timeout_ms;                /* connect timeout, default 2000 */
} h_conn_opts;

/* New options for a connection to s (o may be NULL), for tests that want to set more before
 * connecting. The caller destroys them with natsOptions_Destroy. NULL on error. */
natsOptions *h_opts(const h_server *s, const h_conn_opts *o);
/* Connects to s with o (may be NULL). On failure *nc is NULL and the status is returned;
 * the text of the error is copied to err (may be NULL) when errcap > 0. */
natsStatus h_connect(const h_server *s, const h_conn_opts *o, natsConnection **nc, char *err,
                     size_t errcap);
/* Publishes, flushes and waits for one message on a fresh subscription: a quick health check
 * that the connection and the server route messages. Returns 0 when the message came back. */
int h_nc_roundtrip(natsConnection *nc, const char *subject);

/* ---- raw protocol sockets --------------------------------------------------------------- */

enum { H_TIMEOUT = -1, H_CLOSED = -2, H_ERROR = -3 };

/* A TCP connection with a read buffer. Zero-initialise or h_raw_open.
 *
 * Reads drop "PING\r\n" lines that the server sends on its own (nats-server sends the first
 * one about 2 s after a client connects, to measure the round trip), so that exact-bytes
 * comparisons do not depend on timing: the reader follows MSG/HMSG sizes so that payload bytes
 * are never mistaken for a PING. Set keep_pings after h_raw_open to see every byte. */
typedef struct h_raw {
    int fd;          /* -1 when not connected */
    size_t off, len; /* unread bytes are buf[off .. len) */
    size_t scan;     /* bytes before scan passed the PING filter and may be read */
    size_t skip;     /* payload bytes the filter still has to pass through */
    bool closed;     /* the peer closed (EOF) or reset the connection */
    bool keep_pings; /* deliver the server's PINGs too */
    char buf[65536];
} h_raw;

/* Connects to 127.0.0.1:port with TCP_NODELAY. rcvbuf > 0 shrinks the socket's receive
 * buffer (set before connecting, so the TCP window stays small too). Returns 0 or -1. */
int h_raw_open(h_raw *r, int port, int rcvbuf);
void h_raw_close(h_raw *r);
/* Sends all bytes; 0 or -1 (e.g. the peer closed). Never raises SIGPIPE. */
int h_raw_send(h_raw *r, const void *data, size_t n);
int h_raw_sends(h_raw *r, const char *text);
int h_raw_sendf(h_raw *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads one line ending in "\n", stores it without the line end ("\r\n" or "\n") and
 * NUL-terminated (truncated to cap-1 when longer). Returns its length, H_TIMEOUT or H_CLOSED. */
int h_raw_readline(h_raw *r, char *line, size_t cap, int timeout_ms);
/* Reads exactly n bytes. Returns 0, H_TIMEOUT or H_CLOSED. */
int h_raw_read_n(h_raw *r, void *out, size_t n, int timeout_ms);
/* Reads until what was read ends with `until` (NULL: until the peer closes), the peer closes,
 * or timeout_ms passes. Stores at most cap-1 bytes, NUL-terminated (more is read and dropped).
 * Returns the number of bytes read (possibly more than stored); *closed tells whether the peer
 * closed. */
size_t h_raw_read_until(h_raw *r, char *out, size_t cap, const char *until, int timeout_ms,
                        bool *closed);
/* Discards everything until the peer closes. Returns 1 when it closed, 0 on timeout.
 * *nread (may be NULL) receives the number of bytes discarded. */
int h_raw_wait_closed(h_raw *r, int timeout_ms, size_t *nread);
/* Opens a connection, reads the INFO line into info (may be NULL; without "INFO " and the line
 * end), sends "CONNECT <connect_json>\r\nPING\r\n" and waits for PONG. connect_json NULL means
 * {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}.
 * Returns 0 when the PONG came. */
int h_raw_handshake(h_raw *r, int port, const char *connect_json, char *info, size_t infocap);
/* Starts the server with JetStream ("-js"), connects and makes a JetStream context: 0, or -1
 * (said on stderr; *nc and *js stay NULL as far as they were not made). */
int h_start_js(h_server *s, natsConnection **nc, jsCtx **js);
/* Destroys *js and *nc (either may be NULL), stops the server (it must exit on SIGINT within the
 * stop timeout), starts it again on its store, connects and makes a new JetStream context: 0, or
 * -1. */
int h_restart_js(h_server *s, natsConnection **nc, jsCtx **js);
/* The end of a JetStream test program: destroys js and nc (either may be NULL), prints the
 * server's last log lines when `failed` cases failed, frees the server and closes libnats.
 * Returns the program's exit status (1 when failed). */
int h_end_js(h_server *s, natsConnection *nc, jsCtx *js, int failed);
/* A raw request on nc (e.g. to $JS.API...; body NULL sends nothing): the parsed JSON reply
 * (the caller decrefs), or NULL on timeout, no responders or a reply that is not JSON. */
json_t *h_js_api(natsConnection *nc, const char *subject, const char *body);
/* The minor version of the nats-server 2.x the server is or announces (INFO "version"; 99 for
 * 3.x and later, 0 when unknown), printed as an "info:" line. */
int h_server_minor(const h_server *s);

/* What js_GetStreamInfo says of a stream's state, and of its mirror when it has one. */
typedef struct h_stream_state {
    uint64_t msgs, first, last, deleted;
    bool mirror;          /* the info has a mirror block */
    char mirror_name[64]; /* its name */
    uint64_t lag;         /* its lag */
} h_stream_state;
#define H_STATE_FMT "msgs %" PRIu64 " first %" PRIu64 " last %" PRIu64 " deleted %" PRIu64
#define H_STATE_ARGS(s) (s).msgs, (s).first, (s).last, (s).deleted
/* The state of stream `name` into *s; false when the info request failed. */
bool h_get_stream_state(jsCtx *js, const char *name, h_stream_state *s);
/* Polls (every 20 ms, up to timeout_ms) until stream `name` holds `msgs` messages with last
 * sequence `last` (0: any); the last state seen in *s. */
bool h_wait_stream_state(jsCtx *js, const char *name, uint64_t msgs, uint64_t last,
                         int timeout_ms, h_stream_state *s);
/* Sends "PING\r\n" and expects exactly "PONG\r\n" as the next bytes. 0 if so. */
int h_raw_ping(h_raw *r, int timeout_ms);

/* Escapes bytes for messages: \r \n as such, other non-printables as \xNN. Returns out. */
const char *h_escape(const void *data, size_t n, char *out, size_t cap);

/* ---- credentials ------------------------------------------------------------------------ */

/* A new random NKEY user key pair: seed "SU..." (58 chars) and public key "U..." (56 chars). */
int h_nkey_user_keypair(char seed[59], char pub[57]);
/* The public key of an NKEY user seed ("SU..."). 0 on success, -1 on a malformed seed. */
int h_nkey_public_from_seed(const char *seed, char pub[57]);
/* A bcrypt hash ("$2b$...") of password, with a low cost so tests stay fast. 0 on success. */
int h_bcrypt(const char *password, char *out, size_t cap);

#endif
