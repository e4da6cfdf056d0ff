/*
 * test_iop_auth.c — client authentication as libnats and the raw protocol see it: token,
 * user/password (plain and bcrypt), a users list, NKEY users (nonce signing), and the
 * authentication timeout for a client that never sends CONNECT.
 *
 * For every mode: the right credentials connect and can publish/subscribe; wrong or missing
 * credentials are refused (libnats reports an auth failure, the wire shows
 * "-ERR 'Authorization Violation'" and the server closes the connection).
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#include <jansson.h>
#include <strings.h>

/* A well-known NKEY user pair from nats-server's own tests (server/auth_callout_test.go). */
#define PUBLISHED_SEED "SUAP277QP7U4JMFFPVZHLJYEQJ2UHOTYVEIZJYAWRJXQLP4FRSEHYZJJOU"
#define PUBLISHED_PUB "UBO2MQV67TQTVIRV3XFTEZOACM4WLOCMCDMAWN5QVN5PI2N6JHTVDRON"

/* Connects with o: must succeed and route a message. */
static int connect_ok(const h_server *s, const h_conn_opts *o, char *why, size_t cap)
{
    natsConnection *nc = NULL;
    char err[256];
    natsStatus st = h_connect(s, o, &nc, err, sizeof err);
    /* libnats before 3.8 (Debian has 3.4.1) leaves "sig" out of CONNECT when the signature's
     * first byte is 0 (nats.c #705), so 1 in 256 NKEY connects fails against nats-server too;
     * a new connection gets a new nonce, hence a new signature. */
    for (int tries = 1; st == NATS_CONNECTION_AUTH_FAILED && o->nkey_pub && tries < 4; tries++)
        st = h_connect(s, o, &nc, err, sizeof err);
    if (st != NATS_OK) {
        snprintf(why, cap, "connect refused: %.200s", err);
        return -1;
    }
    int rc = h_nc_roundtrip(nc, "iop.auth.ok");
    if (rc != 0)
        snprintf(why, cap, "connected but pub/sub failed");
    natsConnection_Destroy(nc);
    return rc;
}

/* Connects with o: must be refused as an authorization failure. */
static int connect_refused(const h_server *s, const h_conn_opts *o, char *why, size_t cap)
{
    natsConnection *nc = NULL;
    char err[256];
    natsStatus st = h_connect(s, o, &nc, err, sizeof err);
    if (st == NATS_OK) {
        natsConnection_Destroy(nc);
        snprintf(why, cap, "connect with wrong credentials succeeded");
        return -1;
    }
    if (st != NATS_CONNECTION_AUTH_FAILED && st != NATS_NOT_PERMITTED &&
        !strcasestr(err, "authorization violation")) {
        snprintf(why, cap, "refused, but not as an auth failure: %.200s", err);
        return -1;
    }
    return 0;
}

/* Raw CONNECT with the given JSON: the server must answer exactly
 * "-ERR 'Authorization Violation'\r\n" and close. */
static int raw_refused(const h_server *s, const char *connect_json, char *why, size_t cap)
{
    h_raw *r = calloc(1, sizeof *r);
    char got[512], esc[256];
    bool closed = false;
    int rc = -1;
    if (!r || h_raw_open(r, s->port, 0) != 0) {
        snprintf(why, cap, "raw connect failed");
        free(r);
        return -1;
    }
    char line[4096];
    if (h_raw_readline(r, line, sizeof line, 3000) < 5 || strncmp(line, "INFO ", 5) != 0) {
        snprintf(why, cap, "no INFO");
    } else {
        h_raw_sendf(r, "CONNECT %s\r\nPING\r\n", connect_json);
        h_raw_read_until(r, got, sizeof got, NULL, 3000, &closed);
        if (closed && strcmp(got, "-ERR 'Authorization Violation'\r\n") == 0)
            rc = 0;
        else
            snprintf(why, cap, "raw: got '%.150s' closed=%d",
                     h_escape(got, strlen(got), esc, sizeof esc), closed);
    }
    h_raw_close(r);
    free(r);
    return rc;
}

/* INFO of a fresh raw connection, parsed. NULL on failure. */
static json_t *raw_info(const h_server *s)
{
    h_raw *r = calloc(1, sizeof *r);
    json_t *j = NULL;
    char *line = malloc(8192);
    if (r && line && h_raw_open(r, s->port, 0) == 0 &&
        h_raw_readline(r, line, 8192, 3000) > 5 && strncmp(line, "INFO ", 5) == 0)
        j = json_loads(line + 5, 0, NULL);
    if (r)
        h_raw_close(r);
    free(r);
    free(line);
    return j;
}

#define TRY(expr)                                                                          \
    do {                                                                                   \
        why[0] = 0;                                                                        \
        if ((expr) != 0) {                                                                 \
            fail = 1;                                                                      \
            goto done;                                                                     \
        }                                                                                  \
    } while (0)

static void token_auth(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, NULL, "--auth", "s3cr3t-t0ken", NULL) == 0);
    char why[300] = "";
    int fail = 0;
    h_conn_opts good = {.token = "s3cr3t-t0ken"};
    h_conn_opts bad = {.token = "s3cr3t-t0keN"};
    h_conn_opts none = {0};
    h_conn_opts userpass = {.user = "s3cr3t-t0ken", .pass = "s3cr3t-t0ken"};
    TRY(connect_ok(&s, &good, why, sizeof why));
    TRY(connect_refused(&s, &bad, why, sizeof why));
    TRY(connect_refused(&s, &none, why, sizeof why));
    TRY(connect_refused(&s, &userpass, why, sizeof why));
    TRY(raw_refused(&s, "{\"verbose\":false,\"auth_token\":\"nope\"}", why, sizeof why));
    TRY(raw_refused(&s, "{\"verbose\":false}", why, sizeof why));
done:
    h_server_free(&s);
    CHECKF(!fail, "%s", why);
}

static void user_password(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, NULL, "--user", "alice", "--pass", "wonder land", NULL) == 0);
    char why[300] = "";
    int fail = 0;
    h_conn_opts good = {.user = "alice", .pass = "wonder land"};
    h_conn_opts badpass = {.user = "alice", .pass = "wonderland"};
    h_conn_opts baduser = {.user = "alicE", .pass = "wonder land"};
    h_conn_opts none = {0};
    h_conn_opts token = {.token = "wonder land"};
    TRY(connect_ok(&s, &good, why, sizeof why));
    TRY(connect_refused(&s, &badpass, why, sizeof why));
    TRY(connect_refused(&s, &baduser, why, sizeof why));
    TRY(connect_refused(&s, &none, why, sizeof why));
    TRY(connect_refused(&s, &token, why, sizeof why));
    TRY(raw_refused(&s, "{\"verbose\":false,\"user\":\"alice\",\"pass\":\"x\"}", why, sizeof why));
    TRY(raw_refused(&s, "{\"verbose\":false,\"user\":\"alice\"}", why, sizeof why));
done:
    h_server_free(&s);
    CHECKF(!fail, "%s", why);
}

static void bcrypt_password(void)
{
    char hash[128], conf[512];
    CHECK(h_bcrypt("b-crypt pass", hash, sizeof hash) == 0);
    CHECKF(strncmp(hash, "$2", 2) == 0, "libcrypt gave '%.100s'", hash);
    snprintf(conf, sizeof conf, "authorization {\n  user: bob\n  password: \"%s\"\n}\n", hash);
    h_server s = {0};
    CHECK(h_server_start(&s, conf, NULL) == 0);
    char why[300] = "";
    int fail = 0;
    h_conn_opts good = {.user = "bob", .pass = "b-crypt pass"};
    h_conn_opts bad = {.user = "bob", .pass = "b-crypt pasS"};
    h_conn_opts hashed = {.user = "bob", .pass = hash}; /* the hash itself is no password */
    TRY(connect_ok(&s, &good, why, sizeof why));
    TRY(connect_refused(&s, &bad, why, sizeof why));
    TRY(connect_refused(&s, &hashed, why, sizeof why));
done:
    h_server_free(&s);
    CHECKF(!fail, "%s", why);
}

static void users_list(void)
{
    char hash[128], conf[1024];
    CHECK(h_bcrypt("carol-pw", hash, sizeof hash) == 0);
    snprintf(conf, sizeof conf,
             "authorization {\n"
             "  users = [\n"
             "    {user: alice, password: a1}\n"
             "    {user: bob, password: \"b 2\"}\n"
             "    {user: carol, password: \"%s\"}\n"
             "  ]\n"
             "}\n",
             hash);
    h_server s = {0};
    CHECK(h_server_start(&s, conf, NULL) == 0);
    char why[300] = "";
    int fail = 0;
    h_conn_opts alice = {.user = "alice", .pass = "a1"};
    h_conn_opts bob = {.user = "bob", .pass = "b 2"};
    h_conn_opts carol = {.user = "carol", .pass = "carol-pw"};
    h_conn_opts crossed = {.user = "alice", .pass = "b 2"};
    h_conn_opts nobody = {.user = "dave", .pass = "a1"};
    TRY(connect_ok(&s, &alice, why, sizeof why));
    TRY(connect_ok(&s, &bob, why, sizeof why));
    TRY(connect_ok(&s, &carol, why, sizeof why));
    TRY(connect_refused(&s, &crossed, why, sizeof why));
    TRY(connect_refused(&s, &nobody, why, sizeof why));
    TRY(raw_refused(&s, "{\"verbose\":false}", why, sizeof why));
done:
    h_server_free(&s);
    CHECKF(!fail, "%s", why);
}

/* The harness's NKEY encoder against a pair published by nats-server's tests, and a fresh pair
 * decoded again. Guards the other NKEY cases against a broken encoder. */
static void nkey_encoding(void)
{
    char pub[57], seed[59], pub2[57];
    CHECK(h_nkey_public_from_seed(PUBLISHED_SEED, pub) == 0);
    CHECKF(strcmp(pub, PUBLISHED_PUB) == 0, "derived %s", pub);
    CHECK(h_nkey_user_keypair(seed, pub) == 0);
    CHECK(strlen(seed) == 58 && strncmp(seed, "SU", 2) == 0);
    CHECK(strlen(pub) == 56 && pub[0] == 'U');
    CHECK(h_nkey_public_from_seed(seed, pub2) == 0);
    CHECK(strcmp(pub, pub2) == 0);
    char broken[59];
    memcpy(broken, seed, sizeof broken);
    broken[10] = broken[10] == 'A' ? 'B' : 'A';
    CHECK(h_nkey_public_from_seed(broken, pub2) != 0); /* CRC catches it */
}

static void nkey_user(void)
{
    char seed[59], pub[57], other_seed[59], other_pub[57];
    CHECK(h_nkey_user_keypair(seed, pub) == 0);
    CHECK(h_nkey_user_keypair(other_seed, other_pub) == 0);
    char conf[512];
    snprintf(conf, sizeof conf,
             "authorization {\n  users = [\n    {nkey: \"%s\"}\n    {nkey: \"%s\"}\n  ]\n}\n",
             pub, PUBLISHED_PUB);
    h_server s = {0};
    CHECK(h_server_start(&s, conf, NULL) == 0);
    char seedfile[400], otherfile[400], pubseedfile[400], why[300] = "";
    snprintf(seedfile, sizeof seedfile, "%s/user.nk", s.dir);
    snprintf(otherfile, sizeof otherfile, "%s/other.nk", s.dir);
    snprintf(pubseedfile, sizeof pubseedfile, "%s/published.nk", s.dir);
    int fail = 0;
    json_t *info = NULL;
    TRY(h_write_file(seedfile, seed));
    TRY(h_write_file(otherfile, other_seed));
    TRY(h_write_file(pubseedfile, PUBLISHED_SEED "\n"));
    h_conn_opts good = {.nkey_pub = pub, .nkey_seed_file = seedfile};
    h_conn_opts published = {.nkey_pub = PUBLISHED_PUB, .nkey_seed_file = pubseedfile};
    h_conn_opts unknown = {.nkey_pub = other_pub, .nkey_seed_file = otherfile};
    /* claims a listed key but signs with another one */
    h_conn_opts forged = {.nkey_pub = pub, .nkey_seed_file = otherfile};
    h_conn_opts none = {0};
    TRY(connect_ok(&s, &good, why, sizeof why));
    TRY(connect_ok(&s, &published, why, sizeof why));
    TRY(connect_refused(&s, &unknown, why, sizeof why));
    TRY(connect_refused(&s, &forged, why, sizeof why));
    TRY(connect_refused(&s, &none, why, sizeof why));
    char cj[256];
    snprintf(cj, sizeof cj, "{\"verbose\":false,\"nkey\":\"%s\",\"sig\":\"AAAA\"}", pub);
    TRY(raw_refused(&s, cj, why, sizeof why));
    info = raw_info(&s);
    if (!info) {
        snprintf(why, sizeof why, "no INFO");
        fail = 1;
    } else {
        json_t *nonce = json_object_get(info, "nonce");
        if (!json_is_string(nonce) || json_string_length(nonce) < 8) {
            snprintf(why, sizeof why, "INFO has no usable nonce");
            fail = 1;
        }
        if (!json_is_true(json_object_get(info, "auth_required"))) {
            snprintf(why, sizeof why, "INFO lacks auth_required:true");
            fail = 1;
        }
    }
done:
    json_decref(info);
    h_server_free(&s);
    CHECKF(!fail, "%s", why);
}

static void auth_timeout(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, "authorization {\n  user: a\n  password: b\n  timeout: 1\n}\n",
                         NULL) == 0);
    h_raw *r = calloc(1, sizeof *r);
    char line[4096], got[512], esc[256];
    bool closed = false;
    int64_t t0 = 0, took = 0;
    int info_ok = 0, ok_conn = 0;
    got[0] = 0;
    if (r && h_raw_open(r, s.port, 0) == 0) {
        t0 = h_now_ms();
        info_ok = h_raw_readline(r, line, sizeof line, 3000) > 5 && !strncmp(line, "INFO ", 5);
        h_raw_read_until(r, got, sizeof got, NULL, 4000, &closed);
        took = h_now_ms() - t0;
        h_raw_close(r);
    }
    /* a client that does authenticate in time is not affected */
    if (r && h_raw_handshake(r, s.port, "{\"verbose\":false,\"user\":\"a\",\"pass\":\"b\"}", NULL,
                             0) == 0) {
        h_sleep_ms(1300);
        ok_conn = h_raw_ping(r, 2000) == 0;
        h_raw_close(r);
    }
    free(r);
    h_server_free(&s);
    CHECK(info_ok);
    CHECKF(closed && strcmp(got, "-ERR 'Authentication Timeout'\r\n") == 0,
           "got '%.200s' closed=%d", h_escape(got, strlen(got), esc, sizeof esc), closed);
    CHECKF(took >= 700 && took <= 3000, "closed after %lld ms, configured 1 s", (long long)took);
    CHECKF(ok_conn, "an authenticated client was cut by the auth timer");
}

int main(void)
{
    h_init();
    RUN(token_auth);
    RUN(user_password);
    RUN(bcrypt_password);
    RUN(users_list);
    RUN(nkey_encoding);
    RUN(nkey_user);
    RUN(auth_timeout);
    h_done();
    TESTLIB_EXIT();
}
