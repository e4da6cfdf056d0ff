/*
 * obs_names.c — the names of the Object Store: the bucket rule as the clients check it, object
 * names as base64url subject tokens, object ids (nuids), the subjects of chunks and meta, and
 * the texts of statuses.
 */
#include "obs_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool obs_bucket_valid(const char *bucket)
{
    if (!bucket || !*bucket)
        return false;
    for (const char *p = bucket; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

char *obs_name_encode(const char *name)
{
    size_t n = strlen(name);
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE);
    char *out = malloc(cap);
    if (!out)
        return NULL;
    sodium_bin2base64(out, cap, (const unsigned char *)name, n, sodium_base64_VARIANT_URLSAFE);
    return out;
}

void obs_nuid_next(char out[OBS_NUID_LEN + 1])
{
    static const char digits[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < OBS_NUID_LEN; i++)
        out[i] = digits[randombytes_uniform(62)];
    out[OBS_NUID_LEN] = 0;
}

char *obs_cat3(const char *a, const char *b, const char *c)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c);
    char *s = malloc(na + nb + nc + 1);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    memcpy(s + na, b, nb);
    memcpy(s + na + nb, c, nc + 1);
    return s;
}

/* "$O.<bucket>.<kind>.<tail>" */
static char *subject(const char *bucket, const char *kind, const char *tail)
{
    size_t nb = strlen(bucket), nk = strlen(kind), nt = strlen(tail);
    size_t np = strlen(OBS_SUBJECT_PREFIX);
    char *s = malloc(np + nb + 1 + nk + 1 + nt + 1);
    if (!s)
        return NULL;
    char *p = s;
    memcpy(p, OBS_SUBJECT_PREFIX, np);
    p += np;
    memcpy(p, bucket, nb);
    p += nb;
    *p++ = '.';
    memcpy(p, kind, nk);
    p += nk;
    *p++ = '.';
    memcpy(p, tail, nt + 1);
    return s;
}

char *obs_chunk_subject(const char *bucket, const char *nuid)
{
    return subject(bucket, "C", nuid);
}

char *obs_meta_subject(const char *bucket, const char *name)
{
    char *enc = obs_name_encode(name);
    if (!enc)
        return NULL;
    char *s = subject(bucket, "M", enc);
    free(enc);
    return s;
}

char *obs_meta_all_subject(const char *bucket)
{
    return subject(bucket, "M", ">");
}

const char *obs_strerror(obs_status st)
{
    switch (st) {
    case OBS_OK: return "ok";
    case OBS_ERR_NOT_FOUND: return "object not found";
    case OBS_ERR_BAD_BUCKET: return "invalid object-store name";
    case OBS_ERR_BUCKET_NOT_FOUND: return "bucket not found";
    case OBS_ERR_BUCKET_EXISTS: return "bucket name already in use";
    case OBS_ERR_BAD_CONFIG: return "invalid bucket configuration";
    case OBS_ERR_NAME_REQUIRED: return "name is required";
    case OBS_ERR_BAD_META: return "object-store meta information invalid";
    case OBS_ERR_DIGEST_MISMATCH: return "received a corrupt object, digests do not match";
    case OBS_ERR_BAD_DIGEST_FORMAT: return "object digest hash has invalid format";
    case OBS_ERR_NO_OBJECTS: return "no objects found";
    case OBS_ERR_EXISTS: return "an object already exists with that name";
    case OBS_ERR_OBJECT_REQUIRED: return "object required";
    case OBS_ERR_LINK_TO_DELETED: return "not allowed to link to a deleted object";
    case OBS_ERR_LINK_TO_LINK: return "not allowed to link to another link";
    case OBS_ERR_LINK_IS_BUCKET: return "invalid Get, object is a link to a bucket";
    case OBS_ERR_UPDATE_DELETED: return "cannot update meta for a deleted object";
    case OBS_ERR_SEALED: return "invalid operation on sealed stream";
    case OBS_ERR_LIMIT: return "bucket limit exceeded";
    case OBS_ERR_READ: return "error reading the object";
    case OBS_ERR_WRITE: return "error writing the object";
    case OBS_ERR_NO_MEMORY: return "out of memory";
    case OBS_ERR_INVALID_ARG: return "invalid argument";
    case OBS_ERR_STREAM: return "stream error";
    }
    return "unknown error";
}
