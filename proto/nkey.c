/*
 * nkey.c — NKEY encoding as the nkeys library defines it: base32 (RFC 4648 alphabet, no
 * padding) of [prefix][32-byte Ed25519 key or seed][CRC16-XMODEM, little-endian].
 * Public keys carry one prefix byte (role << 3); seeds carry two bytes that pack the seed
 * prefix (18 << 3, 'S') with the role. Pure functions, no I/O.
 */
#include "proto/nkey.h"

#include <string.h>

#define NKEY_PREFIX_BYTE_SEED (18u << 3)

#define NKEY_PUBLIC_RAW_LEN 35 /* 1 prefix + 32 key + 2 crc */
#define NKEY_PUBLIC_ENC_LEN 56
#define NKEY_SEED_RAW_LEN 36 /* 2 prefix + 32 seed + 2 crc */
#define NKEY_SEED_ENC_LEN 58

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Wipes a buffer in a way the compiler does not optimise away. */
static void nkey_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

uint16_t nkey_crc16(const uint8_t *data, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)(data[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

/* Maps a role character to its prefix byte; -1 for an unknown role. */
static int role_to_byte(char role)
{
    switch (role) {
    case NKEY_PREFIX_USER: return 20 << 3;
    case NKEY_PREFIX_ACCOUNT: return 0;
    case NKEY_PREFIX_SERVER: return 13 << 3;
    case NKEY_PREFIX_OPERATOR: return 14 << 3;
    case NKEY_PREFIX_CLUSTER: return 2 << 3;
    default: return -1;
    }
}

/* Maps a prefix byte back to its role character; 0 when it is not a public role. */
static char byte_to_role(unsigned b)
{
    static const char roles[] = {NKEY_PREFIX_USER, NKEY_PREFIX_ACCOUNT, NKEY_PREFIX_SERVER,
                                 NKEY_PREFIX_OPERATOR, NKEY_PREFIX_CLUSTER};
    for (size_t i = 0; i < sizeof roles; i++)
        if (role_to_byte(roles[i]) == (int)b)
            return roles[i];
    return 0;
}

/* Encodes n bytes as unpadded base32 into out (which must hold ceil(n*8/5) chars + NUL). */
static void b32_encode(const uint8_t *in, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32_alphabet[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
    out[o] = 0;
}

/* Decodes exactly `len` unpadded base32 characters into out (room for len*5/8 bytes).
 * Leftover bits of a final partial quantum are ignored, as Go's decoder does. Returns the
 * number of bytes written, or -1 on a character outside the upper-case alphabet. */
static int b32_decode(const char *in, size_t len, uint8_t *out)
{
    uint32_t acc = 0;
    int bits = 0;
    int o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = in[i];
        unsigned v;
        if (ch >= 'A' && ch <= 'Z')
            v = (unsigned)(ch - 'A');
        else if (ch >= '2' && ch <= '7')
            v = (unsigned)(ch - '2') + 26;
        else
            return -1;
        acc = (acc << 5) | v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

static void put_crc(uint8_t *raw, size_t body_len)
{
    uint16_t crc = nkey_crc16(raw, body_len);
    raw[body_len] = (uint8_t)(crc & 0xff);
    raw[body_len + 1] = (uint8_t)(crc >> 8);
}

static bool crc_ok(const uint8_t *raw, size_t body_len)
{
    uint16_t want = (uint16_t)(raw[body_len] | (raw[body_len + 1] << 8));
    return nkey_crc16(raw, body_len) == want;
}

int nkey_decode_public(const char *encoded, char role, uint8_t out[32])
{
    int pb = role_to_byte(role);
    if (encoded == NULL || pb < 0 || strlen(encoded) != NKEY_PUBLIC_ENC_LEN)
        return -1;
    uint8_t raw[NKEY_PUBLIC_RAW_LEN];
    if (b32_decode(encoded, NKEY_PUBLIC_ENC_LEN, raw) != NKEY_PUBLIC_RAW_LEN)
        return -1;
    if (!crc_ok(raw, NKEY_PUBLIC_RAW_LEN - 2) || raw[0] != (uint8_t)pb)
        return -1;
    memcpy(out, raw + 1, 32);
    return 0;
}

int nkey_encode_public(const uint8_t raw[32], char role, char out[57])
{
    int pb = role_to_byte(role);
    if (pb < 0)
        return -1;
    uint8_t buf[NKEY_PUBLIC_RAW_LEN];
    buf[0] = (uint8_t)pb;
    memcpy(buf + 1, raw, 32);
    put_crc(buf, NKEY_PUBLIC_RAW_LEN - 2);
    b32_encode(buf, sizeof buf, out);
    return 0;
}

int nkey_encode_seed(const uint8_t seed[32], char role, char out[59])
{
    int pb = role_to_byte(role);
    if (pb < 0)
        return -1;
    uint8_t buf[NKEY_SEED_RAW_LEN];
    /* 5 bits of seed prefix, then the 5 significant bits of the role byte, then 6 zero bits */
    buf[0] = (uint8_t)(NKEY_PREFIX_BYTE_SEED | ((unsigned)pb >> 5));
    buf[1] = (uint8_t)(((unsigned)pb & 31) << 3);
    memcpy(buf + 2, seed, 32);
    put_crc(buf, NKEY_SEED_RAW_LEN - 2);
    b32_encode(buf, sizeof buf, out);
    nkey_wipe(buf, sizeof buf);
    return 0;
}

int nkey_decode_seed(const char *encoded, char *role, uint8_t seed[32])
{
    if (encoded == NULL || strlen(encoded) != NKEY_SEED_ENC_LEN)
        return -1;
    uint8_t raw[NKEY_SEED_RAW_LEN];
    int rc = -1;
    if (b32_decode(encoded, NKEY_SEED_ENC_LEN, raw) != NKEY_SEED_RAW_LEN)
        goto out;
    if (!crc_ok(raw, NKEY_SEED_RAW_LEN - 2))
        goto out;
    if ((raw[0] & 0xf8) != NKEY_PREFIX_BYTE_SEED)
        goto out;
    unsigned rb = ((unsigned)(raw[0] & 7) << 5) | ((unsigned)(raw[1] & 0xf8) >> 3);
    char r = byte_to_role(rb);
    if (r == 0)
        goto out;
    if (role)
        *role = r;
    memcpy(seed, raw + 2, 32);
    rc = 0;
out:
    nkey_wipe(raw, sizeof raw);
    return rc;
}
