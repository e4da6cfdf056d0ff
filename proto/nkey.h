/*
 * nkey.h — decoding of NKEY public keys (base32, a one-byte role prefix, CRC16-XMODEM check),
 * as the NATS ecosystem encodes Ed25519 public keys. Pure functions, no I/O.
 */
#ifndef WEIR_NKEY_H
#define WEIR_NKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Role prefixes (the first base32 character of an encoded key). */
#define NKEY_PREFIX_USER 'U'
#define NKEY_PREFIX_ACCOUNT 'A'
#define NKEY_PREFIX_SERVER 'N'
#define NKEY_PREFIX_OPERATOR 'O'
#define NKEY_PREFIX_CLUSTER 'C'

/* Decodes an encoded public key (e.g. "UD...") into its 32 raw Ed25519 bytes. Checks the
 * base32 alphabet, length, the role prefix (must equal `role`, one of NKEY_PREFIX_*), and the
 * CRC16 checksum. Returns 0 on success, -1 otherwise. */
int nkey_decode_public(const char *encoded, char role, uint8_t out[32]);

/* Encodes 32 raw bytes as a public key with the given role (out gets 56 chars + NUL).
 * Used by tests and tools to produce keys. Returns 0, or -1 for an unknown role. */
int nkey_encode_public(const uint8_t raw[32], char role, char out[57]);

/* Encodes a 32-byte Ed25519 seed as an NKEY seed string ("SU..."); out gets 58 chars + NUL. */
int nkey_encode_seed(const uint8_t seed[32], char role, char out[59]);

/* Decodes a seed string ("SU...") into the role and the 32-byte seed. Returns 0 or -1. */
int nkey_decode_seed(const char *encoded, char *role, uint8_t seed[32]);

/* CRC16-XMODEM as used by the NKEY checksum. */
uint16_t nkey_crc16(const uint8_t *data, size_t len);

#endif
