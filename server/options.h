/*
 * options.h — the server's settings: defaults, command-line flags and the configuration file.
 *
 * weir-server accepts nats-server's flags and the subset of its configuration format listed in
 * docs/CONFIGURATION.md. Anything we do not understand is refused with a message, never ignored.
 * Precedence: defaults < configuration file (-c) < flags given on the command line.
 *
 * Ownership: every string and every weir_perms in weir_options is heap-allocated and owned by
 * the struct; options_free() releases them all.
 */
#ifndef WEIR_OPTIONS_H
#define WEIR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "perms.h"

#define OPTIONS_DEFAULT_PORT 4222
#define OPTIONS_DEFAULT_MAX_PAYLOAD (1024 * 1024)
#define OPTIONS_DEFAULT_MAX_CONTROL_LINE 4096
#define OPTIONS_DEFAULT_MAX_CONNECTIONS (64 * 1024)
#define OPTIONS_DEFAULT_MAX_PENDING (64LL * 1024 * 1024)
#define OPTIONS_DEFAULT_PING_INTERVAL_MS (2 * 60 * 1000)
#define OPTIONS_DEFAULT_PING_MAX 2
#define OPTIONS_DEFAULT_WRITE_DEADLINE_MS (10 * 1000)
#define OPTIONS_DEFAULT_AUTH_TIMEOUT_MS (2 * 1000)
#define OPTIONS_DEFAULT_SYNC_INTERVAL_MS (2 * 60 * 1000)
#define OPTIONS_DEFAULT_STORE_DIR "./data"
#define OPTIONS_DEFAULT_HOST "0.0.0.0"

/* weir's own version, and the nats-server level it emulates (INFO.version, --version). */
#define WEIR_VERSION "0.1.0"
#define WEIR_NATS_COMPAT_VERSION "2.10.0"

/* One entry of `authorization { users = [...] }`: either user+password or an NKEY public key. */
typedef struct weir_user {
    char *user;     /* NULL for an nkey-only entry */
    char *password; /* plain text, or a bcrypt hash starting with "$2a$"/"$2b$"/"$2y$" */
    char *nkey;     /* NKEY user public key ("U..."), or NULL */
    weir_perms *perms; /* `permissions` of this entry, or NULL: default_permissions apply */
} weir_user;

typedef struct weir_options {
    char *host;        /* listen address, default "0.0.0.0" */
    int port;          /* default 4222; -1 means "pick a random free port" like nats-server
                        * (0 from a flag or the file means the default, as in nats-server) */
    char *server_name; /* default: the generated server id */

    int64_t max_payload;
    int max_control_line;
    int max_connections;       /* -1 = unlimited (`max_connections: 0` or negative) */
    int64_t max_pending;
    int64_t ping_interval_ms;
    int ping_max;
    int64_t write_deadline_ms;
    int64_t auth_timeout_ms;

    /* authorization: at most one of token, user/password, users[] is set */
    char *token;
    char *user;
    char *password;
    weir_user *users;
    size_t nusers;
    weir_perms *default_perms; /* `default_permissions` for users without their own, or NULL */

    bool jetstream;
    char *store_dir;
    int64_t max_memory_store; /* -1 = unlimited */
    int64_t max_file_store;   /* -1 = unlimited */
    int64_t sync_interval_ms; /* fsync of the store's log, default 2 minutes like nats-server */
    bool sync_always;         /* `sync_interval: always`: fsync every batch before its acks */
    char *js_key;             /* encryption at rest (`key`), or NULL */
    char *js_domain;          /* jetstream.domain: the API also answers on $JS.<domain>.API.> */

    bool debug;        /* -D */
    bool trace;        /* -V */
    char *log_file;    /* -l, NULL = stderr */
    char *pid_file;    /* -P */
    char *config_file; /* -c */

    /* Monitoring (-m/--http_port, `http`, `http_port`): served by server/monitor.c. */
    int http_port;     /* 0 = off (default), -1 = random port */
    char *http_host;   /* from `http: host:port`; NULL = same as host */
} weir_options;

/* Fills every field with nats-server's defaults (strings duplicated onto the heap). */
void options_init(weir_options *o);

/* Releases every owned string, the users array and the permissions; leaves *o zeroed. */
void options_free(weir_options *o);

/* Deep copy of src into dst (dst is overwritten, not freed first). Returns 0, or -1 when out of
 * memory, in which case dst is left zeroed. */
int options_copy(weir_options *dst, const weir_options *src);

/* Result of options_parse_args. */
enum {
    OPTIONS_OK = 0,      /* run the server */
    OPTIONS_EXIT = 1,    /* -h or -v was handled: the caller exits with status 0 */
    OPTIONS_ERROR = -1,  /* err holds a one-line message; the caller prints it and exits 1 */
};

/* Parses argv (argv[0] is the program name). Loads -c FILE first, then applies the other flags
 * over it. Help and version text are printed to stdout. */
int options_parse_args(weir_options *o, int argc, char **argv, char *err, size_t errlen);

/* Parses a configuration file in nats-server's format and applies the supported keys to *o.
 * Returns 0, or -1 with "FILE:LINE:COL: message" in err (just "FILE: message" when the file
 * itself cannot be read); on error *o is left unchanged. `include` paths are resolved relative
 * to the including file. Defined in conf.c. */
int conf_load_file(weir_options *o, const char *path, char *err, size_t errlen);

/* Same as conf_load_file for text held in memory; `name` is used in error messages and as the
 * base for relative includes. */
int conf_load_string(weir_options *o, const char *name, const char *text, char *err, size_t errlen);

#endif
