/*
 * obs_get.c — reading objects as the clients' GetInfo and Get do: the last meta message of a
 * name, links followed to their target (in this bucket or another of the store), then the
 * chunks of the object's nuid one stored message at a time into a writer, with the SHA-256 of
 * what was written checked against the meta's digest at the end.
 */
#include "obs_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LINK_DEPTH 8 /* a link chain written behind our back must not loop forever */

obs_status obs_get_info(obs *b, const char *name, bool show_deleted, obs_info *out, jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    memset(out, 0, sizeof *out);
    if (!b)
        return OBS_ERR_INVALID_ARG;
    if (!name || !*name)
        return OBS_ERR_NAME_REQUIRED;
    stream *s = obs_stream_or_err(b, err);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;
    return obs_read_info(b, s, name, show_deleted, out);
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* The 32 bytes of a "SHA-256=<value>" digest: the value in base64url (nats.go), padded or not,
 * or standard base64, or hex (which nats.js also accepts). */
static obs_status parse_digest(const char *digest, unsigned char sum[crypto_hash_sha256_BYTES])
{
    const char *eq = digest ? strchr(digest, '=') : NULL;
    if (!eq || (size_t)(eq - digest) != strlen(OBS_DIGEST_PREFIX) - 1 ||
        strncasecmp(digest, OBS_DIGEST_PREFIX, (size_t)(eq - digest)) != 0)
        return OBS_ERR_BAD_DIGEST_FORMAT;
    const char *v = eq + 1;
    size_t n = strlen(v);
    if (n == 2 * crypto_hash_sha256_BYTES && is_hex(v, n)) {
        size_t got;
        if (sodium_hex2bin(sum, crypto_hash_sha256_BYTES, v, n, NULL, &got, NULL) == 0 &&
            got == crypto_hash_sha256_BYTES)
            return OBS_OK;
        return OBS_ERR_BAD_DIGEST_FORMAT;
    }
    static const int variants[] = {sodium_base64_VARIANT_URLSAFE,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING,
                                   sodium_base64_VARIANT_ORIGINAL,
                                   sodium_base64_VARIANT_ORIGINAL_NO_PADDING};
    for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++) {
        unsigned char tmp[crypto_hash_sha256_BYTES + 3];
        size_t got;
        if (sodium_base642bin(tmp, sizeof tmp, v, n, NULL, &got, NULL, variants[k]) == 0 &&
            got == crypto_hash_sha256_BYTES) {
            memcpy(sum, tmp, crypto_hash_sha256_BYTES);
            return OBS_OK;
        }
    }
    return OBS_ERR_BAD_DIGEST_FORMAT;
}

/* Writes the chunks of info's nuid (those stored when the read starts) and checks the digest. */
static obs_status read_chunks(obs *b, stream *s, const obs_info *info, obs_write_fn wr,
                              void *arg)
{
    unsigned char want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
    obs_status st = parse_digest(info->digest, want);
    if (st != OBS_OK)
        return st;
    char *subj = obs_chunk_subject(b->bucket, info->nuid);
    if (!subj)
        return OBS_ERR_NO_MEMORY;
    stream_state state;
    stream_get_state(s, &state);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    uint64_t seq = 0;
    for (;;) {
        stream_msg m;
        jserr none;
        if (stream_get_next(s, seq + 1, subj, &m, &none) < 0)
            break;
        if (m.seq > state.last_seq) {
            stream_msg_free(&m);
            break;
        }
        seq = m.seq;
        crypto_hash_sha256_update(&h, (const unsigned char *)m.data, m.data_len);
        int w = m.data_len ? wr(arg, m.data, m.data_len) : 0;
        stream_msg_free(&m);
        if (w != 0) {
            st = OBS_ERR_WRITE;
            break;
        }
    }
    free(subj);
    if (st != OBS_OK)
        return st;
    crypto_hash_sha256_final(&h, got);
    return sodium_memcmp(got, want, sizeof got) == 0 ? OBS_OK : OBS_ERR_DIGEST_MISMATCH;
}

static obs_status get(obs *b, const char *name, obs_write_fn wr, void *arg, obs_info *info,
                      int depth, jserr *err)
{
    stream *s = obs_stream_or_err(b, err);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;
    obs_info i;
    obs_status st = obs_read_info(b, s, name, false, &i);
    if (st != OBS_OK)
        return st;
    if (!i.nuid[0]) {
        st = OBS_ERR_BAD_META;
    } else if (obs_info_is_link(&i)) {
        if (!i.link_name || !*i.link_name) {
            st = OBS_ERR_LINK_IS_BUCKET;
        } else if (depth >= MAX_LINK_DEPTH) {
            st = OBS_ERR_LINK_TO_LINK;
        } else if (strcmp(i.link_bucket, b->bucket) == 0) {
            st = get(b, i.link_name, wr, arg, info, depth + 1, err);
        } else {
            obs *other;
            st = obs_bucket_open(b->st, i.link_bucket, &other, err);
            if (st == OBS_ERR_BAD_BUCKET)
                st = OBS_ERR_BUCKET_NOT_FOUND;
            if (st == OBS_OK) {
                st = get(other, i.link_name, wr, arg, info, depth + 1, err);
                obs_close(other);
            }
        }
        obs_info_free(&i);
        return st;
    } else if (i.size > 0) {
        st = read_chunks(b, s, &i, wr, arg);
    }
    if (info && st != OBS_ERR_BAD_META) {
        *info = i;
        return st;
    }
    obs_info_free(&i);
    return st;
}

obs_status obs_get(obs *b, const char *name, obs_write_fn wr, void *arg, obs_info *info,
                   jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    if (info)
        memset(info, 0, sizeof *info);
    if (!b || !wr)
        return OBS_ERR_INVALID_ARG;
    if (!name || !*name)
        return OBS_ERR_NAME_REQUIRED;
    return get(b, name, wr, arg, info, 0, err);
}
