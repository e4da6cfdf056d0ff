/*
 * store.c — the database that holds every stream: the file database under
 * <store_dir>/rocksdb (column families `default`, `meta`, and `stream:<name>` per stream), an
 * in-memory database with the same layout for memory-storage streams, the registry of streams,
 * group commit of the pending WriteBatch, and stream create / update / delete.
 *
 * Stream definitions live in `meta` under "stream:<name>" (the config JSON, sealed when the
 * store is encrypted) for both storage types, with "seqstate:<name>" (first, last sequence,
 * last timestamp) for file streams; a memory stream comes back empty after a restart. An
 * encrypted store also keeps its key's check value there ("keycheck", see stream_crypt.c).
 * A failed write is sticky (store->werr): from then on every commit and append fails, since
 * state and disk may differ.
 */
#include "stream_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "proto/subject.h"

#define CF_STREAM_PREFIX "stream:"

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int mkdir_p(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "store directory path too long");
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0750) < 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

static void db_close(store_db *d)
{
    if (d->batch)
        rocksdb_writebatch_destroy(d->batch);
    if (d->cf_default)
        rocksdb_column_family_handle_destroy(d->cf_default);
    if (d->cf_meta)
        rocksdb_column_family_handle_destroy(d->cf_meta);
    if (d->db)
        rocksdb_close(d->db);
    if (d->opts)
        rocksdb_options_destroy(d->opts);
    if (d->table)
        rocksdb_block_based_options_destroy(d->table);
    if (d->cache)
        rocksdb_cache_destroy(d->cache);
    if (d->env)
        rocksdb_env_destroy(d->env);
    memset(d, 0, sizeof *d);
}

/* Opens a database with every column family it has; *extra receives the stream families'
 * names and handles (the caller owns both arrays). */
static int db_open(store_db *d, const char *path, bool memory, char ***extra_names,
                   rocksdb_column_family_handle_t ***extra_handles, size_t *nextra, char *err,
                   size_t errlen)
{
    d->opts = rocksdb_options_create();
    rocksdb_options_set_create_if_missing(d->opts, 1);
    rocksdb_options_set_create_missing_column_families(d->opts, 1);
    rocksdb_options_increase_parallelism(d->opts, 2);
    rocksdb_options_set_max_background_jobs(d->opts, 2);
    /* Bound memory and restart time across all streams: without these each stream's column
     * family flushes only at its own 64 MB memtable, so RSS and the WAL replayed at open grow
     * with the number of streams (measured in docs/BENCHMARKS.md). */
    rocksdb_options_set_db_write_buffer_size(d->opts, 256u << 20);
    rocksdb_options_set_max_total_wal_size(d->opts, 512u << 20);
    /* A stream's memtable flushes at 16 MB (RocksDB's default is 64 MB, two of them): what a
     * large write or a slow reader of a big stream keeps in memory stays small. */
    rocksdb_options_set_write_buffer_size(d->opts, 16u << 20);
    /* Records are not compressed (nats-server's file store does not compress either): snappy on
     * every flush and compaction cost a few percent of the one loop thread's CPU on 2 cores. */
    rocksdb_options_set_compression(d->opts, rocksdb_no_compression);
    /* A 32 MB block cache (RocksDB's default is 8 MB): random reads of a working set such as a
     * KV bucket's latest values stay in memory; sequential reads pass through it. */
    d->cache = rocksdb_cache_create_lru(32u << 20);
    d->table = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(d->table, d->cache);
    /* Table blocks are checksummed with XXH3 rather than the default CRC32C, which Debian's
     * portable RocksDB build computes in software: verifying the blocks of a large object read
     * back cost a sixth of the server's CPU (docs/BENCHMARKS.md). Each file records its own
     * checksum type, so stores written before this still read. (The WAL's CRC32C is fixed.) */
    rocksdb_block_based_options_set_checksum(d->table, 4 /* rocksdb::kXXH3 */);
    rocksdb_options_set_block_based_table_factory(d->opts, d->table);
    if (memory) {
        d->env = rocksdb_create_mem_env();
        rocksdb_options_set_env(d->opts, d->env);
    }
    size_t nlisted = 0;
    char *rerr = NULL;
    char **listed = memory ? NULL : rocksdb_list_column_families(d->opts, path, &nlisted, &rerr);
    if (rerr) { /* a new database: nothing to list */
        rocksdb_free(rerr);
        rerr = NULL;
        if (listed) /* the C API allocates the (empty) array even on error */
            rocksdb_list_column_families_destroy(listed, 0);
        listed = NULL;
        nlisted = 0;
    }
    size_t total = 2;
    for (size_t i = 0; i < nlisted; i++)
        if (strcmp(listed[i], "default") && strcmp(listed[i], "meta"))
            total++;
    const char **names = calloc(total, sizeof *names);
    const rocksdb_options_t **cfo = calloc(total, sizeof *cfo);
    rocksdb_column_family_handle_t **handles = calloc(total, sizeof *handles);
    names[0] = "default";
    names[1] = "meta";
    size_t k = 2;
    for (size_t i = 0; i < nlisted; i++)
        if (strcmp(listed[i], "default") && strcmp(listed[i], "meta"))
            names[k++] = listed[i];
    for (size_t i = 0; i < total; i++)
        cfo[i] = d->opts;
    d->db = rocksdb_open_column_families(d->opts, path, (int)total, names, cfo, handles, &rerr);
    if (rerr) {
        snprintf(err, errlen, "cannot open store %s: %s", path, rerr);
        rocksdb_free(rerr);
        if (listed)
            rocksdb_list_column_families_destroy(listed, nlisted);
        free(names);
        free(cfo);
        free(handles);
        return -1;
    }
    d->cf_default = handles[0];
    d->cf_meta = handles[1];
    d->batch = rocksdb_writebatch_create();
    *nextra = total - 2;
    *extra_names = calloc(total, sizeof **extra_names);
    *extra_handles = calloc(total, sizeof **extra_handles);
    for (size_t i = 2; i < total; i++) {
        (*extra_names)[i - 2] = strdup(names[i]);
        (*extra_handles)[i - 2] = handles[i];
    }
    if (listed)
        rocksdb_list_column_families_destroy(listed, nlisted);
    free(names);
    free(cfo);
    free(handles);
    return 0;
}

/* Counts a stream's config in (delta 1) or out (-1) of the store's mirror and feed counts. */
static void count_feeds(store *st, const stream_config *c, int delta)
{
    if (c->mirror)
        st->nmirrors += (size_t)delta;
    if (c->mirror || c->sources)
        st->nfed += (size_t)delta;
}

static int registry_insert(store *st, stream *s)
{
    if (st->nstreams == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        stream **n = realloc(st->streams, cap * sizeof *n);
        if (!n)
            return -1;
        st->streams = n;
        st->cap = cap;
    }
    size_t i = st->nstreams;
    while (i > 0 && strcmp(st->streams[i - 1]->cfg.name, s->cfg.name) > 0) {
        st->streams[i] = st->streams[i - 1];
        i--;
    }
    st->streams[i] = s;
    st->nstreams++;
    count_feeds(st, &s->cfg, 1);
    return 0;
}

static void registry_remove(store *st, stream *s)
{
    for (size_t i = 0; i < st->nstreams; i++) {
        if (st->streams[i] == s) {
            memmove(st->streams + i, st->streams + i + 1, (st->nstreams - i - 1) * sizeof *st->streams);
            st->nstreams--;
            count_feeds(st, &s->cfg, -1);
            return;
        }
    }
}

static rocksdb_column_family_handle_t *create_cf(store_db *d, const char *name, char *err, size_t errlen)
{
    char *rerr = NULL;
    rocksdb_column_family_handle_t *h = rocksdb_create_column_family(d->db, d->opts, name, &rerr);
    if (rerr) {
        snprintf(err, errlen, "cannot create column family %s: %s", name, rerr);
        rocksdb_free(rerr);
        return NULL;
    }
    return h;
}

/* Loads the stream definitions from meta and attaches their column families. */
static int load_streams(store *st, char **names, rocksdb_column_family_handle_t **handles,
                        size_t n, char *err, size_t errlen)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator_cf(st->file.db, st->ropts, st->file.cf_meta);
    size_t plen = strlen(META_STREAM_PREFIX);
    int rc = 0;
    int64_t now = now_ns();
    for (rocksdb_iter_seek(it, META_STREAM_PREFIX, plen); rocksdb_iter_valid(it) && rc == 0;
         rocksdb_iter_next(it)) {
        size_t klen, vlen;
        const char *k = rocksdb_iter_key(it, &klen);
        if (klen < plen || memcmp(k, META_STREAM_PREFIX, plen) != 0)
            break;
        const char *v = rocksdb_iter_value(it, &vlen);
        char *name = strndup(k + plen, klen - plen);
        size_t tlen = 0;
        char *text = name ? store_def_open(st, name, v, vlen, &tlen) : NULL;
        json_error_t jerr;
        json_t *j = text ? json_loadb(text, tlen, 0, &jerr) : NULL;
        free(text);
        stream_config cfg;
        jserr e;
        bool ok = j && stream_config_from_json(j, &cfg, &e) == 0;
        if (ok && (!cfg.name || strcmp(cfg.name, name) != 0)) {
            stream_config_free(&cfg);
            ok = false;
        }
        if (!ok) {
            snprintf(err, errlen, "stream definition %.*s is unreadable%s", (int)klen, k,
                     st->master && !j ? " (it does not open with the encryption key)" : "");
            json_decref(j);
            free(name);
            rc = -1;
            break;
        }
        json_decref(j);
        free(name);
        char cfname[300];
        snprintf(cfname, sizeof cfname, CF_STREAM_PREFIX "%s", cfg.name);
        bool memory = cfg.storage == STREAM_STORAGE_MEMORY;
        store_db *d = memory ? &st->mem : &st->file;
        rocksdb_column_family_handle_t *h = NULL;
        if (!memory) {
            for (size_t i = 0; i < n; i++)
                if (names[i] && strcmp(names[i], cfname) == 0) {
                    h = handles[i];
                    handles[i] = NULL;
                    free(names[i]);
                    names[i] = NULL;
                }
        }
        if (!h)
            h = create_cf(d, cfname, err, errlen);
        stream *s = h ? stream_new(st, d, h, cfname, &cfg) : NULL;
        stream_config_free(&cfg);
        if (!s || stream_load(s, now, err, errlen) < 0 || registry_insert(st, s) < 0) {
            if (s)
                stream_free(s);
            else if (h)
                rocksdb_column_family_handle_destroy(h);
            rc = -1;
        }
    }
    rocksdb_iter_destroy(it);
    /* column families with no definition are leftovers of an interrupted delete (after a
     * failure, the rest may belong to definitions not read yet: they are only closed) */
    for (size_t i = 0; i < n; i++) {
        if (handles[i] && rc == 0) {
            char *rerr = NULL;
            rocksdb_drop_column_family(st->file.db, handles[i], &rerr);
            rocksdb_free(rerr);
        }
        if (handles[i])
            rocksdb_column_family_handle_destroy(handles[i]);
        free(names[i]);
    }
    return rc;
}

store *store_open(const store_options *o, char *err, size_t errlen)
{
    if (mkdir_p(o->dir, err, errlen) < 0)
        return NULL;
    store *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->dir = strdup(o->dir);
    st->sync_always = o->sync_always;
    st->sync_interval_ms = o->sync_interval_ms;
    st->wopts = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(st->wopts, o->sync_always);
    st->ropts = rocksdb_readoptions_create();
    char path[4096];
    snprintf(path, sizeof path, "%s/rocksdb", o->dir);
    char **names = NULL, **mnames = NULL;
    rocksdb_column_family_handle_t **handles = NULL, **mhandles = NULL;
    size_t n = 0, mn = 0;
    if (db_open(&st->file, path, false, &names, &handles, &n, err, errlen) < 0 ||
        db_open(&st->mem, "/weir-memory", true, &mnames, &mhandles, &mn, err, errlen) < 0) {
        store_close(st);
        return NULL;
    }
    free(mnames);
    free(mhandles);
    int rc = store_crypt_init(st, o->key, err, errlen);
    if (rc == 0) {
        rc = load_streams(st, names, handles, n, err, errlen);
    } else {
        for (size_t i = 0; i < n; i++) {
            rocksdb_column_family_handle_destroy(handles[i]);
            free(names[i]);
        }
    }
    free(names);
    free(handles);
    if (rc < 0) {
        store_close(st);
        return NULL;
    }
    return st;
}

void store_close(store *st)
{
    if (!st)
        return;
    char err[256];
    if (st->file.db)
        store_commit(st, err, sizeof err);
    for (size_t i = 0; i < st->nstreams; i++)
        stream_free(st->streams[i]);
    free(st->streams);
    store_crypt_free(st);
    db_close(&st->file);
    db_close(&st->mem);
    if (st->wopts)
        rocksdb_writeoptions_destroy(st->wopts);
    if (st->ropts)
        rocksdb_readoptions_destroy(st->ropts);
    free(st->werr);
    free(st->dir);
    free(st);
}

const char *store_dir(const store *st)
{
    return st->dir;
}

int store_set_werr(store *st, const char *why)
{
    if (!st->werr)
        st->werr = strdup(why && *why ? why : "write failed");
    return -1;
}

int store_check_werr(store *st, jserr *err)
{
    if (!st->werr)
        return 0;
    jserr_set(err, JSERR_STREAM_STORE_FAILED, "err", st->werr, NULL);
    return -1;
}

static int db_commit(store *st, store_db *d)
{
    if (!d->pending)
        return 0;
    char *rerr = NULL;
    rocksdb_write(d->db, st->wopts, d->batch, &rerr);
    if (rerr) {
        store_set_werr(st, rerr);
        rocksdb_free(rerr);
        return -1;
    }
    rocksdb_writebatch_clear(d->batch);
    d->pending = false;
    return 0;
}

int store_commit(store *st, char *err, size_t errlen)
{
    for (size_t i = 0; !st->werr && i < st->nstreams; i++)
        if (st->streams[i]->npend_del || st->streams[i]->npending)
            stream_flush_deletes(st->streams[i]);
    if (!st->werr && db_commit(st, &st->mem) == 0 && db_commit(st, &st->file) == 0) {
        for (size_t i = 0; i < st->nstreams; i++)
            stream_clear_pending(st->streams[i]);
        return 0;
    }
    snprintf(err, errlen, "%s", st->werr);
    return -1;
}

int store_make_readable(store *st)
{
    char err[256];
    return store_commit(st, err, sizeof err);
}

bool store_has_pending(const store *st)
{
    return st->file.pending || st->mem.pending;
}

int store_sync(store *st)
{
    char *rerr = NULL;
    rocksdb_flush_wal(st->file.db, 1, &rerr);
    if (rerr) {
        rocksdb_free(rerr);
        return -1;
    }
    return 0;
}

/* ---------------- registry ---------------- */

stream *store_stream_find(store *st, const char *name)
{
    size_t lo = 0, hi = st->nstreams;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(st->streams[mid]->cfg.name, name);
        if (c == 0)
            return st->streams[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

stream *store_stream_for_subject(store *st, const char *subject, size_t len)
{
    for (size_t i = 0; i < st->nstreams; i++) {
        stream *s = st->streams[i];
        for (size_t j = 0; j < s->cfg.nsubjects; j++)
            if (subject_matches(s->cfg.subjects[j], strlen(s->cfg.subjects[j]), subject, len))
                return s;
    }
    return NULL;
}

size_t store_stream_count(const store *st)
{
    return st->nstreams;
}

stream *store_stream_at(store *st, size_t i)
{
    return i < st->nstreams ? st->streams[i] : NULL;
}

static bool overlaps_other(store *st, const stream_config *cfg, const stream *self)
{
    for (size_t i = 0; i < st->nstreams; i++) {
        stream *o = st->streams[i];
        if (o != self && stream_config_subjects_overlap(cfg, &o->cfg))
            return true;
    }
    return false;
}

/* Writes the definition synchronously: a stream exists once its definition is durable. It is
 * sealed with the stream's key k when the store is encrypted (k NULL: plain). */
static int write_definition(store *st, const seal_key *k, const stream_config *cfg, jserr_id id,
                            jserr *err)
{
    json_t *j = stream_config_to_json(cfg);
    char *json = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    size_t tlen = 0;
    char *text = json ? stream_def_seal(k, cfg->name, json, strlen(json), &tlen) : NULL;
    free(json);
    if (!text) {
        jserr_set(err, id, "err", "out of memory", NULL);
        return -1;
    }
    char key[300];
    int n = snprintf(key, sizeof key, META_STREAM_PREFIX "%s", cfg->name);
    rocksdb_writeoptions_t *w = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(w, 1);
    char *rerr = NULL;
    rocksdb_put_cf(st->file.db, w, st->file.cf_meta, key, (size_t)n, text, tlen, &rerr);
    rocksdb_writeoptions_destroy(w);
    free(text);
    if (rerr) {
        jserr_set(err, id, "err", rerr, NULL);
        rocksdb_free(rerr);
        return -1;
    }
    return 0;
}

static const char *mirror_origin_name(const stream_config *cfg)
{
    return json_string_value(json_object_get(cfg->mirror, "name"));
}

/* nats-server's cycle check (checkStreamCfg): following sources and mirrors from cfg, a source
 * leading back to a stream already visited is a cycle when the visiting stream's subjects
 * overlap the source's filter (no filter overlaps all), a mirror leading back always is. */
static bool feeds_form_cycle(store *st, const stream_config *cfg)
{
    size_t cap = st->nstreams + 1, head = 0, tail = 0;
    const stream_config **queue = calloc(cap, sizeof *queue);
    const char **visited = calloc(cap, sizeof *visited);
    size_t nvisited = 0;
    bool cycle = false;
    if (!queue || !visited)
        goto out;
    queue[tail++] = cfg;
    while (head < tail && !cycle) {
        const stream_config *c = queue[head++];
        visited[nvisited++] = c->name;
        size_t n = json_array_size(c->sources) + (c->mirror != NULL);
        for (size_t i = 0; i < n && !cycle; i++) {
            bool is_mirror = i == json_array_size(c->sources);
            const json_t *src = is_mirror ? c->mirror : json_array_get(c->sources, i);
            const char *name = json_string_value(json_object_get(src, "name"));
            const char *filter = json_string_value(json_object_get(src, "filter_subject"));
            bool seen = false;
            for (size_t k = 0; k < nvisited && !seen; k++)
                seen = strcmp(visited[k], name) == 0;
            if (seen) {
                bool overlaps = is_mirror || !filter || !*filter;
                for (size_t k = 0; k < c->nsubjects && !overlaps; k++)
                    overlaps = subject_filters_overlap(c->subjects[k], strlen(c->subjects[k]),
                                                       filter, strlen(filter));
                cycle = overlaps;
                continue;
            }
            stream *next = store_stream_find(st, name);
            if (!next)
                continue;
            bool queued = false;
            for (size_t k = head; k < tail && !queued; k++)
                queued = queue[k] == &next->cfg;
            if (!queued && tail < cap)
                queue[tail++] = &next->cfg;
        }
    }
out:
    free(queue);
    free(visited);
    return cycle;
}

/* An origin (NULL: not there yet) whose messages may exceed cfg's max_msg_size. */
static bool origin_too_big(const stream_config *cfg, const stream *origin)
{
    return origin && cfg->max_msg_size > 0 && origin->cfg.max_msg_size > 0 &&
           cfg->max_msg_size < origin->cfg.max_msg_size;
}

/* The checks of a mirror's or a source's config against the streams there are
 * (checkStreamCfg): an origin's messages must fit this stream's max_msg_size, and following
 * the feeds must not lead back (feeds_form_cycle). *origin_out: the mirror's origin, NULL while
 * it does not exist or without a mirror. */
static int check_feeds(store *st, const stream_config *cfg, stream **origin_out, jserr *err)
{
    *origin_out = NULL;
    if (!cfg->mirror && !cfg->sources)
        return 0;
    stream *origin = cfg->mirror ? store_stream_find(st, mirror_origin_name(cfg)) : NULL;
    *origin_out = origin;
    if (origin_too_big(cfg, origin)) {
        jserr_set(err, JSERR_MIRROR_MAX_MESSAGE_SIZE_TOO_BIG, NULL);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(cfg->sources); i++) {
        stream *o = store_stream_find(
            st, json_string_value(json_object_get(json_array_get(cfg->sources, i), "name")));
        if (origin_too_big(cfg, o)) {
            jserr_set(err, JSERR_SOURCE_MAX_MESSAGE_SIZE_TOO_BIG, NULL);
            return -1;
        }
    }
    if (feeds_form_cycle(st, cfg)) {
        jserr_set(err, JSERR_STREAM_INVALID_CONFIG, "err", "detected cycle", NULL);
        return -1;
    }
    return 0;
}

int store_stream_create(store *st, const stream_config *cfg, stream **out, jserr *err)
{
    *out = NULL;
    if (stream_config_check(cfg, err) < 0)
        return -1;
    stream *existing = store_stream_find(st, cfg->name);
    if (existing) {
        if (stream_config_equal(&existing->cfg, cfg)) {
            *out = existing;
            return 0;
        }
        jserr_set(err, JSERR_STREAM_NAME_EXIST, NULL);
        return -1;
    }
    if (overlaps_other(st, cfg, NULL)) {
        jserr_set(err, JSERR_STREAM_SUBJECT_OVERLAP, NULL);
        return -1;
    }
    stream *origin = NULL;
    if (check_feeds(st, cfg, &origin, err) < 0)
        return -1;
    char cfname[300], why[512];
    snprintf(cfname, sizeof cfname, CF_STREAM_PREFIX "%s", cfg->name);
    store_db *d = cfg->storage == STREAM_STORAGE_MEMORY ? &st->mem : &st->file;
    if (store_commit(st, why, sizeof why) < 0) {
        jserr_set(err, JSERR_STREAM_CREATE, "err", why, NULL);
        return -1;
    }
    rocksdb_column_family_handle_t *h = create_cf(d, cfname, why, sizeof why);
    if (!h) {
        jserr_set(err, JSERR_STREAM_CREATE, "err", why, NULL);
        return -1;
    }
    stream *s = stream_new(st, d, h, cfname, cfg);
    if (!s) {
        char *rerr = NULL;
        rocksdb_drop_column_family(d->db, h, &rerr);
        rocksdb_free(rerr);
        rocksdb_column_family_handle_destroy(h);
        jserr_set(err, JSERR_STREAM_CREATE, "err", "out of memory", NULL);
        return -1;
    }
    jserr_clear(err);
    /* a mirror serves direct gets for its origin when the origin allows them */
    if (origin)
        s->cfg.mirror_direct = origin->cfg.allow_direct;
    if (write_definition(st, s->seal, &s->cfg, JSERR_STREAM_CREATE, err) < 0 ||
        registry_insert(st, s) < 0) {
        char *rerr = NULL;
        rocksdb_drop_column_family(d->db, h, &rerr);
        rocksdb_free(rerr);
        stream_free(s);
        if (!err->code)
            jserr_set(err, JSERR_STREAM_CREATE, "err", "out of memory", NULL);
        return -1;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s->created_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    stream_save_seq_state(s); /* written with the definition by the next commit */
    *out = s;
    return 0;
}

int store_stream_put(store *st, stream_config *sc, bool update, jserr *err)
{
    stream *s = update ? store_stream_find(st, sc->name) : NULL;
    int rc = -1;
    if (!update)
        rc = store_stream_create(st, sc, &s, err);
    else if (!s)
        jserr_set(err, JSERR_STREAM_NOT_FOUND, NULL);
    else
        rc = store_stream_update(st, s, sc, err);
    stream_config_free(sc);
    return rc;
}

int store_stream_update(store *st, stream *s, const stream_config *cfg, jserr *err)
{
    if (stream_config_check_update(&s->cfg, cfg, err) < 0)
        return -1;
    if (overlaps_other(st, cfg, s)) {
        jserr_set(err, JSERR_STREAM_SUBJECT_OVERLAP, NULL);
        return -1;
    }
    stream *origin;
    if (check_feeds(st, cfg, &origin, err) < 0 || store_check_werr(st, err) < 0)
        return -1;
    stream_config next;
    if (stream_config_copy(&next, cfg) < 0) {
        jserr_set(err, JSERR_STREAM_UPDATE, "err", "out of memory", NULL);
        return -1;
    }
    stream_config_seal(&next);
    if (write_definition(st, s->seal, &next, JSERR_STREAM_UPDATE, err) < 0) {
        stream_config_free(&next);
        return -1;
    }
    count_feeds(st, &s->cfg, -1);
    count_feeds(st, &next, 1);
    stream_config_free(&s->cfg);
    s->cfg = next;
    if (stream_apply_config(s) < 0) {
        jserr_set(err, JSERR_STREAM_UPDATE, "err", "cannot change the stream's compression", NULL);
        return -1;
    }
    bool track = next.max_msgs_per_subject > 0 && next.max_msgs_per_subject <= STREAM_TRACK_SEQS_MAX;
    if (track != s->track_seqs) {
        /* the per-subject sequence lists are only exact when built from every record */
        s->track_seqs = track;
        if (stream_rebuild_index(s) < 0) {
            store_check_werr(st, err);
            return -1;
        }
    }
    stream_enforce_limits(s);
    if (s->cfg.max_age_ns > 0)
        stream_expire(s, now_ns());
    return 0;
}

int store_stream_delete(store *st, stream *s, jserr *err)
{
    char why[512];
    if (store_commit(st, why, sizeof why) < 0) {
        jserr_set(err, JSERR_STREAM_DELETE, "err", why, NULL);
        return -1;
    }
    char key[300];
    int n = snprintf(key, sizeof key, META_STREAM_PREFIX "%s", s->cfg.name);
    char *rerr = NULL;
    rocksdb_writebatch_t *b = rocksdb_writebatch_create();
    rocksdb_writebatch_delete_cf(b, st->file.cf_meta, key, (size_t)n);
    n = snprintf(key, sizeof key, META_SEQSTATE_PREFIX "%s", s->cfg.name);
    rocksdb_writebatch_delete_cf(b, st->file.cf_meta, key, (size_t)n);
    rocksdb_writeoptions_t *w = rocksdb_writeoptions_create();
    rocksdb_writeoptions_set_sync(w, 1);
    rocksdb_write(st->file.db, w, b, &rerr);
    rocksdb_writeoptions_destroy(w);
    rocksdb_writebatch_destroy(b);
    if (rerr) {
        jserr_set(err, JSERR_STREAM_DELETE, "err", rerr, NULL);
        rocksdb_free(rerr);
        return -1;
    }
    rocksdb_drop_column_family(s->db->db, s->cf, &rerr);
    rocksdb_free(rerr); /* a leftover family is dropped at the next open */
    registry_remove(st, s);
    stream_free(s);
    return 0;
}
