/*
 * auth.h — client authentication as nats-server does it: token, user/password (plain or bcrypt),
 * a users list, and NKEY users who sign the INFO nonce with Ed25519.
 *
 * Pure decisions over the options and what the client sent in CONNECT; no I/O. Which
 * permissions (perms.h) an authenticated user gets is decided here too.
 */
#ifndef WEIR_AUTH_H
#define WEIR_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "options.h"

/* Length of the nonce sent in INFO: base64url without padding of 11 random bytes, as
 * nats-server does (nonceRawLen = 11, nonceLen = 15 in its server/nkey.go). */
#define AUTH_NONCE_LEN 15

/* The credential fields of a CONNECT; any may be NULL when absent. Not owned. */
typedef struct auth_connect {
    const char *user;
    const char *pass;
    const char *auth_token;
    const char *nkey;
    const char *sig; /* base64url (padding optional) Ed25519 signature of the nonce */
} auth_connect;

/* True when the options configure any form of authentication. */
bool auth_required(const weir_options *o);

/* True when the options have NKEY users, so INFO must carry a nonce. */
bool auth_needs_nonce(const weir_options *o);

/* Writes AUTH_NONCE_LEN random base64url characters plus a NUL into out. */
void auth_make_nonce(char out[AUTH_NONCE_LEN + 1]);

/* Decides whether the CONNECT credentials are accepted. nonce is the one sent in this
 * connection's INFO (NULL if none was sent). When the options configure no authentication
 * at all, every CONNECT is accepted (nats-server skips the check then). On success,
 * *user_out (may be NULL) receives the authenticated user name or nkey, pointing into the
 * options (valid while they live); token and no-auth successes leave it NULL. */
bool auth_check(const weir_options *o, const auth_connect *c, const char *nonce,
                const char **user_out);

/* auth_check that also tells which permissions apply to the authenticated client: those of
 * its users entry, else `default_permissions` (as nats-server's applyDefaultPermissions);
 * NULL when none (single user, token, no auth: everything is allowed). *perms_out points into
 * the options. */
bool auth_check_perms(const weir_options *o, const auth_connect *c, const char *nonce,
                      const char **user_out, const weir_perms **perms_out);

#endif
