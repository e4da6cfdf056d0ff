/*
 * record.c — encoding of stored messages (see record.h).
 */
#include "record.h"

#include <string.h>

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

size_t record_size(size_t subject_len, size_t hdr_len, size_t data_len)
{
    return RECORD_HEADER_SIZE + subject_len + hdr_len + data_len;
}

void record_encode(uint8_t *out, const record_view *r)
{
    out[0] = RECORD_VERSION;
    out[1] = r->flags;
    put_le64(out + 2, (uint64_t)r->ts_ns);
    put_le64(out + 10, (uint64_t)r->ttl_ns);
    put_le32(out + 18, (uint32_t)r->subject_len);
    put_le32(out + 22, (uint32_t)r->hdr_len);
    uint8_t *p = out + RECORD_HEADER_SIZE;
    memcpy(p, r->subject, r->subject_len);
    p += r->subject_len;
    if (r->hdr_len)
        memcpy(p, r->hdr, r->hdr_len);
    p += r->hdr_len;
    if (r->data_len)
        memcpy(p, r->data, r->data_len);
}

int record_decode(const uint8_t *buf, size_t len, record_view *out)
{
    if (len < RECORD_HEADER_SIZE || buf[0] != RECORD_VERSION)
        return -1;
    out->flags = buf[1];
    out->ts_ns = (int64_t)get_le64(buf + 2);
    out->ttl_ns = (int64_t)get_le64(buf + 10);
    size_t slen = get_le32(buf + 18);
    size_t hlen = get_le32(buf + 22);
    size_t rest = len - RECORD_HEADER_SIZE;
    if (slen > rest || hlen > rest - slen)
        return -1;
    const char *p = (const char *)buf + RECORD_HEADER_SIZE;
    out->subject = p;
    out->subject_len = slen;
    out->hdr = hlen ? p + slen : NULL;
    out->hdr_len = hlen;
    out->data = p + slen + hlen;
    out->data_len = rest - slen - hlen;
    return 0;
}

void record_key(uint64_t seq, uint8_t out[RECORD_KEY_SIZE])
{
    out[0] = RECORD_KEY_PREFIX;
    for (int i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

uint64_t record_key_seq(const char *key, size_t len)
{
    if (len != RECORD_KEY_SIZE || key[0] != RECORD_KEY_PREFIX)
        return 0;
    uint64_t v = 0;
    for (int i = 1; i < RECORD_KEY_SIZE; i++)
        v = (v << 8) | (uint8_t)key[i];
    return v;
}
