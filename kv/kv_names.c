/*
 * kv_names.c — the names of Key-Value: bucket, key and key-pattern rules as the clients check
 * them (nats.go's regexps, libnats validKey), the subjects keys live on, and the texts of
 * statuses and operations.
 */
#include "kv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool kv_bucket_valid(const char *bucket)
{
    if (!bucket || !*bucket)
        return false;
    for (const char *p = bucket; *p; p++)
        if (!is_alnum(*p) && *p != '_' && *p != '-')
            return false;
    return true;
}

static bool key_char(char c)
{
    return is_alnum(c) || c == '-' || c == '/' || c == '_' || c == '=' || c == '.';
}

/* Shared by keys and patterns: tokens separated by single dots, none empty. */
static bool key_like(const char *key, bool pattern)
{
    if (!key || !*key)
        return false;
    size_t n = strlen(key);
    if (key[0] == '.' || key[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (c == '.' && key[i - 1] == '.')
            return false;
        if (key_char(c))
            continue;
        if (!pattern || (c != '*' && c != '>'))
            return false;
    }
    if (!pattern)
        return true;
    /* wildcards only as whole tokens, '>' only as the last one */
    for (size_t i = 0; i < n; i++) {
        if (key[i] != '*' && key[i] != '>')
            continue;
        bool starts = i == 0 || key[i - 1] == '.';
        bool ends = i + 1 == n || key[i + 1] == '.';
        if (!starts || !ends || (key[i] == '>' && i + 1 != n))
            return false;
    }
    return true;
}

bool kv_key_valid(const char *key)
{
    return key_like(key, false);
}

bool kv_key_writable(const char *key)
{
    return kv_key_valid(key) && strncmp(key, "_kv", 3) != 0;
}

bool kv_key_pattern_valid(const char *pattern)
{
    return key_like(pattern, true);
}

char *kv_subject(const kv *b, const char *key)
{
    if (!key || !*key)
        key = ">";
    size_t kn = strlen(key);
    char *s = malloc(b->prefix_len + kn + 1);
    if (!s)
        return NULL;
    memcpy(s, b->prefix, b->prefix_len);
    memcpy(s + b->prefix_len, key, kn + 1);
    return s;
}

const char *kv_op_name(kv_op op)
{
    switch (op) {
    case KV_OP_PUT: return "PUT";
    case KV_OP_DEL: return "DEL";
    case KV_OP_PURGE: return "PURGE";
    }
    return "?";
}

const char *kv_strerror(kv_status st)
{
    switch (st) {
    case KV_OK: return "ok";
    case KV_ERR_NOT_FOUND: return "key not found";
    case KV_ERR_DELETED: return "key was deleted";
    case KV_ERR_KEY_EXISTS: return "key exists";
    case KV_ERR_WRONG_LAST_SEQUENCE: return "wrong last sequence";
    case KV_ERR_BAD_BUCKET: return "invalid bucket name";
    case KV_ERR_BAD_KEY: return "invalid key";
    case KV_ERR_BAD_REVISION: return "invalid revision";
    case KV_ERR_HISTORY_TOO_LARGE: return "history limited to a max of 64";
    case KV_ERR_BAD_CONFIG: return "invalid bucket configuration";
    case KV_ERR_BUCKET_NOT_FOUND: return "bucket not found";
    case KV_ERR_NOT_KV_BUCKET: return "bucket not valid key-value store";
    case KV_ERR_BUCKET_EXISTS: return "bucket exists";
    case KV_ERR_VALUE_TOO_LARGE: return "message size exceeds maximum allowed";
    case KV_ERR_LIMIT: return "bucket limit exceeded";
    case KV_ERR_NO_MEMORY: return "out of memory";
    case KV_ERR_INVALID_ARG: return "invalid argument";
    case KV_ERR_STREAM: return "stream error";
    }
    return "unknown error";
}
