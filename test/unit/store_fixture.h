/*
 * store_fixture.h — what the unit tests of modules over a store share: a store opened in a fresh
 * temporary directory (fx_begin / fx_end, fx_reopen or open_at for reopening it), and a synthetic clock that
 * moves 1 µs per reading (fake_now, for kv_set_clock / obs_set_clock). Header-only: each test
 * binary is one file. Define FIXTURE_NAME (used in the directory name) before including.
 */
#ifndef WEIR_TEST_STORE_FIXTURE_H
#define WEIR_TEST_STORE_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stream/stream.h"

#define T0 1700000000000000000LL /* the synthetic clock's start, ns */

static store *ST;
static char DIR_[64];
static int64_t CLOCK_ = T0;
static jserr E;

static inline int64_t fake_now(void *arg)
{
    (void)arg;
    CLOCK_ += 1000;
    return CLOCK_;
}

static inline store *open_at(const char *dir)
{
    char err[256];
    store_options o = {.dir = dir, .sync_interval_ms = 120000};
    store *st = store_open(&o, err, sizeof err);
    if (!st)
        fprintf(stderr, "store_open: %s\n", err);
    return st;
}

static inline void fx_begin(void)
{
    snprintf(DIR_, sizeof DIR_, "/tmp/weir-" FIXTURE_NAME "-XXXXXX");
    if (!mkdtemp(DIR_)) {
        perror("mkdtemp");
        exit(2);
    }
    ST = open_at(DIR_);
    if (!ST)
        exit(2);
    CLOCK_ = T0;
}

/* Closes the store and opens it again from its directory (a restart). */
static inline void fx_reopen(void)
{
    store_close(ST);
    ST = open_at(DIR_);
    if (!ST)
        exit(2);
}

static inline void fx_end(void)
{
    store_close(ST);
    ST = NULL;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", DIR_);
}

/* One case in a fresh store (RUN is test/testlib.h's). */
#define FX_CASE(fn) \
    do {            \
        fx_begin(); \
        RUN(fn);    \
        fx_end();   \
    } while (0)

#endif
