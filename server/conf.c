/*
 * conf.c — applies a parsed configuration file (conf_parse.h) to weir_options.
 *
 * Walks the value tree and sets the keys weir supports, with nats-server's names, aliases and
 * meanings (its server/opts.go). Key names are case-insensitive. Everything else is refused with
 * "FILE:LINE:COL: message": keys nats-server has but weir does not ("... is not supported by
 * weir"), keys nobody has ("unknown configuration key"), values of the wrong type or out of
 * range. As in nats-server, a key whose only purpose is to be referenced as a $variable is
 * allowed. The options are changed only when the whole file applies cleanly.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf_parse.h"
#include "proto/duration.h"
#include "options.h"
#include "proto/nkey.h"

typedef struct applier {
    weir_options *o;
    char *err;
    size_t errlen;
    bool store_dir_set; /* store_dir given at the top level or in jetstream {} */
} applier;

__attribute__((format(printf, 3, 4))) static int errat(applier *a, conf_pos at,
                                                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(a->err, a->errlen, "%s:%d:%d: %s", at.file, at.line, at.col, msg);
    return -1;
}

/* True when key equals one of the NULL-terminated names, ignoring case. */
static bool key_is(const char *key, ...)
{
    va_list ap;
    va_start(ap, key);
    const char *name;
    bool hit = false;
    while (!hit && (name = va_arg(ap, const char *)))
        hit = strcasecmp(key, name) == 0;
    va_end(ap);
    return hit;
}

static bool in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcasecmp(key, *list))
            return true;
    return false;
}

/* "a string (\"abc\")", "an integer (12)", "a map", ... for type errors. */
static const char *describe(const conf_value *v, char *buf, size_t len)
{
    switch (v->type) {
    case CONF_STRING: snprintf(buf, len, "a string (\"%.40s\")", v->text); break;
    case CONF_INT: snprintf(buf, len, "an integer (%s)", v->text); break;
    case CONF_FLOAT: snprintf(buf, len, "a float (%s)", v->text); break;
    case CONF_BOOL: snprintf(buf, len, "a boolean (%s)", v->b ? "true" : "false"); break;
    case CONF_ARRAY: snprintf(buf, len, "an array"); break;
    case CONF_MAP: snprintf(buf, len, "a map"); break;
    }
    return buf;
}

static int wrong_type(applier *a, const char *path, const conf_value *v, const char *expected)
{
    char b[80];
    return errat(a, v->pos, "invalid value for \"%s\": expected %s, got %s", path, expected,
                 describe(v, b, sizeof b));
}

static int set_string(applier *a, char **dst, const char *text, bool empty_is_null)
{
    char *s = NULL;
    if (text && (*text || !empty_is_null) && !(s = strdup(text))) {
        snprintf(a->err, a->errlen, "out of memory");
        return -1;
    }
    free(*dst);
    *dst = s;
    return 0;
}

static int get_string(applier *a, const char *path, const conf_value *v, char **dst,
                      bool empty_is_null)
{
    if (v->type != CONF_STRING)
        return wrong_type(a, path, v, "a string");
    return set_string(a, dst, v->text, empty_is_null);
}

static int get_bool(applier *a, const char *path, const conf_value *v, bool *dst)
{
    if (v->type != CONF_BOOL)
        return wrong_type(a, path, v, "a boolean (true/false, yes/no, on/off)");
    *dst = v->b;
    return 0;
}

static int get_int(applier *a, const char *path, const conf_value *v, int64_t min, int64_t max,
                   int64_t *dst)
{
    if (v->type != CONF_INT)
        return wrong_type(a, path, v, "an integer");
    if (v->i < min || v->i > max)
        return errat(a, v->pos, "invalid value for \"%s\": %s is out of range (%lld to %lld)",
                     path, v->text, (long long)min, (long long)max);
    *dst = v->i;
    return 0;
}

/* A duration: a string such as "2m", "30s", "1h30m", "500ms", or a number of seconds. Must be
 * positive; stored in milliseconds (rounded up so that a positive value never becomes 0). */
static int get_duration_ms(applier *a, const char *path, const conf_value *v, int64_t *dst)
{
    int64_t ns;
    if (v->type == CONF_STRING) {
        if (duration_parse_go(v->text, &ns) < 0)
            return errat(a, v->pos,
                         "invalid value for \"%s\": \"%s\" is not a duration (write a number "
                         "with a unit: ns, us, ms, s, m, h; e.g. \"2m\", \"1h30m\", \"500ms\")",
                         path, v->text);
    } else if (v->type == CONF_INT) {
        if (v->flags & CONF_FLAG_SUFFIX)
            return errat(a, v->pos,
                         "invalid value for \"%s\": unquoted %s is read as the number %lld "
                         "(a size), not a duration; write it in quotes: \"%s\"",
                         path, v->text, (long long)v->i, v->text);
        if (v->i > INT64_MAX / 1000000000LL || v->i < -(INT64_MAX / 1000000000LL))
            return errat(a, v->pos, "invalid value for \"%s\": %s seconds is too long", path,
                         v->text);
        ns = v->i * 1000000000LL;
    } else if (v->type == CONF_FLOAT) {
        if (!(fabs(v->f) < 9.2e9))
            return errat(a, v->pos, "invalid value for \"%s\": %s seconds is too long", path,
                         v->text);
        ns = (int64_t)(v->f * 1e9);
    } else {
        return wrong_type(a, path, v, "a duration such as \"2m\" or a number of seconds");
    }
    if (ns <= 0)
        return errat(a, v->pos, "invalid value for \"%s\": the duration must be positive",
                     path);
    *dst = (ns + 999999) / 1000000;
    return 0;
}

/* JetStream storage sizes: an integer (size suffixes as anywhere: 1G = 10^9, 1GB = 2^30), or a
 * string as nats-server's getStorageSize reads it: digits and one of K, M, G, T (powers of 1024;
 * we also take lower case and a trailing B). */
static int get_storage_size(applier *a, const char *path, const conf_value *v, int64_t *dst)
{
    if (v->type == CONF_INT)
        return get_int(a, path, v, -1, INT64_MAX, dst);
    if (v->type != CONF_STRING)
        return wrong_type(a, path, v, "a size such as 1GB or \"512M\"");
    const char *s = v->text;
    if (!*s) {
        *dst = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long num = strtoll(s, &end, 10);
    int shift = -1;
    switch (toupper((unsigned char)*end)) {
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    case 'T': shift = 40; break;
    }
    if (shift > 0) {
        end++;
        if (toupper((unsigned char)*end) == 'B')
            end++;
    }
    if (!isdigit((unsigned char)s[0]) || shift < 0 || *end || errno ||
        num > (INT64_MAX >> shift))
        return errat(a, v->pos,
                     "invalid value for \"%s\": \"%s\" is not a size (sizes written as strings "
                     "end in K, M, G or T)",
                     path, s);
    *dst = (int64_t)num << shift;
    return 0;
}

/* `listen`/`http`: a port, or "host:port" as Go's net.SplitHostPort reads it ("[::1]:4222"). */
static int get_host_port(applier *a, const char *path, const conf_value *v, char **host,
                         int *port, int zero_port)
{
    int64_t p;
    if (v->type == CONF_INT) {
        if (get_int(a, path, v, -1, 65535, &p) < 0)
            return -1;
        *port = p == 0 ? zero_port : (int)p;
        return 0;
    }
    if (v->type != CONF_STRING)
        return wrong_type(a, path, v, "a port or \"host:port\"");
    const char *s = v->text, *colon = strrchr(s, ':');
    const char *hs = s, *he = colon;
    if (colon && s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb + 1 != colon)
            colon = NULL;
        hs = s + 1;
        he = rb;
    } else if (colon && memchr(s, ':', (size_t)(colon - s))) {
        colon = NULL; /* an IPv6 address needs brackets */
    }
    if (!colon)
        return errat(a, v->pos, "invalid value for \"%s\": could not parse address string \"%s\"",
                     path, s);
    char *end;
    errno = 0;
    long n = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || n < -1 || n > 65535)
        return errat(a, v->pos, "invalid value for \"%s\": could not parse port \"%s\"", path,
                     colon + 1);
    char *h = strndup(hs, (size_t)(he - hs));
    if (!h) {
        snprintf(a->err, a->errlen, "out of memory");
        return -1;
    }
    int rc = set_string(a, host, *h ? h : OPTIONS_DEFAULT_HOST, false);
    free(h);
    *port = n == 0 ? zero_port : (int)n;
    return rc;
}

/* Shared end of every map walk: a key that is neither known nor merely a $variable. */
static int refuse_key(applier *a, const conf_entry *e, const char *prefix,
                      const char *const *unsupported)
{
    if (in_list(e->key, unsupported))
        return errat(a, e->pos, "configuration key \"%s%s\" is not supported by weir", prefix,
                     e->key);
    if (e->used_as_variable)
        return 0;
    return errat(a, e->pos, "unknown configuration key \"%s%s\"", prefix, e->key);
}

/* ---- authorization ---------------------------------------------------------------------- */

static const char *const auth_unsupported[] = {
    "auth_callout", "auth_hook", "proxy_required", NULL,
};
static const char *const user_unsupported[] = {
    "allowed_connection_types", "connection_types", "clients", "proxy_required", "account", NULL,
};

/* ---- permissions (nats-server's parseUserPermissions) ----------------------------------- */

/* "path.key" into out (truncated when too long; only used in messages). */
static const char *subpath(char *out, size_t cap, const char *path, const char *key)
{
    if (snprintf(out, cap, "%s.%s", path, key) >= (int)cap)
        out[cap - 1] = 0;
    return out;
}

static int perm_rule(applier *a, const char *path, const conf_value *v, perms_list *l,
                     bool allow_queue)
{
    char msg[300];
    int rc = perms_list_add(l, v->text, allow_queue, msg, sizeof msg);
    if (rc == -2) {
        snprintf(a->err, a->errlen, "out of memory");
        return -1;
    }
    if (rc < 0)
        return errat(a, v->pos, "invalid value for \"%s\": %s", path, msg);
    return 0;
}

/* A subject, or an array of subjects ("subject queue" for subscribe rules). */
static int perm_subjects(applier *a, const char *path, const conf_value *v, perms_list *l,
                         bool allow_queue)
{
    if (v->type == CONF_STRING)
        return perm_rule(a, path, v, l, allow_queue);
    if (v->type != CONF_ARRAY)
        return wrong_type(a, path, v, "a subject or an array of subjects");
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type != CONF_STRING)
            return wrong_type(a, path, v->items[i], "a subject string");
        if (perm_rule(a, path, v->items[i], l, allow_queue) < 0)
            return -1;
    }
    return 0;
}

/* `publish`/`subscribe`: subjects (all allowed), or {allow: subjects, deny: subjects}. */
static int perm_direction(applier *a, const char *path, const conf_value *v, perms_list *allow,
                          perms_list *deny, bool allow_queue)
{
    if (v->type != CONF_MAP)
        return perm_subjects(a, path, v, allow, allow_queue);
    char sub[160];
    for (size_t i = 0; i < v->n; i++) {
        const conf_entry *e = &v->entries[i];
        subpath(sub, sizeof sub, path, e->key);
        int rc;
        if (key_is(e->key, "allow", NULL))
            rc = perm_subjects(a, sub, e->value, allow, allow_queue);
        else if (key_is(e->key, "deny", NULL))
            rc = perm_subjects(a, sub, e->value, deny, allow_queue);
        else if (e->used_as_variable)
            rc = 0;
        else
            rc = errat(a, e->pos, "unknown key \"%s\" in \"%s\": only \"allow\" and \"deny\" "
                                  "are permitted",
                       e->key, path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* `expires` of allow_responses: a Go duration string; 0 means the default, negative forever. */
static int perm_expires(applier *a, const char *path, const conf_value *v, int64_t *ms)
{
    int64_t ns;
    if (v->type != CONF_STRING)
        return wrong_type(a, path, v, "a duration string such as \"2m\"");
    if (duration_parse_go(v->text, &ns) < 0)
        return errat(a, v->pos, "invalid value for \"%s\": \"%s\" is not a duration (e.g. "
                                "\"2m\", \"30s\", \"500ms\")",
                     path, v->text);
    *ms = ns > 0 ? (ns + 999999) / 1000000 : ns < 0 ? -1 : 0;
    return 0;
}

/* `allow_responses: true` or {max: N, expires: "D"}. */
static int perm_responses(applier *a, const char *path, const conf_value *v, weir_perms *p)
{
    if (v->type == CONF_BOOL) {
        if (v->b)
            perms_set_responses(p, 0, 0);
        return 0;
    }
    if (v->type != CONF_MAP)
        return wrong_type(a, path, v, "a boolean or a map such as {max: 1, expires: \"2m\"}");
    int64_t max = 0, expires = 0;
    char sub[160];
    for (size_t i = 0; i < v->n; i++) {
        const conf_entry *e = &v->entries[i];
        subpath(sub, sizeof sub, path, e->key);
        int rc = 0;
        if (key_is(e->key, "max", "max_msgs", "max_messages", "max_responses", NULL))
            rc = get_int(a, sub, e->value, INT64_MIN, INT64_MAX, &max);
        else if (key_is(e->key, "expires", "expiration", "ttl", NULL))
            rc = perm_expires(a, sub, e->value, &expires);
        else if (!e->used_as_variable)
            rc = errat(a, e->pos, "unknown key \"%s\" in \"%s\"", e->key, path);
        if (rc < 0)
            return -1;
    }
    perms_set_responses(p, max < 0 ? -1 : max, expires);
    return 0;
}

/* A `permissions` map; *out receives the new rules (freed first if set). */
static int apply_permissions(applier *a, const char *path, const conf_value *v, weir_perms **out)
{
    if (v->type != CONF_MAP)
        return wrong_type(a, path, v, "a map such as {publish: ..., subscribe: ...}");
    weir_perms *p = perms_new();
    if (!p) {
        snprintf(a->err, a->errlen, "out of memory");
        return -1;
    }
    char sub[160];
    for (size_t i = 0; i < v->n; i++) {
        const conf_entry *e = &v->entries[i];
        subpath(sub, sizeof sub, path, e->key);
        int rc = 0;
        if (key_is(e->key, "publish", "pub", "import", NULL))
            rc = perm_direction(a, sub, e->value, &p->pub_allow, &p->pub_deny, false);
        else if (key_is(e->key, "subscribe", "sub", "export", NULL))
            rc = perm_direction(a, sub, e->value, &p->sub_allow, &p->sub_deny, true);
        else if (key_is(e->key, "allow_responses", "publish_allow_responses", NULL))
            rc = perm_responses(a, sub, e->value, p);
        else if (!e->used_as_variable)
            rc = errat(a, e->pos, "unknown configuration key \"%s\"", sub);
        if (rc < 0) {
            perms_free(p);
            return -1;
        }
    }
    perms_free(*out);
    *out = p;
    return 0;
}

/* A public NKEY of a user ("U..."), checksum included, as nats-server's IsValidPublicUserKey. */
static bool is_user_nkey(const char *k)
{
    uint8_t raw[32];
    return nkey_decode_public(k, NKEY_PREFIX_USER, raw) == 0;
}

static void users_free(weir_user *users, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(users[i].user);
        free(users[i].password);
        free(users[i].nkey);
        perms_free(users[i].perms);
    }
    free(users);
}

static int apply_user(applier *a, const conf_value *v, weir_user *u)
{
    if (v->type != CONF_MAP)
        return wrong_type(a, "authorization.users", v, "a map such as {user: x, password: y}");
    for (size_t i = 0; i < v->n; i++) {
        const conf_entry *e = &v->entries[i];
        int rc;
        if (key_is(e->key, "user", "username", NULL))
            rc = get_string(a, "user", e->value, &u->user, true);
        else if (key_is(e->key, "pass", "password", NULL))
            rc = get_string(a, "password", e->value, &u->password, true);
        else if (key_is(e->key, "nkey", NULL))
            rc = get_string(a, "nkey", e->value, &u->nkey, true);
        else if (key_is(e->key, "permissions", "permission", "authorization", NULL))
            rc = apply_permissions(a, "authorization.users.permissions", e->value, &u->perms);
        else
            rc = refuse_key(a, e, "authorization.users.", user_unsupported);
        if (rc < 0)
            return -1;
    }
    if (u->nkey) {
        if (!is_user_nkey(u->nkey))
            return errat(a, v->pos, "\"%s\" is not a valid public nkey for a user", u->nkey);
        if (u->user || u->password)
            return errat(a, v->pos, "nkey users do not take usernames or passwords");
        return 0;
    }
    if (!u->user)
        return errat(a, v->pos, "user entry requires a user");
    if (!u->password)
        return errat(a, v->pos, "user \"%s\" has no password", u->user);
    return 0;
}

static int apply_users(applier *a, const conf_value *v, weir_user **out, size_t *nout)
{
    if (v->type != CONF_ARRAY)
        return wrong_type(a, "authorization.users", v, "an array of users");
    weir_user *users = v->n ? calloc(v->n, sizeof *users) : NULL;
    if (v->n && !users) {
        snprintf(a->err, a->errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (apply_user(a, v->items[i], &users[i]) < 0)
            goto fail;
        const char *id = users[i].nkey ? users[i].nkey : users[i].user;
        for (size_t j = 0; j < i; j++) {
            const char *other = users[j].nkey ? users[j].nkey : users[j].user;
            if (!strcmp(id, other)) {
                errat(a, v->items[i]->pos, "duplicate %s \"%s\"",
                      users[i].nkey ? "nkey" : "user", id);
                goto fail;
            }
        }
    }
    *out = users;
    *nout = v->n;
    return 0;
fail:
    users_free(users, v->n);
    return -1;
}

static int apply_authorization(applier *a, const conf_value *v)
{
    if (v->type != CONF_MAP)
        return wrong_type(a, "authorization", v, "a map");
    weir_options *o = a->o;
    char *user = NULL, *pass = NULL, *token = NULL;
    weir_user *users = NULL;
    size_t nusers = 0;
    bool have_users = false;
    weir_perms *dperms = NULL;
    const conf_entry *dperms_at = NULL;
    int64_t timeout = o->auth_timeout_ms;
    int rc = 0;
    for (size_t i = 0; i < v->n && rc == 0; i++) {
        const conf_entry *e = &v->entries[i];
        if (key_is(e->key, "user", "username", NULL)) {
            rc = get_string(a, "authorization.user", e->value, &user, true);
        } else if (key_is(e->key, "pass", "password", NULL)) {
            rc = get_string(a, "authorization.password", e->value, &pass, true);
        } else if (key_is(e->key, "token", NULL)) {
            rc = get_string(a, "authorization.token", e->value, &token, true);
        } else if (key_is(e->key, "timeout", NULL)) {
            rc = get_duration_ms(a, "authorization.timeout", e->value, &timeout);
        } else if (key_is(e->key, "users", NULL)) {
            users_free(users, nusers);
            users = NULL;
            nusers = 0;
            rc = apply_users(a, e->value, &users, &nusers);
            have_users = true;
        } else if (key_is(e->key, "default_permissions", "default_permission", "permissions",
                          NULL)) {
            char path[80];
            snprintf(path, sizeof path, "authorization.%s", e->key);
            rc = apply_permissions(a, path, e->value, &dperms);
            dperms_at = e;
        } else {
            rc = refuse_key(a, e, "authorization.", auth_unsupported);
        }
    }
    if (rc == 0) {
        if ((user || pass) && token)
            rc = errat(a, v->pos, "cannot have a user/password and a token");
        else if (have_users && user)
            rc = errat(a, v->pos, "cannot have a single user/password and a users array");
        else if (have_users && token)
            rc = errat(a, v->pos, "cannot have a token and a users array");
        else if (pass && !user)
            rc = errat(a, v->pos, "a password was given without a user");
        else if (user && !pass)
            rc = errat(a, v->pos, "user \"%s\" has no password", user);
        else if (dperms && !have_users)
            /* nats-server accepts it and applies it to nobody: refused rather than ignored */
            rc = errat(a, dperms_at->pos,
                       "\"authorization.%s\" is the default for the entries of "
                       "\"authorization.users\" and there are none (a single user or a token "
                       "cannot have permissions)",
                       dperms_at->key);
    }
    if (rc < 0) {
        free(user);
        free(pass);
        free(token);
        users_free(users, nusers);
        perms_free(dperms);
        return -1;
    }
    free(o->user);
    free(o->password);
    free(o->token);
    users_free(o->users, o->nusers);
    o->user = user;
    o->password = pass;
    o->token = token;
    o->users = users;
    o->nusers = nusers;
    perms_free(o->default_perms);
    o->default_perms = dperms;
    o->auth_timeout_ms = timeout;
    return 0;
}

/* ---- jetstream -------------------------------------------------------------------------- */

/* A domain is one token of a subject ($JS.<domain>.API.>). */
static int apply_domain(applier *a, const conf_value *v)
{
    if (get_string(a, "jetstream.domain", v, &a->o->js_domain, false) < 0)
        return -1;
    const char *d = a->o->js_domain;
    if (!*d || strpbrk(d, ".*> \t\r\n"))
        return errat(a, v->pos, "invalid JetStream domain \"%s\": a single subject token", d);
    return 0;
}

static const char *const js_unsupported[] = {
    "strict", "sync", "prev_key", "prev_ek", "prev_encryption_key", "extension_hint", "limits", "tpm", "unique_tag",
    "max_outstanding_catchup", "max_buffered_size", "max_buffered_msgs", "request_queue_limit",
    "info_queue_limit", "meta_compact", "meta_compact_size", "meta_compact_sync",
    "max_concurrent_io", NULL,
};

static int apply_store_dir(applier *a, const char *path, const conf_value *v)
{
    if (a->store_dir_set)
        return errat(a, v->pos, "duplicate 'store_dir' configuration");
    a->store_dir_set = true;
    if (get_string(a, path, v, &a->o->store_dir, false) < 0)
        return -1;
    if (!*a->o->store_dir)
        return set_string(a, &a->o->store_dir, OPTIONS_DEFAULT_STORE_DIR, false);
    return 0;
}

/* `sync_interval: always` or a duration, as nats-server reads it. */
static int apply_sync_interval(applier *a, const conf_value *v)
{
    if (v->type == CONF_STRING && key_is(v->text, "always", NULL)) {
        a->o->sync_always = true;
        return 0;
    }
    a->o->sync_always = false;
    return get_duration_ms(a, "jetstream.sync_interval", v, &a->o->sync_interval_ms);
}

/* weir seals records with XChaCha20-Poly1305 only; nats-server's "chachapoly" is that family,
 * "aes" (AES-GCM) is refused rather than silently replaced. */
static int check_cipher(applier *a, const conf_value *v)
{
    if (v->type != CONF_STRING)
        return wrong_type(a, "jetstream.cipher", v, "a string");
    if (key_is(v->text, "chachapoly", "chacha", "chacha20", NULL))
        return 0;
    return errat(a, v->pos,
                 "invalid value for \"jetstream.cipher\": weir supports only \"chachapoly\", "
                 "got '%s'",
                 v->text);
}

static int apply_jetstream(applier *a, const conf_value *v)
{
    weir_options *o = a->o;
    if (v->type == CONF_BOOL) {
        o->jetstream = v->b;
        return 0;
    }
    if (v->type == CONF_STRING) {
        if (key_is(v->text, "enabled", "enable", NULL))
            o->jetstream = true;
        else if (key_is(v->text, "disabled", "disable", NULL))
            o->jetstream = false;
        else
            return errat(a, v->pos,
                         "invalid value for \"jetstream\": expected 'enabled' or 'disabled', "
                         "got '%s'",
                         v->text);
        return 0;
    }
    if (v->type != CONF_MAP)
        return wrong_type(a, "jetstream", v, "a map, a boolean or \"enabled\"/\"disabled\"");
    bool enable = true;
    for (size_t i = 0; i < v->n; i++) {
        const conf_entry *e = &v->entries[i];
        int rc;
        if (key_is(e->key, "enabled", "enable", NULL))
            rc = get_bool(a, "jetstream.enabled", e->value, &enable);
        else if (key_is(e->key, "store_dir", "store", "storedir", NULL))
            rc = apply_store_dir(a, "jetstream.store_dir", e->value);
        else if (key_is(e->key, "max_memory_store", "max_mem_store", "max_mem", NULL))
            rc = get_storage_size(a, "jetstream.max_memory_store", e->value,
                                  &o->max_memory_store);
        else if (key_is(e->key, "max_file_store", "max_file", NULL))
            rc = get_storage_size(a, "jetstream.max_file_store", e->value, &o->max_file_store);
        else if (key_is(e->key, "sync_interval", "sync", NULL))
            rc = apply_sync_interval(a, e->value);
        else if (key_is(e->key, "key", "ek", "encryption_key", NULL))
            rc = get_string(a, "jetstream.key", e->value, &o->js_key, true);
        else if (key_is(e->key, "cipher", NULL))
            rc = check_cipher(a, e->value);
        else if (key_is(e->key, "domain", NULL))
            rc = apply_domain(a, e->value);
        else
            rc = refuse_key(a, e, "jetstream.", js_unsupported);
        if (rc < 0)
            return -1;
    }
    o->jetstream = enable;
    return 0;
}

/* ---- top level -------------------------------------------------------------------------- */

static const char *const top_unsupported[] = {
    "client_advertise", "trace_verbose", "trace_headers", "logtime", "logtime_utc", "mappings",
    "maps", "disable_sublist_cache", "no_sublist_cache", "accounts", "default_sentinel", "https",
    "https_port", "http_base_path", "cluster", "gateway", "leaf", "leafnodes",
    "logfile_size_limit", "log_size_limit", "logfile_max_num", "log_max_num", "syslog",
    "remote_syslog", "ports_file_dir", "prof_port", "prof_block_rate", "proxy_protocol",
    "max_traced_msg_len", "max_subscriptions", "max_subs", "max_sub_tokens",
    "max_subscription_tokens", "tls", "ocsp", "allow_non_tls", "write_timeout",
    "lame_duck_duration", "lame_duck_grace_period", "operator", "operators", "roots", "root",
    "root_operators", "root_operator", "resolver", "account_resolver", "accounts_resolver",
    "resolver_tls", "resolver_preload", "resolver_pinned_accounts", "no_auth_user",
    "system_account", "system", "no_system_account", "no_system", "no_sys_acc",
    "no_header_support", "trusted", "trusted_keys", "connect_error_reports",
    "reconnect_error_reports", "websocket", "ws", "mqtt", "server_tags", "server_metadata",
    "feature_flags", "default_js_domain", "ocsp_cache", "no_fast_producer_stall",
    "max_closed_clients", "proxies", NULL,
};

static int apply_top(applier *a, const conf_entry *e)
{
    weir_options *o = a->o;
    const char *k = e->key;
    const conf_value *v = e->value;
    int64_t n;
    if (key_is(k, "listen", NULL))
        return get_host_port(a, "listen", v, &o->host, &o->port, OPTIONS_DEFAULT_PORT);
    if (key_is(k, "port", NULL)) {
        if (get_int(a, "port", v, -1, 65535, &n) < 0)
            return -1;
        o->port = n == 0 ? OPTIONS_DEFAULT_PORT : (int)n;
        return 0;
    }
    if (key_is(k, "host", "net", NULL)) {
        if (get_string(a, k, v, &o->host, true) < 0)
            return -1;
        return o->host ? 0 : set_string(a, &o->host, OPTIONS_DEFAULT_HOST, false);
    }
    if (key_is(k, "server_name", NULL)) {
        if (v->type == CONF_STRING && strchr(v->text, ' '))
            return errat(a, v->pos, "server name cannot contain spaces");
        return get_string(a, "server_name", v, &o->server_name, true);
    }
    if (key_is(k, "max_payload", NULL)) {
        if (get_int(a, "max_payload", v, 1, INT32_MAX, &n) < 0)
            return -1;
        o->max_payload = n;
        return 0;
    }
    if (key_is(k, "max_control_line", NULL)) {
        if (get_int(a, "max_control_line", v, 1, INT32_MAX, &n) < 0)
            return -1;
        o->max_control_line = (int)n;
        return 0;
    }
    if (key_is(k, "max_connections", "max_conn", NULL)) {
        if (get_int(a, k, v, INT64_MIN, INT32_MAX, &n) < 0)
            return -1;
        o->max_connections = n <= 0 ? -1 : (int)n;
        return 0;
    }
    if (key_is(k, "max_pending", NULL))
        return get_int(a, "max_pending", v, 1, INT64_MAX, &o->max_pending);
    if (key_is(k, "ping_interval", NULL))
        return get_duration_ms(a, "ping_interval", v, &o->ping_interval_ms);
    if (key_is(k, "ping_max", NULL)) {
        if (get_int(a, "ping_max", v, 1, INT32_MAX, &n) < 0)
            return -1;
        o->ping_max = (int)n;
        return 0;
    }
    if (key_is(k, "write_deadline", NULL))
        return get_duration_ms(a, "write_deadline", v, &o->write_deadline_ms);
    if (key_is(k, "authorization", NULL))
        return apply_authorization(a, v);
    if (key_is(k, "jetstream", NULL))
        return apply_jetstream(a, v);
    if (key_is(k, "store_dir", "storedir", NULL))
        return apply_store_dir(a, "store_dir", v);
    if (key_is(k, "debug", NULL))
        return get_bool(a, "debug", v, &o->debug);
    if (key_is(k, "trace", NULL))
        return get_bool(a, "trace", v, &o->trace);
    if (key_is(k, "logfile", "log_file", NULL))
        return get_string(a, k, v, &o->log_file, true);
    if (key_is(k, "pidfile", "pid_file", NULL))
        return get_string(a, k, v, &o->pid_file, true);
    if (key_is(k, "http_port", "monitor_port", NULL)) {
        if (get_int(a, k, v, -1, 65535, &n) < 0)
            return -1;
        o->http_port = (int)n;
        return 0;
    }
    if (key_is(k, "http", NULL)) {
        char *host = NULL;
        if (get_host_port(a, "http", v, &host, &o->http_port, 0) < 0)
            return -1;
        free(o->http_host);
        o->http_host = host;
        return 0;
    }
    return refuse_key(a, e, "", top_unsupported);
}

static int apply_doc(weir_options *o, const conf_doc *doc, const char *path, char *err,
                     size_t errlen)
{
    weir_options tmp;
    if (options_copy(&tmp, o) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    applier a = {.o = &tmp, .err = err, .errlen = errlen};
    int rc = 0;
    for (size_t i = 0; i < doc->root->n && rc == 0; i++)
        rc = apply_top(&a, &doc->root->entries[i]);
    if (rc == 0 && path)
        rc = set_string(&a, &tmp.config_file, path, false);
    if (rc < 0) {
        options_free(&tmp);
        return -1;
    }
    options_free(o);
    *o = tmp;
    return 0;
}

int conf_load_file(weir_options *o, const char *path, char *err, size_t errlen)
{
    conf_doc *doc = conf_parse_file(path, err, errlen);
    if (!doc)
        return -1;
    int rc = apply_doc(o, doc, path, err, errlen);
    conf_doc_free(doc);
    return rc;
}

int conf_load_string(weir_options *o, const char *name, const char *text, char *err,
                     size_t errlen)
{
    conf_doc *doc = conf_parse_string(name, text, err, errlen);
    if (!doc)
        return -1;
    int rc = apply_doc(o, doc, NULL, err, errlen);
    conf_doc_free(doc);
    return rc;
}
