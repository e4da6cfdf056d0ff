/*
 * record.h — the bytes of one stored message (the RocksDB value under 'M' + sequence):
 *
 *   u8 version (1) | u8 flags | i64 timestamp ns (LE) | i64 ttl ns (LE) | u32 subject length (LE)
 *   | u32 header length (LE) | subject | header block | payload
 *
 * and its key. Pure functions; decoding never reads past the given length.
 */
#ifndef WEIR_RECORD_H
#define WEIR_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define RECORD_VERSION 1
#define RECORD_HEADER_SIZE 26
#define RECORD_KEY_SIZE 9
#define RECORD_KEY_PREFIX 'M'

typedef struct record_view {
    uint8_t flags;
    int64_t ts_ns;
    int64_t ttl_ns; /* per-message TTL (Nats-TTL), 0 = none, -1 = "never" (spared by max_age) */
    const char *subject;
    size_t subject_len;
    const char *hdr;
    size_t hdr_len;
    const char *data;
    size_t data_len;
} record_view;

size_t record_size(size_t subject_len, size_t hdr_len, size_t data_len);

/* Writes the record into out (record_size bytes). */
void record_encode(uint8_t *out, const record_view *r);

/* Parses buf; returns 0, or -1 when the bytes are not a valid record. */
int record_decode(const uint8_t *buf, size_t len, record_view *out);

/* 'M' + big-endian sequence. */
void record_key(uint64_t seq, uint8_t out[RECORD_KEY_SIZE]);
/* The sequence of a record key, or 0 when the key is not one. */
uint64_t record_key_seq(const char *key, size_t len);

#endif
