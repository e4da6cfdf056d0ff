/*
 * test_conf.c — unit tests of the options: defaults, the configuration file (server/conf.c,
 * server/conf_parse.c) and the command line (server/options.c), including the exact
 * "FILE:LINE:COL: message" of every kind of refusal.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/conf_parse.h"
#include "server/options.h"
#include "test/testlib.h"

static weir_options O;
static char err[1024];
static char tmpdir[64];

/* Loads text as "test.conf" over fresh defaults. */
static int load(const char *text)
{
    options_free(&O);
    options_init(&O);
    err[0] = 0;
    return conf_load_string(&O, "test.conf", text, err, sizeof err);
}

#define LOAD_OK(text) CHECKF(load(text) == 0, "unexpected error: %.150s", err)
#define LOAD_ERR(text, want)                                                                  \
    do {                                                                                      \
        int rc_ = load(text);                                                                 \
        CHECKF(rc_ < 0 && strcmp(err, want) == 0, "got [%.150s], want [%.150s]",                      \
               rc_ < 0 ? err : "success", want);                                              \
    } while (0)

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

/* Runs options_parse_args over fresh defaults with stdout/stderr silenced. */
static int parse(int argc, char **argv)
{
    options_free(&O);
    options_init(&O);
    err[0] = 0;
    fflush(stdout);
    fflush(stderr);
    int out = dup(1), errfd = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    int rc = options_parse_args(&O, argc, argv, err, sizeof err);
    fflush(stdout);
    fflush(stderr);
    dup2(out, 1);
    dup2(errfd, 2);
    close(out);
    close(errfd);
    close(null);
    return rc;
}

#define ARGS(...) (char *[]){"weir-server", __VA_ARGS__}
#define NARGS(...) ((int)(sizeof((char *[]){"weir-server", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(...) parse(NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))
#define PARSE_OK(...) CHECKF(PARSE(__VA_ARGS__) == OPTIONS_OK, "unexpected error: %.150s", err)
#define PARSE_ERR(want, ...)                                                                  \
    do {                                                                                      \
        int rc_ = PARSE(__VA_ARGS__);                                                         \
        CHECKF(rc_ == OPTIONS_ERROR && strcmp(err, want) == 0, "got %d [%.150s], want [%.150s]", rc_, \
               err, want);                                                                    \
    } while (0)

/* ---- defaults --------------------------------------------------------------------------- */

static void test_defaults(void)
{
    options_free(&O);
    options_init(&O);
    CHECK(!strcmp(O.host, "0.0.0.0"));
    CHECK(O.port == 4222);
    CHECK(O.server_name == NULL);
    CHECK(O.max_payload == 1024 * 1024);
    CHECK(O.max_control_line == 4096);
    CHECK(O.max_connections == 64 * 1024);
    CHECK(O.max_pending == 64LL * 1024 * 1024);
    CHECK(O.ping_interval_ms == 120000);
    CHECK(O.ping_max == 2);
    CHECK(O.write_deadline_ms == 10000);
    CHECK(O.auth_timeout_ms == 2000);
    CHECK(!O.token && !O.user && !O.password && !O.users && O.nusers == 0);
    CHECK(!O.jetstream);
    CHECK(!strcmp(O.store_dir, "./data"));
    CHECK(O.max_memory_store == -1 && O.max_file_store == -1);
    CHECK(!O.debug && !O.trace && !O.log_file && !O.pid_file && !O.config_file);
    CHECK(O.http_port == 0 && !O.http_host);
}

static void test_copy(void)
{
    LOAD_OK("server_name: a\nauthorization { users: [{user: u, password: p},"
            " {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4}] }");
    weir_options c;
    CHECK(options_copy(&c, &O) == 0);
    CHECK(c.host != O.host && !strcmp(c.host, O.host));
    CHECK(!strcmp(c.server_name, "a") && c.nusers == 2 && c.users != O.users);
    CHECK(!strcmp(c.users[0].user, "u") && !strcmp(c.users[0].password, "p"));
    CHECK(c.users[1].nkey && c.users[1].nkey != O.users[1].nkey && !c.users[1].user);
    options_free(&c);
    CHECK(c.host == NULL);
}

/* ---- every key -------------------------------------------------------------------------- */

static void test_all_keys(void)
{
    LOAD_OK("host: 127.0.0.2\n"
            "port: 4333\n"
            "server_name: \"weir-1\"\n"
            "max_payload: 2MB\n"
            "max_control_line: 8KB\n"
            "max_connections: 100\n"
            "max_pending: 128MB\n"
            "ping_interval: \"30s\"\n"
            "ping_max: 5\n"
            "write_deadline: \"3s\"\n"
            "authorization { token: s3cr3t, timeout: 5 }\n"
            "jetstream { store_dir: \"/var/lib/weir\", max_memory_store: 1GB,"
            " max_file_store: 10GB }\n"
            "debug: true\n"
            "trace: yes\n"
            "logfile: \"/tmp/weir.log\"\n"
            "pid_file: '/tmp/weir.pid'\n"
            "http_port: 8222\n");
    CHECK(!strcmp(O.host, "127.0.0.2"));
    CHECK(O.port == 4333);
    CHECK(!strcmp(O.server_name, "weir-1"));
    CHECK(O.max_payload == 2 * 1024 * 1024);
    CHECK(O.max_control_line == 8192);
    CHECK(O.max_connections == 100);
    CHECK(O.max_pending == 128LL * 1024 * 1024);
    CHECK(O.ping_interval_ms == 30000);
    CHECK(O.ping_max == 5);
    CHECK(O.write_deadline_ms == 3000);
    CHECK(!strcmp(O.token, "s3cr3t") && O.auth_timeout_ms == 5000);
    CHECK(O.jetstream);
    CHECK(!strcmp(O.store_dir, "/var/lib/weir"));
    CHECK(O.max_memory_store == 1LL << 30 && O.max_file_store == 10LL << 30);
    CHECK(O.debug && O.trace);
    CHECK(!strcmp(O.log_file, "/tmp/weir.log") && !strcmp(O.pid_file, "/tmp/weir.pid"));
    CHECK(O.http_port == 8222);
    CHECK(O.config_file == NULL); /* conf_load_string does not name a file */
}

static void test_aliases_and_case(void)
{
    LOAD_OK("NET: 10.0.0.1\nPort = 5000\nMax_Conn 7\nlog_file: a.log\npidfile: b.pid\n"
            "storedir: /s\nmonitor_port: 9000\nJetStream: ENABLED\n");
    CHECK(!strcmp(O.host, "10.0.0.1") && O.port == 5000 && O.max_connections == 7);
    CHECK(!strcmp(O.log_file, "a.log") && !strcmp(O.pid_file, "b.pid"));
    CHECK(!strcmp(O.store_dir, "/s") && O.http_port == 9000 && O.jetstream);
    LOAD_OK("max_connections: 0");
    CHECK(O.max_connections == -1);
    LOAD_OK("jetstream { store: /x, max_mem: 1M, max_file: \"2G\" }");
    CHECK(!strcmp(O.store_dir, "/x") && O.max_memory_store == 1000000);
    CHECK(O.max_file_store == 2LL << 30);
    LOAD_OK("jetstream { max_mem_store: \"512k\", max_file_store: \"3TB\" }");
    CHECK(O.max_memory_store == 512LL << 10 && O.max_file_store == 3LL << 40);
}

static void test_listen(void)
{
    LOAD_OK("listen: 127.0.0.1:4333");
    CHECK(!strcmp(O.host, "127.0.0.1") && O.port == 4333);
    LOAD_OK("listen: \"localhost:5222\"");
    CHECK(!strcmp(O.host, "localhost") && O.port == 5222);
    LOAD_OK("listen: 6222");
    CHECK(!strcmp(O.host, "0.0.0.0") && O.port == 6222);
    LOAD_OK("listen: \"[::1]:7222\"");
    CHECK(!strcmp(O.host, "::1") && O.port == 7222);
    LOAD_OK("listen: \":8222\"");
    CHECK(!strcmp(O.host, "0.0.0.0") && O.port == 8222);
    LOAD_OK("listen: \"127.0.0.1:-1\"");
    CHECK(O.port == -1);
    LOAD_OK("port: -1");
    CHECK(O.port == -1);
    LOAD_OK("port: 0");
    CHECK(O.port == 4222);
    LOAD_OK("http: \"127.0.0.1:8222\"");
    CHECK(!strcmp(O.http_host, "127.0.0.1") && O.http_port == 8222);
    LOAD_OK("http: 8223");
    CHECK(O.http_port == 8223 && !O.http_host);
    LOAD_ERR("listen: \"nocolon\"",
             "test.conf:1:9: invalid value for \"listen\": could not parse address string "
             "\"nocolon\"");
    LOAD_ERR("listen: \"h:99999\"",
             "test.conf:1:9: invalid value for \"listen\": could not parse port \"99999\"");
    LOAD_ERR("listen: \"::1:4222\"",
             "test.conf:1:9: invalid value for \"listen\": could not parse address string "
             "\"::1:4222\"");
    LOAD_ERR("port: 70000",
             "test.conf:1:7: invalid value for \"port\": 70000 is out of range (-1 to 65535)");
}

/* ---- value syntax ----------------------------------------------------------------------- */

static void test_size_suffixes(void)
{
    static const struct {
        const char *text;
        int64_t want;
    } cases[] = {
        {"1MB", 1LL << 20},  {"64KB", 64LL << 10}, {"1GB", 1LL << 30},  {"1K", 1000},
        {"1M", 1000000},     {"1G", 1000000000},   {"64kb", 64LL << 10}, {"2mib", 2LL << 20},
        {"3Ki", 3LL << 10},  {"5gB", 5LL << 30},   {"1tb", 1LL << 40},  {"2T", 2000000000000LL},
        {"1P", 1000000000000000LL}, {"1pb", 1LL << 50}, {"4096", 4096},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "max_pending: %s", cases[i].text);
        LOAD_OK(text);
        CHECKF(O.max_pending == cases[i].want, "%.150s gave %lld", cases[i].text,
               (long long)O.max_pending);
    }
    LOAD_ERR("max_pending: 1kbb", "test.conf:1:14: invalid size suffix in '1kbb'");
    LOAD_ERR("max_pending: 100EB", "test.conf:1:14: integer '100EB' is out of range");
    LOAD_ERR("max_pending: 99999999999999999999",
             "test.conf:1:14: integer '99999999999999999999' is out of range");
    LOAD_ERR("max_payload: 4GB", "test.conf:1:14: invalid value for \"max_payload\": 4GB is out "
                                 "of range (1 to 2147483647)");
    LOAD_ERR("jetstream { max_file_store: \"10X\" }",
             "test.conf:1:29: invalid value for \"jetstream.max_file_store\": \"10X\" is not a "
             "size (sizes written as strings end in K, M, G or T)");
}

static void test_durations(void)
{
    static const struct {
        const char *text;
        int64_t want_ms;
    } cases[] = {
        {"\"2m\"", 120000}, {"\"30s\"", 30000},  {"\"1h\"", 3600000},   {"\"500ms\"", 500},
        {"\"1h30m\"", 5400000}, {"\"1.5s\"", 1500}, {"60", 60000},     {"30s", 30000},
        {"500ms", 500},     {"'250us'", 1},      {"\"1m30s\"", 90000}, {"1m30s", 90000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "ping_interval: %s\nwrite_deadline = %s", cases[i].text,
                 cases[i].text);
        LOAD_OK(text);
        CHECKF(O.ping_interval_ms == cases[i].want_ms && O.write_deadline_ms == cases[i].want_ms,
               "%.150s gave %lld", cases[i].text, (long long)O.ping_interval_ms);
    }
    LOAD_OK("authorization { token: t, timeout: 1.5 }");
    CHECK(O.auth_timeout_ms == 1500);
    LOAD_OK("authorization { token: t, timeout: \"10s\" }");
    CHECK(O.auth_timeout_ms == 10000);
    LOAD_ERR("ping_interval: 2m",
             "test.conf:1:16: invalid value for \"ping_interval\": unquoted 2m is read as the "
             "number 2000000 (a size), not a duration; write it in quotes: \"2m\"");
    LOAD_ERR("write_deadline: \"2x\"",
             "test.conf:1:17: invalid value for \"write_deadline\": \"2x\" is not a duration "
             "(write a number with a unit: ns, us, ms, s, m, h; e.g. \"2m\", \"1h30m\", "
             "\"500ms\")");
    LOAD_ERR("ping_interval: \"10\"",
             "test.conf:1:16: invalid value for \"ping_interval\": \"10\" is not a duration "
             "(write a number with a unit: ns, us, ms, s, m, h; e.g. \"2m\", \"1h30m\", "
             "\"500ms\")");
    LOAD_ERR("ping_interval: 0",
             "test.conf:1:16: invalid value for \"ping_interval\": the duration must be positive");
    LOAD_ERR("ping_interval: true",
             "test.conf:1:16: invalid value for \"ping_interval\": expected a duration such as "
             "\"2m\" or a number of seconds, got a boolean (true)");
}

static void test_booleans(void)
{
    static const struct {
        const char *text;
        bool want;
    } cases[] = {
        {"true", true}, {"false", false}, {"yes", true}, {"no", false},
        {"on", true},   {"off", false},   {"TRUE", true}, {"Off", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "debug: %s\ntrace: %s\njetstream: %s", cases[i].text,
                 cases[i].text, cases[i].text);
        LOAD_OK(text);
        CHECKF(O.debug == cases[i].want && O.trace == cases[i].want &&
                   O.jetstream == cases[i].want,
               "%.150s", cases[i].text);
    }
    LOAD_ERR("debug: \"true\"", "test.conf:1:8: invalid value for \"debug\": expected a boolean "
                                "(true/false, yes/no, on/off), got a string (\"true\")");
}

static void test_syntax(void)
{
    /* separators, comments, quoted keys, semicolons and commas, JSON-style braces */
    LOAD_OK("# hash comment\n"
            "// slash comment\n"
            "port 4300   # trailing\n"
            "\"server_name\" = 'n1' // trailing\n"
            "debug: true; trace: true, max_pending 10\n"
            "\n"
            "authorization\n"
            "{\n"
            "  user = alice\n"
            "  password = \"p\\x41ss\\t\\\"x\\\"\"\n"
            "}\n");
    CHECK(O.port == 4300 && !strcmp(O.server_name, "n1") && O.debug && O.trace);
    CHECK(O.max_pending == 10);
    CHECK(!strcmp(O.user, "alice") && !strcmp(O.password, "pAss\t\"x\""));
    LOAD_OK("{\n  \"port\": 4400,\n  \"jetstream\": {\"store_dir\": \"/j\"}\n}\n");
    CHECK(O.port == 4400 && O.jetstream && !strcmp(O.store_dir, "/j"));
    LOAD_OK("jetstream {\n  max_mem =\n    1K\n}");
    CHECK(O.max_memory_store == 1000);
    /* a later duplicate key wins */
    LOAD_OK("port: 1000\nport: 2000");
    CHECK(O.port == 2000);
}

/* The value tree itself, for forms no option uses: arrays, floats, IPs, dates, blocks. */
static void test_tree(void)
{
    conf_doc *d = conf_parse_string("t.conf",
                                    "a: [1, 'two', 3.5, [true], {x: 1}\n  # c\n  off,]\n"
                                    "ip: 10.1.2.3:4\n"
                                    "when: 2024-01-02T03:04:05Z\n"
                                    "text: (\nline one\nline two\n)\n"
                                    "neg: -42\n",
                                    err, sizeof err);
    CHECKF(d != NULL, "%.150s", err);
    const conf_value *r = d->root;
    bool ok = r->n == 5 && r->entries[0].value->type == CONF_ARRAY;
    const conf_value *a = ok ? r->entries[0].value : NULL;
    ok = ok && a->n == 6 && a->items[0]->i == 1 && !strcmp(a->items[1]->text, "two") &&
         a->items[2]->type == CONF_FLOAT && a->items[2]->f == 3.5 &&
         a->items[3]->type == CONF_ARRAY && a->items[3]->items[0]->b &&
         a->items[4]->type == CONF_MAP && a->items[5]->type == CONF_BOOL && !a->items[5]->b;
    ok = ok && !strcmp(r->entries[1].value->text, "10.1.2.3:4") &&
         !strcmp(r->entries[2].value->text, "2024-01-02T03:04:05Z") &&
         !strcmp(r->entries[3].value->text, "\nline one\nline two") &&
         r->entries[4].value->i == -42;
    ok = ok && r->entries[1].pos.line == 4 && r->entries[1].pos.col == 1 &&
         r->entries[1].value->pos.col == 5 && !strcmp(r->entries[1].pos.file, "t.conf");
    conf_doc_free(d);
    CHECK(ok);
}

/* ---- authorization and jetstream -------------------------------------------------------- */

static void test_authorization(void)
{
    LOAD_OK("authorization { username: bob, pass: \"$2a$11$abcdefghijklmnopqrstuv\" }");
    CHECK(!strcmp(O.user, "bob") && !strcmp(O.password, "$2a$11$abcdefghijklmnopqrstuv"));
    LOAD_OK("authorization {\n"
            "  users = [\n"
            "    {user: alice, password: a1}\n"
            "    {username: bob, pass: $2a$10$unquotedbcrypthash}\n"
            "    {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4}\n"
            "  ]\n"
            "  timeout: \"3s\"\n"
            "}\n");
    CHECK(O.nusers == 3 && !O.user && !O.token);
    CHECK(!strcmp(O.users[0].user, "alice") && !strcmp(O.users[0].password, "a1"));
    CHECK(!strcmp(O.users[1].user, "bob") &&
          !strcmp(O.users[1].password, "$2a$10$unquotedbcrypthash"));
    CHECK(!O.users[2].user && !O.users[2].password &&
          !strcmp(O.users[2].nkey, "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"));
    CHECK(O.auth_timeout_ms == 3000);
    LOAD_ERR("authorization {\n  token: t\n  user: u\n  password: p\n}",
             "test.conf:1:15: cannot have a user/password and a token");
    LOAD_ERR("authorization { token: t, users: [] }",
             "test.conf:1:15: cannot have a token and a users array");
    LOAD_ERR("authorization { user: u, password: p, users: [{user: v, password: w}] }",
             "test.conf:1:15: cannot have a single user/password and a users array");
    LOAD_ERR("authorization { user: u }", "test.conf:1:15: user \"u\" has no password");
    LOAD_ERR("authorization { password: p }",
             "test.conf:1:15: a password was given without a user");
    LOAD_ERR("authorization { users: [{password: p}] }",
             "test.conf:1:25: user entry requires a user");
    LOAD_ERR("authorization { users: [{user: a, password: p}, {user: a, password: q}] }",
             "test.conf:1:49: duplicate user \"a\"");
    LOAD_ERR("authorization { users: [{nkey: NOTAKEY}] }",
             "test.conf:1:25: \"NOTAKEY\" is not a valid public nkey for a user");
    LOAD_ERR("authorization { users: [{nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF5}]"
             " }", /* last character changed: the checksum fails */
             "test.conf:1:25: \"UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF5\" is not a "
             "valid public nkey for a user");
    LOAD_ERR("authorization { users: [{nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"
             ", user: x}] }",
             "test.conf:1:25: nkey users do not take usernames or passwords");
    LOAD_ERR("authorization { users: {user: a} }",
             "test.conf:1:24: invalid value for \"authorization.users\": expected an array of "
             "users, got a map");
    LOAD_ERR("authorization { users: [{user: a, password: b, account: {}}] }",
             "test.conf:1:48: configuration key \"authorization.users.account\" is not "
             "supported by weir");
    LOAD_ERR("authorization { token: t, timeout: 2m }",
             "test.conf:1:36: invalid value for \"authorization.timeout\": unquoted 2m is read "
             "as the number 2000000 (a size), not a duration; write it in quotes: \"2m\"");
    LOAD_ERR("authorization: true",
             "test.conf:1:16: invalid value for \"authorization\": expected a map, got a "
             "boolean (true)");
    /* a failed load leaves the options as they were */
    options_free(&O);
    options_init(&O);
    CHECK(conf_load_string(&O, "x.conf", "port: 1234\nauthorization { token: 5 }", err,
                           sizeof err) < 0);
    CHECK(O.port == 4222 && !O.token);
}

static void test_jetstream(void)
{
    LOAD_OK("jetstream: enabled");
    CHECK(O.jetstream);
    LOAD_OK("jetstream: \"disabled\"");
    CHECK(!O.jetstream);
    LOAD_OK("jetstream: enable");
    CHECK(O.jetstream);
    LOAD_OK("jetstream: {}");
    CHECK(O.jetstream);
    LOAD_OK("jetstream { enabled: false, store_dir: /d }");
    CHECK(!O.jetstream && !strcmp(O.store_dir, "/d"));
    LOAD_OK("store_dir: /top\njetstream: true");
    CHECK(O.jetstream && !strcmp(O.store_dir, "/top"));
    LOAD_ERR("store_dir: /a\njetstream { store_dir: /b }",
             "test.conf:2:24: duplicate 'store_dir' configuration");
    LOAD_ERR("jetstream: maybe", "test.conf:1:12: invalid value for \"jetstream\": expected "
                                 "'enabled' or 'disabled', got 'maybe'");
    LOAD_OK("jetstream { domain: hub }");
    CHECK(O.jetstream && O.js_domain && !strcmp(O.js_domain, "hub"));
    LOAD_ERR("jetstream { domain: \"a.b\" }",
             "test.conf:1:21: invalid JetStream domain \"a.b\": a single subject token");
    LOAD_ERR("jetstream { bogus: 1 }",
             "test.conf:1:13: unknown configuration key \"jetstream.bogus\"");
    LOAD_ERR("jetstream: 1", "test.conf:1:12: invalid value for \"jetstream\": expected a map, "
                             "a boolean or \"enabled\"/\"disabled\", got an integer (1)");
}

/* ---- include and variables -------------------------------------------------------------- */

static void test_include(void)
{
    char sub[128], path[256];
    snprintf(sub, sizeof sub, "%s/sub", tmpdir);
    mkdir(sub, 0700);
    write_file("sub/auth.conf", "user: inc_user\npassword: inc_pass\n");
    write_file("sub/limits.conf", "max_payload: 64KB\nINC_PORT = 4555\ninclude 'deeper.conf'\n");
    write_file("sub/deeper.conf", "ping_max: 9\n");
    snprintf(path, sizeof path, "%s",
             write_file("sub/main.conf", "include limits.conf\n"
                                         "port: $INC_PORT\n"
                                         "authorization {\n"
                                         "  include \"auth.conf\"\n"
                                         "}\n"));
    options_free(&O);
    options_init(&O);
    CHECKF(conf_load_file(&O, path, err, sizeof err) == 0, "%.150s", err);
    CHECK(O.max_payload == 64 * 1024 && O.port == 4555 && O.ping_max == 9);
    CHECK(!strcmp(O.user, "inc_user") && !strcmp(O.password, "inc_pass"));
    CHECK(O.config_file && !strcmp(O.config_file, path));

    /* an error inside an included file names that file */
    write_file("sub/bad.conf", "\n  nope: 1\n");
    snprintf(path, sizeof path, "%s", write_file("sub/main2.conf", "port: 1\ninclude bad.conf\n"));
    options_free(&O);
    options_init(&O);
    CHECK(conf_load_file(&O, path, err, sizeof err) < 0);
    char want[512];
    snprintf(want, sizeof want, "%s/sub/bad.conf:2:3: unknown configuration key \"nope\"",
             tmpdir);
    CHECKF(!strcmp(err, want), "got [%.150s] want [%.150s]", err, want);

    /* a missing include file */
    snprintf(path, sizeof path, "%s",
             write_file("sub/main3.conf", "port: 1\n\n  include 'missing.conf'\n"));
    CHECK(conf_load_file(&O, path, err, sizeof err) < 0);
    snprintf(want, sizeof want,
             "%s/sub/main3.conf:3:3: cannot read include file \"%s/sub/missing.conf\": No such "
             "file or directory",
             tmpdir, tmpdir);
    CHECKF(!strcmp(err, want), "got [%.150s] want [%.150s]", err, want);
    /* relative includes of in-memory text resolve against the directory of its name */
    LOAD_ERR("include other.conf",
             "test.conf:1:1: cannot read include file \"other.conf\": No such file or directory");

    /* a file that includes itself */
    snprintf(path, sizeof path, "%s", write_file("sub/loop.conf", "include loop.conf\n"));
    CHECK(conf_load_file(&O, path, err, sizeof err) < 0);
    CHECKF(strstr(err, "includes are nested too deeply") != NULL, "%.150s", err);

    /* a missing main file */
    snprintf(path, sizeof path, "%s/none.conf", tmpdir);
    CHECK(conf_load_file(&O, path, err, sizeof err) < 0);
    snprintf(want, sizeof want,
             "%s/none.conf: cannot read configuration file: No such file or directory", tmpdir);
    CHECKF(!strcmp(err, want), "got [%.150s] want [%.150s]", err, want);
}

static void test_variables(void)
{
    LOAD_OK("PORT = 4600\nNAME: \"srv\"\nport: $PORT\nserver_name: $NAME\n");
    CHECK(O.port == 4600 && !strcmp(O.server_name, "srv"));
    /* block scoping: the innermost definition wins; outer ones are visible */
    LOAD_OK("TOK: outer\nLIM: 5\n"
            "authorization { TOK: inner, token: $TOK }\n"
            "jetstream { SZ: 2KB, max_mem: $SZ }\n"
            "ping_max: $LIM\n"
            "server_name: $TOK\n");
    CHECK(!strcmp(O.token, "inner") && O.max_memory_store == 2048 && O.ping_max == 5);
    CHECK(!strcmp(O.server_name, "outer"));
    /* from the environment, read as a value of the format */
    setenv("WEIR_TEST_PORT", "4700", 1);
    setenv("WEIR_TEST_SIZE", "1MB", 1);
    setenv("WEIR_TEST_INDIRECT", "$WEIR_TEST_PORT", 1);
    LOAD_OK("port: $WEIR_TEST_PORT\nmax_pending: $WEIR_TEST_SIZE");
    CHECK(O.port == 4700 && O.max_pending == 1 << 20);
    LOAD_OK("port: $WEIR_TEST_INDIRECT");
    CHECK(O.port == 4700);
    LOAD_ERR("port: 1\nserver_name: $WEIR_TEST_UNDEFINED_XYZ",
             "test.conf:2:14: variable reference for \"WEIR_TEST_UNDEFINED_XYZ\" can not be found");
    setenv("WEIR_TEST_CYCLE", "$WEIR_TEST_CYCLE", 1);
    LOAD_ERR("port: $WEIR_TEST_CYCLE",
             "test.conf:1:7: environment variable \"WEIR_TEST_CYCLE\": variable reference cycle "
             "for \"WEIR_TEST_CYCLE\"");
    setenv("WEIR_TEST_SPACES", "a b", 1);
    LOAD_ERR("server_name: $WEIR_TEST_SPACES",
             "test.conf:1:14: environment variable \"WEIR_TEST_SPACES\": unexpected 'b' after "
             "the value");
    /* the type comes from the variable's value */
    LOAD_ERR("X = \"4222\"\nport: $X",
             "test.conf:2:7: invalid value for \"port\": expected an integer, got a string "
             "(\"4222\")");
    /* a key used only as a variable is not an unknown key; an unused one is */
    LOAD_ERR("UNUSED = 1\n", "test.conf:1:1: unknown configuration key \"UNUSED\"");
}

/* ---- refusals --------------------------------------------------------------------------- */

static void test_errors(void)
{
    LOAD_ERR("port: 4222\ndebug: true\nfoo: 1\n",
             "test.conf:3:1: unknown configuration key \"foo\"");
    LOAD_ERR("port: 4222\n  tls { cert_file: x }\n",
             "test.conf:2:3: configuration key \"tls\" is not supported by weir");
    LOAD_ERR("authorization {\n  token: t\n  colour: red\n}",
             "test.conf:3:3: unknown configuration key \"authorization.colour\"");
    LOAD_ERR("authorization { token: t, auth_callout: {} }",
             "test.conf:1:27: configuration key \"authorization.auth_callout\" is not supported "
             "by weir");
    LOAD_ERR("port: \"4222\"", "test.conf:1:7: invalid value for \"port\": expected an integer, "
                               "got a string (\"4222\")");
    LOAD_ERR("server_name: 12", "test.conf:1:14: invalid value for \"server_name\": expected a "
                                "string, got an integer (12)");
    LOAD_ERR("max_payload: [1]", "test.conf:1:14: invalid value for \"max_payload\": expected an "
                                 "integer, got an array");
    LOAD_ERR("server_name: \"a b\"", "test.conf:1:14: server name cannot contain spaces");
    LOAD_ERR("ping_max: 0",
             "test.conf:1:11: invalid value for \"ping_max\": 0 is out of range (1 to 2147483647)");
    /* syntax */
    LOAD_ERR("port: 1\nauthorization {\n  token: t\n",
             "test.conf:2:15: unclosed '{': end of file reached before its '}'");
    LOAD_ERR("port: 1\nserver_name: \"abc\n",
             "test.conf:2:14: unterminated string: end of file reached before the closing \"");
    LOAD_ERR("server_name: 'abc",
             "test.conf:1:14: unterminated string: end of file reached before the closing '");
    LOAD_ERR("x: [1, 2\n", "test.conf:1:4: unclosed '[': end of file reached before its ']'");
    LOAD_ERR("port: 1 2", "test.conf:1:9: expected a new line, ',' or ';' after the value of "
                          "\"port\", found '2'");
    LOAD_ERR("port", "test.conf:1:1: key \"port\" has no value");
    LOAD_ERR("port =\n4222", "test.conf:1:7: expected a value for \"port\", found a new line");
    LOAD_ERR("}", "test.conf:1:1: unexpected '}' with no '{' open");
    LOAD_ERR("server_name: \"a\\qb\"",
             "test.conf:1:16: invalid escape character 'q': only \\xXX, \\t, \\n, \\r, \\\" and "
             "\\\\ are allowed");
    LOAD_ERR("server_name: \"\\x0\"",
             "test.conf:1:15: expected two hexadecimal digits after '\\x'");
    LOAD_ERR("x: [1,,2]", "test.conf:1:7: unexpected ',' in array");
    LOAD_ERR("x: .5", "test.conf:1:4: a float must start with a digit, not '.'");
    LOAD_ERR("x: -y", "test.conf:1:4: expected a digit after '-'");
    LOAD_ERR("x: 2024-13", "test.conf:1:4: invalid date-time: expected the form "
                           "YYYY-MM-DDTHH:MM:SSZ");
    LOAD_ERR("{ port: 1 } extra", "test.conf:1:13: unexpected 'e' after the closing '}'");
    LOAD_ERR("'port: 1", "test.conf:1:1: unterminated quoted key: end of file reached before "
                         "its closing '");
    LOAD_ERR("include\n", "test.conf:1:8: expected a file name after include, found a new line");
    LOAD_ERR("x = # c\n", "test.conf:1:5: expected a value for \"x\", found a comment");
    /* nesting is bounded */
    char deep[400];
    memset(deep, '[', 300);
    strcpy(deep + 300, "\n");
    char text[420];
    snprintf(text, sizeof text, "x: %s", deep);
    CHECK(load(text) < 0 && strstr(err, "nested too deeply"));
}

/* ---- command line ----------------------------------------------------------------------- */

static void test_flags(void)
{
    PARSE_OK("-a", "127.0.0.1", "-p", "4333", "-n", "srv", "-js", "-sd", "/tmp/sd", "--user",
             "u", "--pass", "p", "-D", "-V", "-l", "/tmp/l.log", "-P", "/tmp/p.pid", "-m",
             "8222");
    CHECK(!strcmp(O.host, "127.0.0.1") && O.port == 4333 && !strcmp(O.server_name, "srv"));
    CHECK(O.jetstream && !strcmp(O.store_dir, "/tmp/sd"));
    CHECK(!strcmp(O.user, "u") && !strcmp(O.password, "p"));
    CHECK(O.debug && O.trace && !strcmp(O.log_file, "/tmp/l.log"));
    CHECK(!strcmp(O.pid_file, "/tmp/p.pid") && O.http_port == 8222);

    PARSE_OK("--addr=10.0.0.1", "--port=4444", "--name=x", "--jetstream", "--store_dir=/d",
             "--auth=tok", "--debug", "--trace", "--log=l", "--pid=p", "--http_port=1");
    CHECK(!strcmp(O.host, "10.0.0.1") && O.port == 4444 && !strcmp(O.server_name, "x"));
    CHECK(O.jetstream && !strcmp(O.store_dir, "/d") && !strcmp(O.token, "tok"));
    CHECK(O.debug && O.trace && !strcmp(O.log_file, "l") && !strcmp(O.pid_file, "p"));
    CHECK(O.http_port == 1);

    /* single and double dashes are the same; = or a separate value */
    PARSE_OK("-p=4555");
    CHECK(O.port == 4555);
    PARSE_OK("--port", "4556");
    CHECK(O.port == 4556);
    PARSE_OK("-port", "4557", "--net", "h", "-server_name", "s2");
    CHECK(O.port == 4557 && !strcmp(O.host, "h") && !strcmp(O.server_name, "s2"));
    PARSE_OK("-p", "-1");
    CHECK(O.port == -1);
    PARSE_OK("-p", "0x10");
    CHECK(O.port == 16);
    PARSE_OK("-DV");
    CHECK(O.debug && O.trace);
    PARSE_OK("-VV");
    CHECK(!O.debug && O.trace);
    PARSE_OK("-DVV");
    CHECK(O.debug && O.trace);
    PARSE_OK("-D", "-D=false", "-js=true");
    CHECK(!O.debug && O.jetstream);
    PARSE_OK("-DV", "-DV=0");
    CHECK(!O.debug && !O.trace);
    PARSE_OK("-a", "");
    CHECK(!strcmp(O.host, "0.0.0.0"));
    /* -- ends the flags; what follows must be a command */
    PARSE_ERR("unrecognized command: \"-p\"", "--", "-p", "1");
}

static void test_flag_help_version(void)
{
    CHECK(PARSE("-h") == OPTIONS_EXIT);
    CHECK(PARSE("--help") == OPTIONS_EXIT);
    CHECK(PARSE("-v") == OPTIONS_EXIT);
    CHECK(PARSE("--version") == OPTIONS_EXIT);
    CHECK(PARSE("version") == OPTIONS_EXIT);
    CHECK(PARSE("help") == OPTIONS_EXIT);
    CHECK(PARSE("-p", "1", "-v") == OPTIONS_EXIT);
    /* help and version are answered before the configuration file is read */
    CHECK(PARSE("-c", "/nonexistent/weir.conf", "-h") == OPTIONS_EXIT);
    /* the version line */
    char buf[128];
    snprintf(buf, sizeof buf, "weir-server version %s (nats-server compatible v%s)",
             WEIR_VERSION, WEIR_NATS_COMPAT_VERSION);
    CHECK(!strcmp(buf, "weir-server version 0.1.0 (nats-server compatible v2.10.0)"));
}

static void test_flag_config_override(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s",
             write_file("flags.conf", "port: 5001\nserver_name: from_file\ndebug: true\n"
                                      "jetstream { store_dir: /file }\nmax_payload: 2KB\n"));
    /* the file is read first, whatever the order of the flags; flags then override it */
    PARSE_OK("-p", "5002", "-c", path, "-sd", "/flag");
    CHECK(O.port == 5002 && !strcmp(O.server_name, "from_file") && O.debug);
    CHECK(O.jetstream && !strcmp(O.store_dir, "/flag") && O.max_payload == 2048);
    CHECK(!strcmp(O.config_file, path));
    PARSE_OK("--config", path, "-D=false", "--name=flag_name");
    CHECK(O.port == 5001 && !O.debug && !strcmp(O.server_name, "flag_name"));
    CHECK(!strcmp(O.store_dir, "/file"));
    /* -t checks the file and exits */
    CHECK(PARSE("-t", "-c", path) == OPTIONS_EXIT);
    PARSE_ERR("must specify [-c, --config] option to check configuration file syntax", "-t");
    /* errors of the file come back as they are */
    snprintf(path, sizeof path, "%s", write_file("bad.conf", "port: 1\nwhat: 2\n"));
    char want[512];
    snprintf(want, sizeof want, "%s:2:1: unknown configuration key \"what\"", path);
    PARSE_ERR(want, "-c", path);
    snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
    snprintf(want, sizeof want, "%s: cannot read configuration file: No such file or directory",
             path);
    PARSE_ERR(want, "-c", path);
    /* flags and file must agree on one authentication method */
    snprintf(path, sizeof path, "%s",
             write_file("auth.conf", "authorization { users: [{user: a, password: b}] }\n"));
    PARSE_ERR("--user/--auth cannot be combined with the users array of the configuration file",
              "-c", path, "--user", "x", "--pass", "y");
    PARSE_ERR("cannot have a user/password and a token (--auth)", "--user", "x", "--pass", "y",
              "--auth", "t");
    PARSE_ERR("--pass requires --user", "--pass", "y");
    PARSE_ERR("--user requires --pass", "--user", "x");
}

static void test_flag_errors(void)
{
    PARSE_ERR("unknown flag: -x", "-x");
    PARSE_ERR("unknown flag: --bogus", "--bogus=1");
    PARSE_ERR("unknown flag: -d", "-d"); /* flag names are case-sensitive */
    PARSE_ERR("flag --tls is not supported by weir", "--tls");
    PARSE_ERR("flag -cluster is not supported by weir", "-cluster", "nats://x:6222");
    PARSE_ERR("flag needs an argument: -p", "-p");
    PARSE_ERR("flag needs an argument: --config", "--config");
    PARSE_ERR("invalid value \"abc\" for flag -p: parse error", "-p", "abc");
    PARSE_ERR("invalid value \"42x\" for flag --port: parse error", "--port=42x");
    PARSE_ERR("invalid value \"\" for flag -m: parse error", "-m", "");
    PARSE_ERR("invalid value \"70000\" for flag -p: out of range (-1 to 65535)", "-p", "70000");
    PARSE_ERR("invalid boolean value \"maybe\" for flag -D", "-D=maybe");
    PARSE_ERR("invalid value \"a b\" for flag -n: server name cannot contain spaces", "-n",
              "a b");
    PARSE_ERR("bad flag syntax: ---p", "---p");
    PARSE_ERR("bad flag syntax: -=1", "-=1");
    PARSE_ERR("unrecognized command: \"start\"", "-p", "1", "start");
    PARSE_ERR("unexpected argument: \"now\"", "version", "now");
    /* flag errors come before the configuration file is read */
    PARSE_ERR("unknown flag: -x", "-c", "/nonexistent/weir.conf", "-x");
}

static int rm_tree(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/weir-test-conf-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    options_init(&O);
    RUN(test_defaults);
    RUN(test_copy);
    RUN(test_all_keys);
    RUN(test_aliases_and_case);
    RUN(test_listen);
    RUN(test_size_suffixes);
    RUN(test_durations);
    RUN(test_booleans);
    RUN(test_syntax);
    RUN(test_tree);
    RUN(test_authorization);
    RUN(test_jetstream);
    RUN(test_include);
    RUN(test_variables);
    RUN(test_errors);
    RUN(test_flags);
    RUN(test_flag_help_version);
    RUN(test_flag_config_override);
    RUN(test_flag_errors);
    options_free(&O);
    rm_tree(tmpdir);
    TESTLIB_EXIT();
}
