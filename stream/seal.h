/*
 * seal.h — encryption at rest for stream records (a pure module: no storage, no I/O).
 *
 * Key hierarchy (all keys are 32 bytes):
 *
 *   configured secret (jetstream { key: ... } or $WEIR_JETSTREAM_KEY)
 *     └─ master key  = BLAKE2b-256(message = secret, key = "weir/jetstream/master-key/v1")
 *          ├─ stream key   = BLAKE2b-256(message = "weir-stream:" + stream name, key = master)
 *          └─ check value  = 0x01 || BLAKE2b-256(message = "weir-key-check/v1", key = master)
 *
 * A record is sealed with XChaCha20-Poly1305-IETF under its stream's key:
 *
 *   sealed = nonce (24 random bytes) || ciphertext (len bytes) || tag (16 bytes)
 *   associated data = stream name bytes || sequence as 8 bytes big-endian
 *
 * so a record copied to another sequence or another stream, a flipped bit, or a wrong key all
 * make seal_open_record fail. The derivations are fixed by test_seal.c's known-answer test:
 * changing any of them makes existing stores unreadable.
 *
 * Thread safety: a seal_key is read-only after creation, so any number of threads may seal and
 * open with the same key at once. Creating and freeing keys is also thread-safe.
 */
#ifndef WEIR_SEAL_H
#define WEIR_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Name of the environment variable seal_secret_from_env reads. */
#define SEAL_ENV_VAR "WEIR_JETSTREAM_KEY"

/* Room a caller must provide for seal_key_check_value (the value is currently 33 bytes). */
#define SEAL_CHECK_VALUE_MAX 64

/* Opaque. The 32 key bytes live in sodium_malloc'd memory (guard pages, mlock'd when the
 * RLIMIT_MEMLOCK allows, read-only once derived, zeroed on free). Each key costs a few pages of
 * address space, so keep one per open stream, not one per record. */
typedef struct seal_key seal_key;

/* The configured secret, from the environment variable WEIR_JETSTREAM_KEY, or NULL when it is
 * unset or empty. The pointer belongs to the environment: it stays valid until the variable is
 * changed (setenv/unsetenv/putenv); copy it if it must outlive that. Not thread-safe against a
 * concurrent setenv, like getenv itself. */
const char *seal_secret_from_env(void);

/* Derives the master key from the configured secret (len ≥ 1 bytes; need not be NUL-terminated,
 * may contain any bytes). Returns a new key owned by the caller (free with seal_key_free), or NULL
 * when secret is NULL, len is 0, libsodium cannot be initialised, or memory runs out. The secret
 * is not retained. The same secret always gives the same key. */
seal_key *seal_key_from_secret(const char *secret, size_t len);

/* Derives the key for one stream from the master key and the stream name (NUL-terminated).
 * Returns a new key owned by the caller (free with seal_key_free), or NULL when an argument is
 * NULL or memory runs out. master is only read and may be freed afterwards. */
seal_key *seal_key_for_stream(const seal_key *master, const char *stream_name);

/* Zeroes and frees a key. NULL is allowed. */
void seal_key_free(seal_key *k);

/* Bytes that sealing adds to a record: 24 (nonce) + 16 (tag) = 40. */
size_t seal_overhead(void);

/* Seals len bytes of plain (plain may be NULL when len is 0) for record seq of stream_name
 * (NUL-terminated) into out, which must have room for len + seal_overhead() bytes and must not
 * overlap plain. Returns the number of bytes written (always len + seal_overhead()), or 0 when
 * len is beyond what the cipher allows or memory for a very long stream name runs out. */
size_t seal_record(const seal_key *k, const char *stream_name, uint64_t seq, const uint8_t *plain,
                   size_t len, uint8_t *out);

/* Opens a record sealed by seal_record. out must have room for len - seal_overhead() bytes (it
 * may be NULL when that is 0) and must not overlap sealed. Returns the plaintext length, or -1
 * when the record does not authenticate (wrong key, altered or truncated bytes, another sequence
 * or stream); on -1 out holds no plaintext (libsodium zeroes it), so a caller must not reuse
 * out's earlier contents after a failed open. */
ssize_t seal_open_record(const seal_key *k, const char *stream_name, uint64_t seq,
                         const uint8_t *sealed, size_t len, uint8_t *out);

/* Writes a short, non-secret check value for key k into out (room for SEAL_CHECK_VALUE_MAX bytes)
 * and returns its length. The store keeps it in its metadata when it is created and, at every
 * start, calls seal_key_verify before reading any record, so a wrong key is a clear startup error
 * rather than a failure on the first read. The value is deterministic (a keyed hash), reveals
 * nothing about the key, and is domain-separated from the stream keys. */
size_t seal_key_check_value(const seal_key *k, uint8_t out[SEAL_CHECK_VALUE_MAX]);

/* True when value (len bytes, as written by seal_key_check_value) belongs to key k. Compares in
 * constant time. False for a wrong key, a value of the wrong length, or an unknown format. */
bool seal_key_verify(const seal_key *k, const uint8_t *value, size_t len);

#endif
