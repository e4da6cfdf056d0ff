/*
 * obs_put.c — storing an object as the clients' Put does: the chunks read from a reader one
 * chunk at a time onto a fresh nuid's subject with their SHA-256, the meta message rolled up on
 * the name's subject, then the purge of the replaced object's chunks; a failed put purges its
 * own chunks. The store's pending batch is committed every OBS_COMMIT_BYTES (or
 * OBS_COMMIT_CHUNKS chunks) so that memory stays bounded whatever the object's size.
 */
#include "obs_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* "SHA-256=" + base64url (padded) of the sum, as nats.go's GetObjectDigestValue. */
static char *digest_value(const unsigned char sum[crypto_hash_sha256_BYTES])
{
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_URLSAFE)];
    sodium_bin2base64(b64, sizeof b64, sum, crypto_hash_sha256_BYTES,
                      sodium_base64_VARIANT_URLSAFE);
    return obs_cat3(OBS_DIGEST_PREFIX, b64, "");
}

/* The new object's info before its chunks: name, description, headers, metadata, options,
 * bucket and a fresh nuid. */
static obs_status info_init(obs *b, const obs_meta *meta, uint32_t chunk, obs_info *i)
{
    memset(i, 0, sizeof *i);
    int hr = obs_copy_headers(meta->headers, &i->headers);
    int mr = obs_copy_metadata(meta->metadata, &i->metadata);
    if (hr == -1 || mr == -1) {
        obs_info_free(i);
        return OBS_ERR_INVALID_ARG;
    }
    char nuid[OBS_NUID_LEN + 1];
    obs_nuid_next(nuid);
    i->name = strdup(meta->name);
    if (meta->description && *meta->description)
        i->description = strdup(meta->description);
    i->bucket = strdup(b->bucket);
    i->nuid = strdup(nuid);
    i->chunk_size = chunk;
    if (hr < 0 || mr < 0 || !i->name || !i->bucket || !i->nuid ||
        (meta->description && *meta->description && !i->description)) {
        obs_info_free(i);
        return OBS_ERR_NO_MEMORY;
    }
    return OBS_OK;
}

/* Fills buf with up to cap bytes from the reader: the count in *n, *eof when it ended. */
static obs_status fill(obs_read_fn rd, void *arg, char *buf, size_t cap, size_t *n, bool *eof)
{
    *n = 0;
    *eof = false;
    while (*n < cap) {
        long r = rd(arg, buf + *n, cap - *n);
        if (r < 0 || (size_t)r > cap - *n)
            return OBS_ERR_READ;
        if (r == 0) {
            *eof = true;
            break;
        }
        *n += (size_t)r;
    }
    return OBS_OK;
}

/* Appends the chunks; sets size, chunks and digest. */
static obs_status put_chunks(obs *b, stream *s, const char *subj, obs_read_fn rd, void *arg,
                             obs_info *i, jserr *err)
{
    char *buf = malloc(i->chunk_size);
    if (!buf)
        return OBS_ERR_NO_MEMORY;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    size_t subj_len = strlen(subj), since_commit = 0, chunks_since = 0;
    obs_status st = OBS_OK;
    for (bool eof = false; !eof && st == OBS_OK;) {
        size_t n;
        if ((st = fill(rd, arg, buf, i->chunk_size, &n, &eof)) != OBS_OK || n == 0)
            break;
        if (i->chunks == UINT32_MAX) {
            st = OBS_ERR_INVALID_ARG; /* ObjectInfo counts chunks in a uint32 */
            break;
        }
        stream_ack ack;
        if (stream_append(s, subj, subj_len, NULL, 0, buf, n, obs_now(b), &ack, err) < 0) {
            st = obs_status_of_jserr(err);
            break;
        }
        crypto_hash_sha256_update(&h, (const unsigned char *)buf, n);
        i->chunks++;
        i->size += n;
        since_commit += n;
        if (since_commit >= OBS_COMMIT_BYTES || ++chunks_since >= OBS_COMMIT_CHUNKS) {
            char why[256];
            if (store_commit(b->st, why, sizeof why) < 0) {
                jserr_set(err, JSERR_STREAM_STORE_FAILED, "err", why, NULL);
                st = OBS_ERR_STREAM;
            }
            since_commit = chunks_since = 0;
        }
    }
    free(buf);
    if (st != OBS_OK)
        return st;
    unsigned char sum[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, sum);
    return (i->digest = digest_value(sum)) ? OBS_OK : OBS_ERR_NO_MEMORY;
}

obs_status obs_put(obs *b, const obs_meta *meta, obs_read_fn rd, void *arg, obs_info *out,
                   jserr *err)
{
    jserr ignored;
    if (!err)
        err = &ignored;
    jserr_clear(err);
    if (out)
        memset(out, 0, sizeof *out);
    if (!b || !meta || !rd)
        return OBS_ERR_INVALID_ARG;
    if (!meta->name || !*meta->name)
        return OBS_ERR_NAME_REQUIRED;
    uint32_t chunk = meta->chunk_size ? meta->chunk_size : OBS_DEFAULT_CHUNK_SIZE;
    if (chunk > OBS_MAX_CHUNK_SIZE)
        return OBS_ERR_INVALID_ARG;
    stream *s = obs_stream_or_err(b, err);
    if (!s)
        return OBS_ERR_BUCKET_NOT_FOUND;

    /* the object replaced, if any (deleted ones included: their chunks are already gone) */
    obs_info old;
    obs_status st = obs_read_info(b, s, meta->name, true, &old);
    if (st != OBS_OK && st != OBS_ERR_NOT_FOUND)
        return st;
    bool replaces = st == OBS_OK && !old.deleted && old.nuid[0];

    obs_info info;
    char *subj = NULL;
    if ((st = info_init(b, meta, chunk, &info)) != OBS_OK)
        goto done;
    if (!(subj = obs_chunk_subject(b->bucket, info.nuid))) {
        st = OBS_ERR_NO_MEMORY;
        goto done;
    }
    st = put_chunks(b, s, subj, rd, arg, &info, err);
    if (st == OBS_OK)
        st = obs_publish_meta(b, s, &info, true, err);
    if (st != OBS_OK) {
        jserr keep;
        obs_purge_subject(s, subj, &keep); /* the partial chunks, as the clients do */
        goto done;
    }
    if (replaces) {
        char *osubj = obs_chunk_subject(b->bucket, old.nuid);
        jserr keep;
        /* like nats.go (jetstream): the new object is live, a failed cleanup is not an error */
        if (osubj)
            obs_purge_subject(s, osubj, &keep);
        free(osubj);
    }
    if (out) {
        *out = info;
        memset(&info, 0, sizeof info);
    }
done:
    free(subj);
    obs_info_free(&info);
    obs_info_free(&old);
    return st;
}

typedef struct bytes_reader {
    const char *p;
    size_t left;
} bytes_reader;

static long read_bytes(void *arg, void *buf, size_t cap)
{
    bytes_reader *r = arg;
    size_t n = r->left < cap ? r->left : cap;
    if (n) {
        memcpy(buf, r->p, n);
        r->p += n;
        r->left -= n;
    }
    return (long)n;
}

obs_status obs_put_bytes(obs *b, const char *name, const void *data, size_t len, obs_info *out,
                         jserr *err)
{
    bytes_reader r = {.p = data, .left = data ? len : 0};
    obs_meta meta = {.name = name};
    return obs_put(b, &meta, read_bytes, &r, out, err);
}
