/*
 * strmap.h — a hash map from byte-string keys to pointers (open addressing, xxHash).
 * Keys are copied into the map; values are not owned.
 */
#ifndef WEIR_STRMAP_H
#define WEIR_STRMAP_H

#include <stddef.h>

typedef struct strmap_entry {
    char *key; /* NUL-terminated copy; NULL for an empty slot */
    size_t klen;
    void *value;
    int tomb;  /* a removed slot that probes must pass over */
} strmap_entry;

typedef struct strmap {
    strmap_entry *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count; /* live entries */
    size_t used;  /* live + tombstones */
} strmap;

void strmap_init(strmap *m);
void strmap_free(strmap *m);
void *strmap_get(const strmap *m, const char *key, size_t klen);
/* Inserts or replaces. Returns 0, or -1 when out of memory. */
int strmap_put(strmap *m, const char *key, size_t klen, void *value);
/* The map's own copy of a present key (stable until that key is removed), or NULL. */
const char *strmap_stored_key(const strmap *m, const char *key, size_t klen);
/* Removes and returns the value, or NULL if absent. */
void *strmap_remove(strmap *m, const char *key, size_t klen);

/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].key) ... */

#endif
