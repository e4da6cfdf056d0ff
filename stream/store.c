/*
 * store.c — opening and closing the RocksDB database (see store.h).
 */
#include "store.h"

#include <errno.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct store {
    char *dir;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_column_family_handle_t *cf_default;
    rocksdb_column_family_handle_t *cf_meta;
};

static int mkdir_p(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "store directory path too long");
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = '/';
        }
    }
    if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
        return -1;
    }
    return 0;
}

store *store_open(const char *dir, char *err, size_t errlen)
{
    if (mkdir_p(dir, err, errlen) < 0)
        return NULL;
    store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->dir = strdup(dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/rocksdb", dir);

    st->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(st->opts, 1);
    rocksdb_options_set_create_missing_column_families(st->opts, 1);
    rocksdb_options_increase_parallelism(st->opts, 2);

    const char *names[2] = {"default", "meta"};
    const rocksdb_options_t *cf_opts[2] = {st->opts, st->opts};
    rocksdb_column_family_handle_t *handles[2] = {0};
    char *rerr = NULL;
    st->db = rocksdb_open_column_families(st->opts, path, 2, names, cf_opts, handles, &rerr);
    if (rerr) {
        snprintf(err, errlen, "cannot open store %s: %s", path, rerr);
        rocksdb_free(rerr);
        rocksdb_options_destroy(st->opts);
        free(st->dir);
        free(st);
        return NULL;
    }
    st->cf_default = handles[0];
    st->cf_meta = handles[1];
    return st;
}

void store_close(store *st)
{
    if (!st)
        return;
    rocksdb_column_family_handle_destroy(st->cf_default);
    rocksdb_column_family_handle_destroy(st->cf_meta);
    rocksdb_close(st->db);
    rocksdb_options_destroy(st->opts);
    free(st->dir);
    free(st);
}

const char *store_dir(const store *st)
{
    return st->dir;
}
