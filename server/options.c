/*
 * options.c — weir_options defaults, copying, and the command line.
 *
 * The flags are nats-server's (its main.go usage and server/opts.go ConfigureOptions), read the
 * way Go's flag package reads them: `-p 4222`, `-p=4222`, `--port 4222` and `--port=4222` are
 * the same; boolean flags take no separate value but accept `-D=false`; `--` ends the flags;
 * flag names are case-sensitive. A first non-flag argument may be `version` or `help`, as in
 * nats-server. Flags nats-server has but weir does not are refused by name; unknown ones too.
 *
 * Order: all flags are checked first; then -v / -h are answered; then the configuration file
 * (-c) is loaded (conf.c); then the flags are applied over it.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *must_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "weir-server: out of memory\n");
        abort();
    }
    return d;
}

void options_init(weir_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = must_strdup(OPTIONS_DEFAULT_HOST);
    o->port = OPTIONS_DEFAULT_PORT;
    o->max_payload = OPTIONS_DEFAULT_MAX_PAYLOAD;
    o->max_control_line = OPTIONS_DEFAULT_MAX_CONTROL_LINE;
    o->max_connections = OPTIONS_DEFAULT_MAX_CONNECTIONS;
    o->max_pending = OPTIONS_DEFAULT_MAX_PENDING;
    o->ping_interval_ms = OPTIONS_DEFAULT_PING_INTERVAL_MS;
    o->ping_max = OPTIONS_DEFAULT_PING_MAX;
    o->write_deadline_ms = OPTIONS_DEFAULT_WRITE_DEADLINE_MS;
    o->auth_timeout_ms = OPTIONS_DEFAULT_AUTH_TIMEOUT_MS;
    o->jetstream = false;
    o->store_dir = must_strdup(OPTIONS_DEFAULT_STORE_DIR);
    o->max_memory_store = -1;
    o->max_file_store = -1;
    o->sync_interval_ms = OPTIONS_DEFAULT_SYNC_INTERVAL_MS;
}

static void free_users(weir_user *users, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(users[i].user);
        free(users[i].password);
        free(users[i].nkey);
        perms_free(users[i].perms);
    }
    free(users);
}

void options_free(weir_options *o)
{
    free(o->host);
    free(o->server_name);
    free(o->token);
    free(o->user);
    free(o->password);
    free_users(o->users, o->nusers);
    perms_free(o->default_perms);
    free(o->store_dir);
    free(o->log_file);
    free(o->pid_file);
    free(o->config_file);
    free(o->http_host);
    free(o->js_domain);
    if (o->js_key) {
        memset(o->js_key, 0, strlen(o->js_key)); /* a secret: do not leave it in freed memory */
        free(o->js_key);
    }
    memset(o, 0, sizeof *o);
}

/* Duplicates *s in place (NULL stays NULL); false when out of memory (then *s is NULL). */
static bool dup_in_place(char **s)
{
    if (!*s)
        return true;
    *s = strdup(*s);
    return *s != NULL;
}

int options_copy(weir_options *dst, const weir_options *src)
{
    *dst = *src;
    dst->users = NULL;
    dst->nusers = 0;
    dst->default_perms = NULL;
    char **strs[] = {&dst->host,     &dst->server_name, &dst->token,    &dst->user,
                     &dst->password, &dst->store_dir,   &dst->log_file, &dst->pid_file,
                     &dst->config_file, &dst->http_host, &dst->js_key, &dst->js_domain};
    size_t nstrs = sizeof strs / sizeof strs[0];
    bool ok = true;
    for (size_t i = 0; i < nstrs; i++)
        if (!ok)
            *strs[i] = NULL; /* not yet copied: must not be freed below */
        else
            ok = dup_in_place(strs[i]);
    if (ok && src->nusers) {
        dst->users = calloc(src->nusers, sizeof *dst->users);
        ok = dst->users != NULL;
        for (size_t i = 0; ok && i < src->nusers; i++) {
            dst->users[i] = src->users[i];
            dst->nusers = i + 1;
            /* all three are attempted, so that none still points into src when freed */
            bool u = dup_in_place(&dst->users[i].user);
            bool p = dup_in_place(&dst->users[i].password);
            bool k = dup_in_place(&dst->users[i].nkey);
            dst->users[i].perms = perms_clone(src->users[i].perms);
            ok = u && p && k && (dst->users[i].perms || !src->users[i].perms);
        }
    }
    if (ok && src->default_perms) {
        dst->default_perms = perms_clone(src->default_perms);
        ok = dst->default_perms != NULL;
    }
    if (!ok) {
        options_free(dst);
        return -1;
    }
    return 0;
}

/* ---- flags ------------------------------------------------------------------------------ */

enum flag_id {
    F_ADDR, F_PORT, F_NAME, F_CONFIG, F_JS, F_SD, F_USER, F_PASS, F_AUTH, F_DEBUG, F_TRACE,
    F_DV, F_VV, F_DVV, F_LOG, F_PID, F_HTTP_PORT, F_HELP, F_VERSION, F_TEST,
};

static const struct flag_spec {
    const char *name;
    enum flag_id id;
    bool is_bool;
} flag_specs[] = {
    {"a", F_ADDR, false},          {"addr", F_ADDR, false},      {"net", F_ADDR, false},
    {"p", F_PORT, false},          {"port", F_PORT, false},      {"n", F_NAME, false},
    {"name", F_NAME, false},       {"server_name", F_NAME, false}, {"c", F_CONFIG, false},
    {"config", F_CONFIG, false},   {"js", F_JS, true},           {"jetstream", F_JS, true},
    {"sd", F_SD, false},           {"store_dir", F_SD, false},   {"user", F_USER, false},
    {"pass", F_PASS, false},       {"auth", F_AUTH, false},      {"D", F_DEBUG, true},
    {"debug", F_DEBUG, true},      {"V", F_TRACE, true},         {"trace", F_TRACE, true},
    {"DV", F_DV, true},            {"VV", F_VV, true},           {"DVV", F_DVV, true},
    {"l", F_LOG, false},           {"log", F_LOG, false},        {"P", F_PID, false},
    {"pid", F_PID, false},         {"m", F_HTTP_PORT, false},    {"http_port", F_HTTP_PORT, false},
    {"h", F_HELP, true},           {"help", F_HELP, true},       {"v", F_VERSION, true},
    {"version", F_VERSION, true},  {"t", F_TEST, true},
};

/* nats-server flags that weir does not implement: refused by name. */
static const char *const unsupported_flags[] = {
    "client_advertise", "T", "logtime", "logtime_utc", "s", "syslog", "r", "remote_syslog",
    "log_size_limit", "max_traced_msg_len", "ms", "https_port", "sl", "signal",
    "ports_file_dir", "profile", "routes", "cluster", "cluster_listen", "cluster_advertise",
    "no_advertise", "connect_retries", "cluster_name", "help_tls", "tls", "tlsverify",
    "tlscert", "tlskey", "tlscacert", NULL,
};

static const char usage_text[] =
    "Usage: weir-server [options]\n"
    "\n"
    "Server Options:\n"
    "    -a, --addr, --net <host>         Bind to host address (default: " OPTIONS_DEFAULT_HOST
    ")\n"
    "    -p, --port <port>                Use port for clients (default: 4222, -1: random)\n"
    "    -n, --name\n"
    "        --server_name <server_name>  Server name (default: the server id)\n"
    "    -P, --pid <file>                 File to store PID\n"
    "    -m, --http_port <port>           Use port for http monitoring\n"
    "    -c, --config <file>              Configuration file\n"
    "    -t                               Test configuration and exit\n"
    "\n"
    "Logging Options:\n"
    "    -l, --log <file>                 File to redirect log output\n"
    "    -D, --debug                      Enable debugging output\n"
    "    -V, --trace                      Trace the raw protocol\n"
    "    -VV                              Same as -V\n"
    "    -DV                              Debug and trace\n"
    "    -DVV                             Same as -DV\n"
    "\n"
    "JetStream Options:\n"
    "    -js, --jetstream                 Enable JetStream functionality\n"
    "    -sd, --store_dir <dir>           Set the storage directory (default: "
    OPTIONS_DEFAULT_STORE_DIR ")\n"
    "\n"
    "Authorization Options:\n"
    "        --user <user>                User required for connections\n"
    "        --pass <password>            Password required for connections\n"
    "        --auth <token>               Authorization token required for connections\n"
    "\n"
    "Common Options:\n"
    "    -h, --help                       Show this message\n"
    "    -v, --version                    Show version\n"
    "\n"
    "Flags of nats-server that are not listed here (TLS, clustering, syslog, ...) are refused.\n"
    "See docs/CONFIGURATION.md for the configuration file.\n";

typedef struct flag_state {
    const char *config; /* last -c value; NULL or "" = none */
    bool help, version, test;
} flag_state;

__attribute__((format(printf, 3, 4))) static int flag_err(char *err, size_t errlen,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Go's strconv.ParseBool. */
static int parse_go_bool(const char *s, bool *out)
{
    static const char *const t[] = {"1", "t", "T", "true", "TRUE", "True", NULL};
    static const char *const f[] = {"0", "f", "F", "false", "FALSE", "False", NULL};
    for (int i = 0; t[i]; i++) {
        if (!strcmp(s, t[i])) {
            *out = true;
            return 0;
        }
        if (!strcmp(s, f[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* An integer flag value (decimal, 0x hex, 0 octal, as Go's flag package) within [min, max]. */
static int parse_int_flag(const char *flag, const char *s, long min, long max, int *out,
                          char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long n = (*s && !isspace((unsigned char)*s)) ? strtol(s, &end, 0) : 0;
    if (!*s || isspace((unsigned char)*s) || *end || errno)
        return flag_err(err, errlen, "invalid value \"%s\" for flag %s: parse error", s, flag);
    if (n < min || n > max)
        return flag_err(err, errlen, "invalid value \"%s\" for flag %s: out of range (%ld to %ld)",
                        s, flag, min, max);
    *out = (int)n;
    return 0;
}

/* Replaces *dst by a copy of value; empty means NULL, or dflt when given. */
static void set_flag_string(char **dst, const char *value, const char *dflt)
{
    free(*dst);
    *dst = *value ? must_strdup(value) : dflt ? must_strdup(dflt) : NULL;
}

/* Checks one flag's value and, when apply is set, stores it. */
static int handle_flag(weir_options *o, enum flag_id id, const char *flag, const char *value,
                       bool b, bool apply, flag_state *st, char *err, size_t errlen)
{
    int n = 0;
    switch (id) {
    case F_PORT:
    case F_HTTP_PORT:
        if (parse_int_flag(flag, value, -1, 65535, &n, err, errlen) < 0)
            return -1;
        if (apply && id == F_PORT)
            o->port = n == 0 ? OPTIONS_DEFAULT_PORT : n;
        if (apply && id == F_HTTP_PORT)
            o->http_port = n;
        return 0;
    case F_NAME:
        if (strchr(value, ' '))
            return flag_err(err, errlen,
                            "invalid value \"%s\" for flag %s: server name cannot contain spaces",
                            value, flag);
        if (apply)
            set_flag_string(&o->server_name, value, NULL);
        return 0;
    case F_CONFIG: st->config = value; return 0;
    case F_HELP: st->help = b; return 0;
    case F_VERSION: st->version = b; return 0;
    case F_TEST: st->test = b; return 0;
    default: break;
    }
    if (!apply)
        return 0;
    switch (id) {
    case F_ADDR: set_flag_string(&o->host, value, OPTIONS_DEFAULT_HOST); break;
    case F_SD: set_flag_string(&o->store_dir, value, OPTIONS_DEFAULT_STORE_DIR); break;
    case F_USER: set_flag_string(&o->user, value, NULL); break;
    case F_PASS: set_flag_string(&o->password, value, NULL); break;
    case F_AUTH: set_flag_string(&o->token, value, NULL); break;
    case F_LOG: set_flag_string(&o->log_file, value, NULL); break;
    case F_PID: set_flag_string(&o->pid_file, value, NULL); break;
    case F_JS: o->jetstream = b; break;
    case F_DEBUG: o->debug = b; break;
    case F_TRACE:
    case F_VV: o->trace = b; break;
    case F_DV:
    case F_DVV: o->debug = o->trace = b; break;
    default: break;
    }
    return 0;
}

/* One pass over argv: checks every flag; stores them into *o when apply is set. */
static int walk_flags(weir_options *o, int argc, char **argv, bool apply, flag_state *st,
                      char *err, size_t errlen)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == 0)
            break;
        if (!strcmp(arg, "--")) {
            i++;
            break;
        }
        const char *name = arg[1] == '-' ? arg + 2 : arg + 1;
        if (!*name || *name == '-' || *name == '=')
            return flag_err(err, errlen, "bad flag syntax: %s", arg);
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        char flag[64]; /* the flag as typed, without its =value */
        snprintf(flag, sizeof flag, "%.*s", (int)(name - arg + nlen), arg);
        const struct flag_spec *spec = NULL;
        for (size_t k = 0; k < sizeof flag_specs / sizeof flag_specs[0]; k++)
            if (strlen(flag_specs[k].name) == nlen && !strncmp(flag_specs[k].name, name, nlen))
                spec = &flag_specs[k];
        if (!spec) {
            for (const char *const *u = unsupported_flags; *u; u++)
                if (strlen(*u) == nlen && !strncmp(*u, name, nlen))
                    return flag_err(err, errlen, "flag %s is not supported by weir", flag);
            return flag_err(err, errlen, "unknown flag: %s", flag);
        }
        const char *value = eq ? eq + 1 : NULL;
        bool b = true;
        if (spec->is_bool) {
            if (value && parse_go_bool(value, &b) < 0)
                return flag_err(err, errlen, "invalid boolean value \"%s\" for flag %s", value,
                                flag);
        } else if (!value) {
            if (i + 1 >= argc)
                return flag_err(err, errlen, "flag needs an argument: %s", flag);
            value = argv[++i];
        }
        if (handle_flag(o, spec->id, flag, value, b, apply, st, err, errlen) < 0)
            return -1;
    }
    if (i < argc) { /* nats-server's commands: `nats-server version`, `nats-server help` */
        if (!strcasecmp(argv[i], "version"))
            st->version = true;
        else if (!strcasecmp(argv[i], "help"))
            st->help = true;
        else
            return flag_err(err, errlen, "unrecognized command: \"%s\"", argv[i]);
        if (i + 1 < argc)
            return flag_err(err, errlen, "unexpected argument: \"%s\"", argv[i + 1]);
    }
    return 0;
}

/* The authentication settings must name one method, and a user needs a password. */
static int check_auth(const weir_options *o, char *err, size_t errlen)
{
    if (o->token && (o->user || o->password))
        return flag_err(err, errlen, "cannot have a user/password and a token (--auth)");
    if (o->nusers && (o->user || o->token))
        return flag_err(err, errlen,
                        "--user/--auth cannot be combined with the users array of the "
                        "configuration file");
    if (o->password && !o->user)
        return flag_err(err, errlen, "--pass requires --user");
    if (o->user && !o->password)
        return flag_err(err, errlen, "--user requires --pass");
    return 0;
}

int options_parse_args(weir_options *o, int argc, char **argv, char *err, size_t errlen)
{
    flag_state st = {0};
    if (errlen)
        err[0] = 0;
    if (walk_flags(o, argc, argv, false, &st, err, errlen) < 0)
        return OPTIONS_ERROR;
    if (st.version) {
        printf("weir-server version %s (nats-server compatible v%s)\n", WEIR_VERSION,
               WEIR_NATS_COMPAT_VERSION);
        return OPTIONS_EXIT;
    }
    if (st.help) {
        fputs(usage_text, stdout);
        return OPTIONS_EXIT;
    }
    if (st.config && *st.config) {
        if (conf_load_file(o, st.config, err, errlen) < 0)
            return OPTIONS_ERROR;
        if (st.test) {
            fprintf(stderr, "weir-server: configuration file %s is valid\n", st.config);
            return OPTIONS_EXIT;
        }
    } else if (st.test) {
        flag_err(err, errlen,
                 "must specify [-c, --config] option to check configuration file syntax");
        return OPTIONS_ERROR;
    }
    if (walk_flags(o, argc, argv, true, &st, err, errlen) < 0)
        return OPTIONS_ERROR; /* cannot happen: the first pass checked the same flags */
    if (check_auth(o, err, errlen) < 0)
        return OPTIONS_ERROR;
    return OPTIONS_OK;
}
