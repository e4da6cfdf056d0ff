/*
 * strmap.c — open-addressing hash map with linear probing and tombstones (see strmap.h).
 */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void strmap_init(strmap *m)
{
    memset(m, 0, sizeof *m);
}

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    strmap_init(m);
}

static size_t find_slot(const strmap *m, const char *key, size_t klen, int *found)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)XXH3_64bits(key, klen) & mask;
    size_t first_tomb = SIZE_MAX;
    for (;;) {
        strmap_entry *e = &m->slots[i];
        if (!e->key) {
            if (!e->tomb) {
                *found = 0;
                return first_tomb != SIZE_MAX ? first_tomb : i;
            }
            if (first_tomb == SIZE_MAX)
                first_tomb = i;
        } else if (e->klen == klen && memcmp(e->key, key, klen) == 0) {
            *found = 1;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static int grow(strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 8;
    if (m->count * 4 < m->cap)
        ncap = m->cap; /* mostly tombstones: rehash at the same size */
    strmap_entry *old = m->slots;
    size_t ocap = m->cap;
    m->slots = calloc(ncap, sizeof *m->slots);
    if (!m->slots) {
        m->slots = old;
        return -1;
    }
    m->cap = ncap;
    m->used = m->count;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i].key) {
            int found;
            size_t j = find_slot(m, old[i].key, old[i].klen, &found);
            m->slots[j] = old[i];
        }
    }
    free(old);
    return 0;
}

void *strmap_get(const strmap *m, const char *key, size_t klen)
{
    if (m->count == 0)
        return NULL;
    int found;
    size_t i = find_slot(m, key, klen, &found);
    return found ? m->slots[i].value : NULL;
}

int strmap_put(strmap *m, const char *key, size_t klen, void *value)
{
    if ((m->used + 1) * 4 > m->cap * 3 && grow(m) < 0)
        return -1;
    int found;
    size_t i = find_slot(m, key, klen, &found);
    strmap_entry *e = &m->slots[i];
    if (found) {
        e->value = value;
        return 0;
    }
    char *k = malloc(klen + 1);
    if (!k)
        return -1;
    memcpy(k, key, klen);
    k[klen] = 0;
    if (!e->tomb)
        m->used++;
    e->key = k;
    e->klen = klen;
    e->value = value;
    e->tomb = 0;
    m->count++;
    return 0;
}

const char *strmap_stored_key(const strmap *m, const char *key, size_t klen)
{
    if (m->count == 0)
        return NULL;
    int found;
    size_t i = find_slot(m, key, klen, &found);
    return found ? m->slots[i].key : NULL;
}

void *strmap_remove(strmap *m, const char *key, size_t klen)
{
    if (m->count == 0)
        return NULL;
    int found;
    size_t i = find_slot(m, key, klen, &found);
    if (!found)
        return NULL;
    strmap_entry *e = &m->slots[i];
    void *v = e->value;
    free(e->key);
    e->key = NULL;
    e->klen = 0;
    e->value = NULL;
    e->tomb = 1;
    m->count--;
    return v;
}
