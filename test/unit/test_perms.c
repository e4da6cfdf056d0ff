/*
 * test_perms.c — unit tests for per-user permissions: every configuration form that conf.c
 * reads into weir_perms (server/perms.h), with the exact "FILE:LINE:COL: message" of each
 * refusal; which permissions auth.c gives an authenticated user (own, default, none); and the
 * decisions of server/perms.c — publish allow/deny with wildcards, subscribe with queue rules,
 * the delivery-time deny filter, allow_responses with its count and expiry, the caches, and the
 * -ERR texts with Go's %q quoting.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/auth.h"
#include "server/options.h"
#include "server/perms.h"
#include "test/testlib.h"

static weir_options O;
static char err[1024];

static int load(const char *text)
{
    options_free(&O);
    options_init(&O);
    err[0] = 0;
    return conf_load_string(&O, "test.conf", text, err, sizeof err);
}

#define LOAD_OK(text) CHECKF(load(text) == 0, "unexpected error: %.300s", err)
#define LOAD_ERR(text, want)                                                                  \
    do {                                                                                      \
        int rc_ = load(text);                                                                 \
        CHECKF(rc_ < 0 && strcmp(err, want) == 0, "got [%.240s], want [%.200s]",              \
               rc_ < 0 ? err : "success", want);                                              \
    } while (0)

/* The rules of users entry i. */
static const weir_perms *uperms(size_t i)
{
    return i < O.nusers ? O.users[i].perms : NULL;
}

static bool entry_is(const perms_list *l, size_t i, const char *subj, const char *queue)
{
    if (i >= l->n || strcmp(l->items[i].subject, subj) != 0 ||
        l->items[i].subject_len != strlen(subj))
        return false;
    if (!queue)
        return l->items[i].queue == NULL;
    return l->items[i].queue && strcmp(l->items[i].queue, queue) == 0 &&
           l->items[i].queue_len == strlen(queue);
}

#define PUB(p, s) perms_pub_allowed(p, s, strlen(s))
#define SUB(p, s) perms_sub_allowed(p, s, strlen(s), NULL, 0)
#define QSUB(p, s, q) perms_sub_allowed(p, s, strlen(s), q, strlen(q))
static bool DENIED(const weir_perms *p, const char *s, const char *q)
{
    return perms_delivery_denied(p, s, strlen(s), q, q ? strlen(q) : 0);
}

/* Rules built by hand: pub/sub allow and deny lists, NULL-terminated. */
static weir_perms *mk(const char *const *pa, const char *const *pd, const char *const *sa,
                      const char *const *sd)
{
    weir_perms *p = perms_new();
    char e[256];
    for (; pa && *pa; pa++)
        perms_list_add(&p->pub_allow, *pa, false, e, sizeof e);
    for (; pd && *pd; pd++)
        perms_list_add(&p->pub_deny, *pd, false, e, sizeof e);
    for (; sa && *sa; sa++)
        perms_list_add(&p->sub_allow, *sa, true, e, sizeof e);
    for (; sd && *sd; sd++)
        perms_list_add(&p->sub_deny, *sd, true, e, sizeof e);
    return p;
}
#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- configuration ---------------------------------------------------------------------- */

static void test_conf_forms(void)
{
    /* the nats.c suite's permissions.conf */
    LOAD_OK("authorization {\n  users = [\n    {\n\t\tuser: ivan\n\t\tpassword: pwd\n"
            "     \tpermissions: {\n    \t\tpublish=\"foo\"\n    \t\tsubscribe=\"bar\"\n"
            "     \t}\n\t}\n  ]\n}\n");
    const weir_perms *p = uperms(0);
    CHECK(p && p->pub_allow.n == 1 && entry_is(&p->pub_allow, 0, "foo", NULL));
    CHECK(p->sub_allow.n == 1 && entry_is(&p->sub_allow, 0, "bar", NULL));
    CHECK(p->pub_deny.n == 0 && p->sub_deny.n == 0 && !p->responses && !p->pub_allow_set);

    /* lists, allow/deny maps, queue rules, aliases */
    LOAD_OK("authorization { users = [\n"
            " {user: a, password: a, permissions: {publish: [\"a.>\", \"b.*\"], "
            "subscribe: {allow: [\"x.*\", \"y  grp\", \"z g.*\"], deny: \"x.secret\"}}}\n"
            " {user: b, password: b, permission: {pub: {deny: [\">\"]}, sub: {deny: [\"q v1\"]}}}\n"
            " {user: c, password: c, authorization: {import: \"i\", export: {allow: \"e\"}}}\n"
            " {user: d, password: d, PERMISSIONS: {Publish: {Allow: \"p\", DENY: \"p.x\"}}}\n"
            "] }");
    CHECK(O.nusers == 4);
    p = uperms(0);
    CHECK(p && p->pub_allow.n == 2 && entry_is(&p->pub_allow, 0, "a.>", NULL) &&
          entry_is(&p->pub_allow, 1, "b.*", NULL));
    CHECK(p->sub_allow.n == 3 && entry_is(&p->sub_allow, 0, "x.*", NULL) &&
          entry_is(&p->sub_allow, 1, "y", "grp") && entry_is(&p->sub_allow, 2, "z", "g.*"));
    CHECK(p->sub_deny.n == 1 && entry_is(&p->sub_deny, 0, "x.secret", NULL));
    p = uperms(1);
    CHECK(p && p->pub_allow.n == 0 && p->pub_deny.n == 1 && entry_is(&p->pub_deny, 0, ">", NULL));
    CHECK(p->sub_deny.n == 1 && entry_is(&p->sub_deny, 0, "q", "v1"));
    p = uperms(2);
    CHECK(p && entry_is(&p->pub_allow, 0, "i", NULL) && entry_is(&p->sub_allow, 0, "e", NULL));
    p = uperms(3);
    CHECK(p && entry_is(&p->pub_allow, 0, "p", NULL) && entry_is(&p->pub_deny, 0, "p.x", NULL));

    /* an empty map or list means no rule: everything allowed */
    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{publish: {}, subscribe: []}}] }");
    p = uperms(0);
    CHECK(p && p->pub_allow.n == 0 && p->sub_allow.n == 0 && !p->pub_allow_set);
    CHECK(PUB(p, "any") && SUB(p, "any.>"));

    /* nkey users take permissions too */
    LOAD_OK("authorization { users = [{nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
            ", permissions: {publish: \"n\"}}] }");
    p = uperms(0);
    CHECK(p && entry_is(&p->pub_allow, 0, "n", NULL));

    /* $variables */
    LOAD_OK("SUBS = [\"v.>\"]\nauthorization { users = [{user: a, password: a, permissions: "
            "{subscribe: $SUBS}}] }");
    CHECK(uperms(0) && entry_is(&uperms(0)->sub_allow, 0, "v.>", NULL));
}

static void test_conf_allow_responses(void)
{
    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{allow_responses: true}}] }");
    const weir_perms *p = uperms(0);
    CHECK(p && p->responses && p->pub_allow_set && p->pub_allow.n == 0);
    CHECK(p->resp_max == 1 && p->resp_expires_ms == 2 * 60 * 1000);
    CHECK(!PUB(p, "anything")); /* the blanket allow is off */

    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{allow_responses: false, publish: \"x\"}}] }");
    p = uperms(0);
    CHECK(p && !p->responses && !p->pub_allow_set && PUB(p, "x") && !PUB(p, "y"));

    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{publish_allow_responses: {max: 5, expires: \"1m30s\"}}}] }");
    p = uperms(0);
    CHECK(p && p->responses && p->resp_max == 5 && p->resp_expires_ms == 90000);

    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{allow_responses: {max_msgs: -1, ttl: \"-1s\"}}}] }");
    p = uperms(0);
    CHECK(p && p->resp_max == -1 && p->resp_expires_ms == -1);

    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{allow_responses: {max_responses: 0, expiration: \"0\"}}}] }");
    p = uperms(0);
    CHECK(p && p->resp_max == 1 && p->resp_expires_ms == 2 * 60 * 1000);

    LOAD_OK("authorization { users = [{user: a, password: a, permissions: "
            "{allow_responses: {max_messages: 3}, publish: {deny: \"d\"}}}] }");
    p = uperms(0);
    CHECK(p && p->resp_max == 3 && p->pub_allow_set && !PUB(p, "x"));
}

static void test_conf_default_permissions(void)
{
    LOAD_OK("authorization {\n default_permissions: {publish: \"def.>\"}\n users = [\n"
            "  {user: a, password: a}\n  {user: b, password: b, permissions: {publish: \"b\"}}\n"
            "  {user: c, password: c, permissions: {}}\n"
            "  {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4}\n ]\n}");
    CHECK(O.default_perms && entry_is(&O.default_perms->pub_allow, 0, "def.>", NULL));
    CHECK(uperms(0) == NULL && uperms(3) == NULL); /* resolved when a user authenticates */

    const weir_perms *got = NULL;
    const char *who = NULL;
    auth_connect ca = {.user = "a", .pass = "a"};
    CHECK(auth_check_perms(&O, &ca, NULL, &who, &got) && got == O.default_perms);
    CHECK(who && strcmp(who, "a") == 0);
    auth_connect cb = {.user = "b", .pass = "b"};
    CHECK(auth_check_perms(&O, &cb, NULL, &who, &got) && got == O.users[1].perms);
    auth_connect cc = {.user = "c", .pass = "c"};
    CHECK(auth_check_perms(&O, &cc, NULL, &who, &got) && got == O.users[2].perms);
    CHECK(PUB(got, "anything"));
    auth_connect bad = {.user = "a", .pass = "x"};
    got = O.default_perms;
    CHECK(!auth_check_perms(&O, &bad, NULL, &who, &got) && got == NULL);

    /* the alias `permissions`, written after the users */
    LOAD_OK("authorization { users = [{user: a, password: a}], permissions: {subscribe: \"s\"} }");
    CHECK(O.default_perms && entry_is(&O.default_perms->sub_allow, 0, "s", NULL));
    LOAD_OK("authorization { default_permission: {publish: \"p\"}, users = [] }");
    CHECK(O.default_perms && entry_is(&O.default_perms->pub_allow, 0, "p", NULL));

    /* single user and token: no permissions */
    LOAD_OK("authorization { user: u, password: p }");
    auth_connect cu = {.user = "u", .pass = "p"};
    got = O.default_perms;
    CHECK(auth_check_perms(&O, &cu, NULL, &who, &got) && got == NULL);

    /* options_copy keeps the rules, as deep copies */
    LOAD_OK("authorization { default_permissions: {publish: \"d\"}, users = [{user: a, "
            "password: a, permissions: {subscribe: {deny: \"x q\"}, allow_responses: true}}] }");
    weir_options copy;
    CHECK(options_copy(&copy, &O) == 0);
    bool same = copy.default_perms && copy.default_perms != O.default_perms &&
                entry_is(&copy.default_perms->pub_allow, 0, "d", NULL) && copy.users[0].perms &&
                copy.users[0].perms != O.users[0].perms &&
                entry_is(&copy.users[0].perms->sub_deny, 0, "x", "q") &&
                copy.users[0].perms->responses && copy.users[0].perms->pub_allow_set;
    options_free(&copy);
    CHECK(same);
}

static void test_conf_refusals(void)
{
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: {publish: \"a b\"}}] }",
             "test.conf:1:72: invalid value for \"authorization.users.permissions.publish\": "
             "subject \"a b\" is not a valid subject");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{subscribe: [\"ok\", \"a b c\"]}}] }",
             "test.conf:1:81: invalid value for \"authorization.users.permissions.subscribe\": "
             "subject \"a b c\" is not a valid subject");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{subscribe: {deny: \"a.>.b q\"}}}] }",
             "test.conf:1:81: invalid value for \"authorization.users.permissions.subscribe.deny\": "
             "subject \"a.>.b\" is not a valid subject");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{subscribe: {allow: \"a q..x\"}}}] }",
             "test.conf:1:82: invalid value for \"authorization.users.permissions.subscribe.allow\""
             ": queue \"q..x\" is not a valid queue");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: {publish: \"\"}}] }",
             "test.conf:1:72: invalid value for \"authorization.users.permissions.publish\": "
             "subject \"\" is not a valid subject");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: {publish: 1}}] }",
             "test.conf:1:72: invalid value for \"authorization.users.permissions.publish\": "
             "expected a subject or an array of subjects, got an integer (1)");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: {publish: [\"a\", 2]}}]"
             " }",
             "test.conf:1:78: invalid value for \"authorization.users.permissions.publish\": "
             "expected a subject string, got an integer (2)");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{publish: {allow: \"a\", except: \"b\"}}}] }",
             "test.conf:1:85: unknown key \"except\" in "
             "\"authorization.users.permissions.publish\": only \"allow\" and \"deny\" are "
             "permitted");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: {publsh: \"a\"}}] }",
             "test.conf:1:63: unknown configuration key "
             "\"authorization.users.permissions.publsh\"");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: \"a\"}] }",
             "test.conf:1:62: invalid value for \"authorization.users.permissions\": expected a "
             "map such as {publish: ..., subscribe: ...}, got a string (\"a\")");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{allow_responses: 1}}] }",
             "test.conf:1:80: invalid value for "
             "\"authorization.users.permissions.allow_responses\": expected a boolean or a map "
             "such as {max: 1, expires: \"2m\"}, got an integer (1)");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{allow_responses: {expires: 5}}}] }",
             "test.conf:1:90: invalid value for "
             "\"authorization.users.permissions.allow_responses.expires\": expected a duration "
             "string such as \"2m\", got an integer (5)");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{allow_responses: {expires: \"soon\"}}}] }",
             "test.conf:1:90: invalid value for "
             "\"authorization.users.permissions.allow_responses.expires\": \"soon\" is not a "
             "duration (e.g. \"2m\", \"30s\", \"500ms\")");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{allow_responses: {max: \"1\"}}}] }",
             "test.conf:1:86: invalid value for "
             "\"authorization.users.permissions.allow_responses.max\": expected an integer, got "
             "a string (\"1\")");
    LOAD_ERR("authorization { users = [{user: a, password: a, permissions: "
             "{allow_responses: {often: 1}}}] }",
             "test.conf:1:81: unknown key \"often\" in "
             "\"authorization.users.permissions.allow_responses\"");
    /* default permissions with nobody to apply them to: nats-server ignores them, weir refuses */
    LOAD_ERR("authorization { token: t, permissions: {} }",
             "test.conf:1:27: \"authorization.permissions\" is the default for the entries of "
             "\"authorization.users\" and there are none (a single user or a token cannot have "
             "permissions)");
    LOAD_ERR("authorization {\n user: u\n password: p\n default_permissions: {publish: \"x\"}\n}",
             "test.conf:4:2: \"authorization.default_permissions\" is the default for the "
             "entries of \"authorization.users\" and there are none (a single user or a token "
             "cannot have permissions)");
    LOAD_ERR("authorization { default_permissions: {publish: 7}, users = [] }",
             "test.conf:1:48: invalid value for \"authorization.default_permissions.publish\": "
             "expected a subject or an array of subjects, got an integer (7)");
    /* a failed load leaves the options as they were */
    options_free(&O);
    options_init(&O);
    CHECK(conf_load_string(&O, "x.conf", "authorization { users = [{user: a, password: a, "
                                         "permissions: {publish: \"a b\"}}] }",
                           err, sizeof err) < 0);
    CHECK(O.nusers == 0 && O.default_perms == NULL);
}

/* ---- decisions -------------------------------------------------------------------------- */

static void test_publish_decisions(void)
{
    CHECK(PUB(NULL, "x"));
    weir_perms *p = mk(L("foo", "foo.*", "req.>"), L("foo.bad"), NULL, NULL);
    CHECK(PUB(p, "foo") && PUB(p, "foo.x") && PUB(p, "req.a.b") && PUB(p, "req.a"));
    CHECK(!PUB(p, "bar") && !PUB(p, "foo.bad") && !PUB(p, "foo.x.y") && !PUB(p, "req"));
    CHECK(PUB(p, "foo.*")); /* a wildcard in a published subject is text to literal rules */
    CHECK(!PUB(p, "foo..x") && !PUB(p, "") && !PUB(p, ".foo"));
    perms_free(p);

    p = mk(NULL, L(">"), NULL, NULL); /* deny only */
    CHECK(!PUB(p, "a") && !PUB(p, "a.b"));
    perms_free(p);
    p = mk(NULL, L("secret.>", "*.admin"), NULL, NULL);
    CHECK(PUB(p, "a") && PUB(p, "secret") && !PUB(p, "secret.x") && !PUB(p, "x.admin"));
    CHECK(PUB(p, "x.admin.y") && PUB(p, "x..admin")); /* nothing matches a malformed subject */
    perms_free(p);
}

static void test_subscribe_decisions(void)
{
    CHECK(SUB(NULL, "x") && QSUB(NULL, "x", "q"));
    weir_perms *p = mk(NULL, NULL, L("foo.*", "_INBOX.>", "bar v1", "baz", "baz q1", "w g.*"),
                       L("foo.secret", "x q9"));
    /* allow: the filter must be matched by an allow rule, its wildcards taken as text */
    CHECK(SUB(p, "foo.x") && SUB(p, "foo.*") && SUB(p, "foo.>") && SUB(p, "_INBOX.a.b"));
    CHECK(!SUB(p, "foo") && !SUB(p, "*") && !SUB(p, "foo.*.x") && !SUB(p, "*.x") &&
          !SUB(p, ">"));
    /* queue rules: "bar v1" admits only queue v1, no plain subscription */
    CHECK(!SUB(p, "bar") && QSUB(p, "bar", "v1") && !QSUB(p, "bar", "v2"));
    /* "baz" and "baz q1": plain allowed, but a queue subscription only with q1 */
    CHECK(SUB(p, "baz") && QSUB(p, "baz", "q1") && !QSUB(p, "baz", "q2"));
    /* a plain allow rule admits any queue when no queue rule matches */
    CHECK(QSUB(p, "foo.x", "any"));
    /* wildcard queue names in rules */
    CHECK(QSUB(p, "w", "g.1") && !QSUB(p, "w", "g") && !QSUB(p, "w", "h.1") && !SUB(p, "w"));
    /* deny */
    CHECK(!SUB(p, "foo.secret") && !QSUB(p, "foo.secret", "q"));
    perms_free(p);

    p = mk(NULL, NULL, NULL, L("x q9", "y", "z.* q.*"));
    CHECK(SUB(p, "x") && !QSUB(p, "x", "q9") && QSUB(p, "x", "q8"));
    CHECK(!SUB(p, "y") && !QSUB(p, "y", "q"));
    CHECK(SUB(p, "z.a") && !QSUB(p, "z.a", "q.1") && QSUB(p, "z.a", "r"));
    CHECK(SUB(p, "anything.>"));
    perms_free(p);

    /* nats-server 2.9 let a queue rule override a plain deny; the plain deny wins (2.10+) */
    p = mk(NULL, NULL, NULL, L("foo", "foo q1"));
    CHECK(!QSUB(p, "foo", "q2") && !QSUB(p, "foo", "q1") && !SUB(p, "foo"));
    perms_free(p);
}

static void test_delivery_filter(void)
{
    weir_perms *p = mk(NULL, NULL, NULL, L("foo.secret", "*.hidden", "q.x grp"));
    CHECK(DENIED(p, "foo.secret", NULL) && DENIED(p, "a.hidden", NULL));
    CHECK(!DENIED(p, "foo.open", NULL) && !DENIED(p, "q.x", NULL));
    CHECK(DENIED(p, "q.x", "grp") && !DENIED(p, "q.x", "other") &&
          DENIED(p, "foo.secret", "other"));

    perms_conn *pc = perms_conn_new(p);
    CHECK(pc);
    /* off until a subscription that can see denied subjects is allowed */
    CHECK(perms_conn_delivery_ok(pc, "foo.secret", 10, NULL, 0));
    CHECK(perms_conn_can_subscribe(pc, "foo.open", 8, NULL, 0));
    CHECK(perms_conn_can_subscribe(pc, "bar.x.>", 7, NULL, 0)); /* overlaps no deny rule */
    CHECK(perms_conn_delivery_ok(pc, "foo.secret", 10, NULL, 0));
    CHECK(!perms_conn_can_subscribe(pc, "foo.secret", 10, NULL, 0));
    CHECK(perms_conn_can_subscribe(pc, "foo.*", 5, NULL, 0));
    /* on: twice each, the second answer from the cache */
    for (int i = 0; i < 2; i++) {
        CHECK(!perms_conn_delivery_ok(pc, "foo.secret", 10, NULL, 0));
        CHECK(perms_conn_delivery_ok(pc, "foo.open", 8, NULL, 0));
        CHECK(!perms_conn_delivery_ok(pc, "b.hidden", 8, NULL, 0));
        CHECK(!perms_conn_delivery_ok(pc, "q.x", 3, "grp", 3));
        CHECK(perms_conn_delivery_ok(pc, "q.x", 3, "grp2", 4));
        CHECK(perms_conn_delivery_ok(pc, "q.x", 3, NULL, 0));
    }
    perms_conn_free(pc);

    /* a wildcard that only collides with a deny rule (neither covers the other) turns it on */
    pc = perms_conn_new(p);
    CHECK(perms_conn_can_subscribe(pc, "foo.*.z", 7, NULL, 0));
    CHECK(perms_conn_delivery_ok(pc, "foo.secret", 10, NULL, 0));
    CHECK(perms_conn_can_subscribe(pc, "*.secret", 8, NULL, 0));
    CHECK(!perms_conn_delivery_ok(pc, "foo.secret", 10, NULL, 0));
    perms_conn_free(pc);
    /* a queue subscription on a subject with a queue deny rule turns it on */
    pc = perms_conn_new(p);
    CHECK(perms_conn_can_subscribe(pc, "q.x", 3, "other", 5));
    CHECK(!perms_conn_delivery_ok(pc, "q.x", 3, "grp", 3));
    perms_conn_free(pc);
    perms_free(p);
}

static void test_conn_publish_cache(void)
{
    weir_perms *p = mk(L("a.*"), L("a.no"), NULL, NULL);
    perms_conn *pc = perms_conn_new(p);
    CHECK(pc);
    char subj[32];
    /* more subjects than cache slots, twice, so that slots are replaced and hit */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 600; i++) {
            int n = snprintf(subj, sizeof subj, i % 3 ? "a.%d" : "b.%d", i);
            bool want = i % 3 != 0;
            CHECKF(perms_conn_can_publish(pc, subj, (size_t)n, 0) == want, "%s", subj);
        }
        CHECK(!perms_conn_can_publish(pc, "a.no", 4, 0));
        CHECK(perms_conn_can_publish(pc, "a.yes", 5, 0));
    }
    perms_conn_free(pc);
    perms_free(p);

    /* no publish rules: nothing to check */
    p = mk(NULL, NULL, L("s"), NULL);
    pc = perms_conn_new(p);
    CHECK(perms_conn_can_publish(pc, "anything", 8, 0));
    perms_conn_free(pc);
    perms_free(p);
}

static void test_conn_responses(void)
{
    weir_perms *p = mk(L("svc.>"), NULL, L("svc.>"), NULL);
    perms_set_responses(p, 2, 1000);
    perms_conn *pc = perms_conn_new(p);
    CHECK(pc);
    CHECK(perms_conn_can_publish(pc, "svc.x", 5, 0));
    CHECK(!perms_conn_can_publish(pc, "_INBOX.r1", 9, 0));
    CHECK(perms_conn_track_reply(pc, "_INBOX.r1", 9, 100) == 0);
    CHECK(perms_conn_can_publish(pc, "_INBOX.r1", 9, 200));
    CHECK(perms_conn_can_publish(pc, "_INBOX.r1", 9, 300));
    CHECK(!perms_conn_can_publish(pc, "_INBOX.r1", 9, 400)); /* max 2 */
    CHECK(!perms_conn_can_publish(pc, "_INBOX.r1", 9, 500)); /* forgotten */
    /* expiry */
    CHECK(perms_conn_track_reply(pc, "_INBOX.r2", 9, 1000) == 0);
    CHECK(perms_conn_can_publish(pc, "_INBOX.r2", 9, 2000)); /* exactly 1000 ms: still */
    CHECK(!perms_conn_can_publish(pc, "_INBOX.r2", 9, 2001));
    /* a new delivery with the same reply starts it over */
    CHECK(perms_conn_track_reply(pc, "_INBOX.r3", 9, 0) == 0);
    CHECK(perms_conn_can_publish(pc, "_INBOX.r3", 9, 0));
    CHECK(perms_conn_can_publish(pc, "_INBOX.r3", 9, 0));
    CHECK(perms_conn_track_reply(pc, "_INBOX.r3", 9, 0) == 0);
    CHECK(perms_conn_can_publish(pc, "_INBOX.r3", 9, 0));
    /* many replies: pruned of used-up and expired ones, the live ones kept */
    char r[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(r, sizeof r, "_INBOX.m%d", i);
        CHECK(perms_conn_track_reply(pc, r, (size_t)n, 10000 + i) == 0);
    }
    CHECK(perms_conn_can_publish(pc, "_INBOX.m4999", 12, 10000 + 5000));
    CHECK(!perms_conn_can_publish(pc, "_INBOX.m0", 9, 10000 + 5000)); /* expired */
    perms_conn_free(pc);
    perms_free(p);

    /* unlimited count, no expiry */
    p = perms_new();
    perms_set_responses(p, -1, -1);
    pc = perms_conn_new(p);
    CHECK(!perms_conn_can_publish(pc, "r", 1, 0));
    CHECK(perms_conn_track_reply(pc, "r", 1, 0) == 0);
    for (int i = 0; i < 10; i++)
        CHECK(perms_conn_can_publish(pc, "r", 1, (int64_t)i * 1000000));
    /* nothing can be pruned: every reply stays usable however many there are */
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(r, sizeof r, "_INBOX.u%d", i);
        CHECK(perms_conn_track_reply(pc, r, (size_t)n, i) == 0);
    }
    CHECK(perms_conn_can_publish(pc, "_INBOX.u0", 9, 0));
    CHECK(perms_conn_can_publish(pc, "_INBOX.u19999", 13, 0));
    perms_conn_free(pc);
    /* without allow_responses, deliveries grant nothing */
    p->responses = false;
    pc = perms_conn_new(p);
    CHECK(perms_conn_track_reply(pc, "r", 1, 0) == 0);
    CHECK(!perms_conn_can_publish(pc, "r", 1, 0));
    perms_conn_free(pc);
    perms_free(p);
}

static void test_violation_texts(void)
{
    char b[256];
    size_t n = perms_pub_violation_text(b, sizeof b, "bar", 3);
    CHECK(strcmp(b, "Permissions Violation for Publish to \"bar\"") == 0 && n == strlen(b));
    n = perms_sub_violation_text(b, sizeof b, "foo", 3, NULL, 0);
    CHECK(strcmp(b, "Permissions Violation for Subscription to \"foo\"") == 0 && n == strlen(b));
    n = perms_sub_violation_text(b, sizeof b, "foo", 3, "q", 1);
    CHECK(strcmp(b, "Permissions Violation for Subscription to \"foo\" using queue \"q\"") == 0);
    /* Go's %q */
    perms_pub_violation_text(b, sizeof b, "a\"b\\c\x01\xff\xc3\xa9", 9);
    CHECK(strcmp(b, "Permissions Violation for Publish to \"a\\\"b\\\\c\\x01\\xff\xc3\xa9\"") == 0);
    /* the length of the whole text, whatever fits */
    char small[8];
    n = perms_pub_violation_text(small, sizeof small, "bar", 3);
    CHECK(n == strlen("Permissions Violation for Publish to \"bar\"") && strlen(small) == 7);
    CHECK(perms_pub_violation_text(NULL, 0, "bar", 3) == n);
}

static void test_rule_syntax(void)
{
    perms_list l = {0};
    char e[128];
    CHECK(perms_list_add(&l, "a.*.>", false, e, sizeof e) == 0);
    CHECK(perms_list_add(&l, "a*b.c>", false, e, sizeof e) == 0); /* not wildcards */
    CHECK(perms_list_add(&l, "foo\tq", true, e, sizeof e) == 0 && entry_is(&l, 2, "foo", "q"));
    CHECK(perms_list_add(&l, " foo q ", true, e, sizeof e) == 0 && entry_is(&l, 3, "foo", "q"));
    CHECK(perms_list_add(&l, "foo q", false, e, sizeof e) == -1 &&
          strcmp(e, "subject \"foo q\" is not a valid subject") == 0);
    CHECK(perms_list_add(&l, "a..b", false, e, sizeof e) == -1);
    CHECK(perms_list_add(&l, ">.a", false, e, sizeof e) == -1);
    CHECK(perms_list_add(&l, "foo", true, e, sizeof e) == 0 && l.n == 5);
    weir_perms *p = perms_new();
    p->sub_allow = l;
    weir_perms *c = perms_clone(p);
    CHECK(c && c->sub_allow.n == 5 && entry_is(&c->sub_allow, 3, "foo", "q"));
    perms_free(c);
    perms_free(p);
    CHECK(perms_clone(NULL) == NULL);
}

int main(void)
{
    options_init(&O);
    RUN(test_conf_forms);
    RUN(test_conf_allow_responses);
    RUN(test_conf_default_permissions);
    RUN(test_conf_refusals);
    RUN(test_publish_decisions);
    RUN(test_subscribe_decisions);
    RUN(test_delivery_filter);
    RUN(test_conn_publish_cache);
    RUN(test_conn_responses);
    RUN(test_violation_texts);
    RUN(test_rule_syntax);
    options_free(&O);
    TESTLIB_EXIT();
}
