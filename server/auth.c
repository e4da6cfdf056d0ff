/*
 * auth.c — client authentication decisions, following nats-server's
 * processClientOrLeafAuthentication (server/auth.go) without JWTs, TLS maps or no_auth_user:
 *
 *   1. NKEY users exist and CONNECT carries `nkey`: the key must be configured, and `sig` must
 *      be an Ed25519 signature of this connection's INFO nonce by that key.
 *   2. Password users exist and CONNECT carries `user`: the user must be configured and the
 *      password must match (plain, constant time, or bcrypt when the stored one looks like a
 *      bcrypt hash).
 *   3. Otherwise the single token, or the single user/password, is checked.
 *   Anything else is refused. A users entry brings its permissions, or the default ones.
 */
#include "server/auth.h"

#include <crypt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nkey.h"

#define AUTH_NONCE_RAW_LEN 11
#define AUTH_SIG_LEN crypto_sign_BYTES

_Static_assert(sodium_base64_ENCODED_LEN(AUTH_NONCE_RAW_LEN,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   AUTH_NONCE_LEN + 1,
               "AUTH_NONCE_LEN must be the unpadded base64 length of the raw nonce");

static bool nonempty(const char *s)
{
    return s != NULL && s[0] != 0;
}

static void auth_sodium_init(void)
{
    /* Returns 0 the first time, 1 afterwards; -1 only when no entropy source exists. */
    if (sodium_init() < 0)
        abort();
}

bool auth_required(const weir_options *o)
{
    return o->nusers > 0 || nonempty(o->user) || nonempty(o->token);
}

bool auth_needs_nonce(const weir_options *o)
{
    for (size_t i = 0; i < o->nusers; i++)
        if (nonempty(o->users[i].nkey))
            return true;
    return false;
}

void auth_make_nonce(char out[AUTH_NONCE_LEN + 1])
{
    unsigned char raw[AUTH_NONCE_RAW_LEN];
    auth_sodium_init();
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, AUTH_NONCE_LEN + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* nats-server's isBcrypt: the stored password matches ^\$2[abxy]\$\d{2}\$ */
static bool is_bcrypt(const char *s)
{
    return s[0] == '$' && s[1] == '2' && s[2] != 0 && strchr("abxy", s[2]) != NULL &&
           s[3] == '$' && s[4] >= '0' && s[4] <= '9' && s[5] >= '0' && s[5] <= '9' &&
           s[6] == '$';
}

static bool equal_ct(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return la == 0 || sodium_memcmp(a, b, la) == 0;
}

static bool bcrypt_matches(const char *hash, const char *pass)
{
    struct crypt_data *cd = calloc(1, sizeof *cd);
    if (cd == NULL)
        return false;
    const char *r = crypt_r(pass, hash, cd);
    /* libxcrypt signals failure with NULL or a string starting with '*' */
    bool ok = r != NULL && r[0] != '*' && equal_ct(r, hash);
    sodium_memzero(cd, sizeof *cd);
    free(cd);
    return ok;
}

/* nats-server's comparePasswords: bcrypt when the stored one is a hash, else constant time. */
static bool compare_passwords(const char *stored, const char *given)
{
    if (stored == NULL)
        stored = "";
    if (given == NULL)
        given = "";
    if (is_bcrypt(stored))
        return bcrypt_matches(stored, given);
    return equal_ct(stored, given);
}

/* Decodes the CONNECT `sig`: raw URL-safe base64 first (what clients send), then standard
 * base64 (nats-server's fallback); padded URL-safe and unpadded standard are accepted too. */
static bool decode_sig(const char *b64, unsigned char sig[AUTH_SIG_LEN])
{
    static const int variants[] = {
        sodium_base64_VARIANT_URLSAFE_NO_PADDING,
        sodium_base64_VARIANT_ORIGINAL,
        sodium_base64_VARIANT_URLSAFE,
        sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
    };
    size_t len = strlen(b64);
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t n = 0;
        const char *end = NULL;
        if (sodium_base642bin(sig, AUTH_SIG_LEN, b64, len, NULL, &n, &end, variants[i]) == 0 &&
            end == b64 + len && n == AUTH_SIG_LEN)
            return true;
    }
    return false;
}

static bool nkey_sig_ok(const char *nkey, const char *sig_b64, const char *nonce)
{
    unsigned char pk[32];
    unsigned char sig[AUTH_SIG_LEN];
    if (!nonempty(sig_b64) || nonce == NULL)
        return false;
    if (!decode_sig(sig_b64, sig))
        return false;
    if (nkey_decode_public(nkey, NKEY_PREFIX_USER, pk) != 0)
        return false;
    auth_sodium_init();
    return crypto_sign_verify_detached(sig, (const unsigned char *)nonce, strlen(nonce), pk) == 0;
}

/* Like nats-server's maps keyed by name, a later entry wins over an earlier duplicate. */
static const weir_user *find_nkey_user(const weir_options *o, const char *nkey)
{
    for (size_t i = o->nusers; i-- > 0;)
        if (nonempty(o->users[i].nkey) && strcmp(o->users[i].nkey, nkey) == 0)
            return &o->users[i];
    return NULL;
}

static const weir_user *find_password_user(const weir_options *o, const char *user)
{
    for (size_t i = o->nusers; i-- > 0;)
        if (!nonempty(o->users[i].nkey) && o->users[i].user != NULL &&
            strcmp(o->users[i].user, user) == 0)
            return &o->users[i];
    return NULL;
}

static bool has_password_users(const weir_options *o)
{
    for (size_t i = 0; i < o->nusers; i++)
        if (!nonempty(o->users[i].nkey) && o->users[i].user != NULL)
            return true;
    return false;
}

static const weir_perms *perms_of(const weir_options *o, const weir_user *u)
{
    return u->perms ? u->perms : o->default_perms;
}

bool auth_check(const weir_options *o, const auth_connect *c, const char *nonce,
                const char **user_out)
{
    return auth_check_perms(o, c, nonce, user_out, NULL);
}

bool auth_check_perms(const weir_options *o, const auth_connect *c, const char *nonce,
                      const char **user_out, const weir_perms **perms_out)
{
    if (user_out)
        *user_out = NULL;
    if (perms_out)
        *perms_out = NULL;
    if (!auth_required(o))
        return true;

    if (auth_needs_nonce(o) && nonempty(c->nkey)) {
        const weir_user *u = find_nkey_user(o, c->nkey);
        if (u == NULL || !nkey_sig_ok(u->nkey, c->sig, nonce))
            return false;
        if (user_out)
            *user_out = u->nkey;
        if (perms_out)
            *perms_out = perms_of(o, u);
        return true;
    }

    if (has_password_users(o) && nonempty(c->user)) {
        const weir_user *u = find_password_user(o, c->user);
        if (u == NULL || !compare_passwords(u->password, c->pass))
            return false;
        if (user_out)
            *user_out = u->user;
        if (perms_out)
            *perms_out = perms_of(o, u);
        return true;
    }

    if (nonempty(o->token))
        return compare_passwords(o->token, c->auth_token);
    if (nonempty(o->user)) {
        if (c->user == NULL || strcmp(o->user, c->user) != 0)
            return false;
        if (!compare_passwords(o->password, c->pass))
            return false;
        if (user_out)
            *user_out = o->user;
        return true;
    }
    return false;
}
