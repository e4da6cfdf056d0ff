/*
 * seal.c — encryption at rest for stream records: key derivation, sealing and opening of
 * records, and the key check value (see seal.h for the formats).
 *
 * Choices, and why:
 *
 * - Master key: BLAKE2b-256 of the secret, keyed with a fixed context string, not a password hash
 *   (crypto_pwhash). The secret in `jetstream { key: ... }` is meant to be a high-entropy key, not
 *   a password people type, and nats-server treats it the same way: its jsKeyGen derives its key
 *   encryption keys as HMAC-SHA256(secret, context) without any stretching. Stretching would
 *   cost ~0.1-1 s and up to hundreds of MiB at every start for no gain against a random key; a
 *   weak secret is the operator's mistake to avoid (documented with the option).
 * - Per-stream key: libsodium 1.0.18 (Debian 12) has no crypto_kdf_hkdf_* (added in 1.0.19), and
 *   crypto_kdf_derive_from_key takes a 64-bit id, not a name. BLAKE2b keyed with the master key
 *   is a PRF, so BLAKE2b(key = master, "weir-stream:" + name) gives independent keys per name.
 *   The prefix separates it from the check value's input ("weir-key-check/v1"), and since the
 *   prefix is fixed and the name is all the rest, different names never give the same input.
 * - Records: XChaCha20-Poly1305-IETF. Its 192-bit nonce can be random without any bookkeeping
 *   (no counter to persist, no collision worry across restarts or billions of records), it is
 *   fast in software on any CPU (AES-GCM in libsodium needs AES-NI and is refused otherwise), and
 *   it is the AEAD libsodium recommends.
 * - Associated data: stream name || seq (8 bytes, big-endian). The name is a C string without
 *   NULs and the sequence has a fixed width, so the encoding is unambiguous.
 * - Check value: a version byte and a keyed BLAKE2b-256 of a constant rather than a sealed
 *   constant: deterministic, shorter, and no AEAD use of the master key, which is otherwise only
 *   ever a hash key. It is a PRF output on an input no stream key uses, so storing it in the clear
 *   reveals nothing.
 */
#include "seal.h"

#include <assert.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_KEY_BYTES 32
#define SEAL_NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEAL_CHECK_VERSION 0x01
#define SEAL_CHECK_LEN (1 + SEAL_KEY_BYTES)
/* Associated data for stream names up to this long is built on the stack. */
#define SEAL_AD_STACK 512

static const char seal_master_context[] = "weir/jetstream/master-key/v1";
static const char seal_stream_prefix[] = "weir-stream:";
static const char seal_check_input[] = "weir-key-check/v1";

/* The whole struct is sodium_malloc'd; uint8_t only, so sodium_malloc's unaligned result is ok. */
struct seal_key {
    uint8_t bytes[SEAL_KEY_BYTES];
};

_Static_assert(SEAL_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "AEAD key size");
_Static_assert(SEAL_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN, "hash key size");
_Static_assert(sizeof seal_master_context - 1 >= crypto_generichash_KEYBYTES_MIN, "context");
_Static_assert(SEAL_CHECK_LEN <= SEAL_CHECK_VALUE_MAX, "check value size");

const char *seal_secret_from_env(void)
{
    const char *s = getenv(SEAL_ENV_VAR);
    return s && *s ? s : NULL;
}

/* A fresh writable key, or NULL. sodium_init is idempotent and thread-safe (it takes libsodium's
 * own lock); every key goes through here, so nothing uses libsodium before it has run. */
static seal_key *key_alloc(void)
{
    if (sodium_init() < 0)
        return NULL;
    return sodium_malloc(sizeof(seal_key));
}

/* Makes a derived key read-only. Failure of mprotect leaves it writable, which is harmless. */
static seal_key *key_seal_up(seal_key *k)
{
    (void)sodium_mprotect_readonly(k);
    return k;
}

seal_key *seal_key_from_secret(const char *secret, size_t len)
{
    if (!secret || len == 0)
        return NULL;
    seal_key *k = key_alloc();
    if (!k)
        return NULL;
    if (crypto_generichash(k->bytes, sizeof k->bytes, (const unsigned char *)secret, len,
                           (const unsigned char *)seal_master_context,
                           sizeof seal_master_context - 1) != 0) {
        sodium_free(k);
        return NULL;
    }
    return key_seal_up(k);
}

seal_key *seal_key_for_stream(const seal_key *master, const char *stream_name)
{
    if (!master || !stream_name)
        return NULL;
    seal_key *k = key_alloc();
    if (!k)
        return NULL;
    crypto_generichash_state st;
    int rc = crypto_generichash_init(&st, master->bytes, sizeof master->bytes, sizeof k->bytes);
    rc |= crypto_generichash_update(&st, (const unsigned char *)seal_stream_prefix,
                                    sizeof seal_stream_prefix - 1);
    rc |= crypto_generichash_update(&st, (const unsigned char *)stream_name, strlen(stream_name));
    rc |= crypto_generichash_final(&st, k->bytes, sizeof k->bytes);
    sodium_memzero(&st, sizeof st);
    if (rc != 0) {
        sodium_free(k);
        return NULL;
    }
    return key_seal_up(k);
}

void seal_key_free(seal_key *k)
{
    sodium_free(k); /* NULL is a no-op; zeroes the memory (it lifts the read-only protection) */
}

size_t seal_overhead(void)
{
    return SEAL_NONCE_BYTES + SEAL_TAG_BYTES;
}

/* Builds name || be64(seq) in stack (when it fits) or in *heap, which the caller frees.
 * Returns the buffer, or NULL when out of memory; *adlen gets its length. */
static uint8_t *ad_build(const char *name, uint64_t seq, uint8_t *stack, uint8_t **heap,
                         size_t *adlen)
{
    size_t n = strlen(name);
    uint8_t *ad = stack;
    *heap = NULL;
    if (n + 8 > SEAL_AD_STACK) {
        if (!(ad = *heap = malloc(n + 8)))
            return NULL;
    }
    memcpy(ad, name, n);
    for (int i = 0; i < 8; i++)
        ad[n + (size_t)i] = (uint8_t)(seq >> (56 - 8 * i));
    *adlen = n + 8;
    return ad;
}

size_t seal_record(const seal_key *k, const char *stream_name, uint64_t seq, const uint8_t *plain,
                   size_t len, uint8_t *out)
{
    assert(k && stream_name && out && (plain || len == 0));
    if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX || len > SIZE_MAX - 64)
        return 0;
    uint8_t stack[SEAL_AD_STACK], *heap, *ad;
    size_t adlen;
    if (!(ad = ad_build(stream_name, seq, stack, &heap, &adlen)))
        return 0;
    randombytes_buf(out, SEAL_NONCE_BYTES);
    unsigned long long clen = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_encrypt(out + SEAL_NONCE_BYTES, &clen, plain, len,
                                                        ad, adlen, NULL, out, k->bytes);
    free(heap);
    if (rc != 0)
        return 0;
    assert(clen == len + SEAL_TAG_BYTES);
    return SEAL_NONCE_BYTES + (size_t)clen;
}

ssize_t seal_open_record(const seal_key *k, const char *stream_name, uint64_t seq,
                         const uint8_t *sealed, size_t len, uint8_t *out)
{
    assert(k && stream_name && (sealed || len == 0));
    if (!sealed || len < seal_overhead() || len - seal_overhead() > (size_t)SSIZE_MAX)
        return -1;
    uint8_t stack[SEAL_AD_STACK], *heap, *ad;
    size_t adlen;
    if (!(ad = ad_build(stream_name, seq, stack, &heap, &adlen)))
        return -1;
    unsigned long long mlen = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, sealed + SEAL_NONCE_BYTES,
                                                        len - SEAL_NONCE_BYTES, ad, adlen, sealed,
                                                        k->bytes);
    free(heap);
    if (rc != 0)
        return -1;
    return (ssize_t)mlen;
}

/* The 32 MAC bytes of the check value. */
static void check_mac(const seal_key *k, uint8_t mac[SEAL_KEY_BYTES])
{
    crypto_generichash(mac, SEAL_KEY_BYTES, (const unsigned char *)seal_check_input,
                       sizeof seal_check_input - 1, k->bytes, sizeof k->bytes);
}

size_t seal_key_check_value(const seal_key *k, uint8_t out[SEAL_CHECK_VALUE_MAX])
{
    assert(k && out);
    out[0] = SEAL_CHECK_VERSION;
    check_mac(k, out + 1);
    return SEAL_CHECK_LEN;
}

bool seal_key_verify(const seal_key *k, const uint8_t *value, size_t len)
{
    if (!k || !value || len != SEAL_CHECK_LEN || value[0] != SEAL_CHECK_VERSION)
        return false;
    uint8_t mac[SEAL_KEY_BYTES];
    check_mac(k, mac);
    bool ok = sodium_memcmp(mac, value + 1, sizeof mac) == 0;
    sodium_memzero(mac, sizeof mac);
    return ok;
}
