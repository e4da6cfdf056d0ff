/*
 * loop.h — the event loop: epoll readiness for file descriptors, a min-heap of timers, and a
 * hook that runs once per iteration before the loop sleeps (where the server commits its
 * write batch and flushes output buffers).
 *
 * One thread owns the loop and everything it calls. Handlers and timers are embedded in their
 * owners' structs (no allocation per registration); the owner must stop/remove them before
 * freeing itself.
 */
#ifndef WEIR_LOOP_H
#define WEIR_LOOP_H

#include <stddef.h>
#include <stdint.h>

typedef struct loop loop;

/* The struct that embeds a handler or timer: LOOP_CONTAINER(h, client, io). */
#define LOOP_CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

typedef struct loop_handler loop_handler;
/* Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP) that are ready. */
typedef void (*loop_io_fn)(loop_handler *h, uint32_t events);
struct loop_handler {
    int fd;
    uint32_t events; /* currently registered */
    loop_io_fn fn;
};

typedef struct loop_timer loop_timer;
typedef void (*loop_timer_fn)(loop_timer *t);
struct loop_timer {
    int64_t when_ms;  /* monotonic deadline */
    size_t heap_idx;  /* position in the heap, or SIZE_MAX when not armed */
    loop_timer_fn fn;
};

typedef void (*loop_hook_fn)(void *arg);

loop *loop_new(void);
void loop_free(loop *l);

/* Registers h->fd for `events`. Returns 0 or -1 (errno set). */
int loop_add(loop *l, loop_handler *h, uint32_t events);
/* Changes the registered events. */
int loop_modify(loop *l, loop_handler *h, uint32_t events);
/* Unregisters (safe to call for an fd that is about to be closed). */
void loop_remove(loop *l, loop_handler *h);

/* Prepares a timer (not armed). */
void loop_timer_init(loop_timer *t, loop_timer_fn fn);
/* Arms (or re-arms) t to fire after delay_ms. */
void loop_timer_start(loop *l, loop_timer *t, int64_t delay_ms);
/* Disarms t; harmless if it is not armed. */
void loop_timer_stop(loop *l, loop_timer *t);

/* The hook runs after every batch of events and timers, before the loop waits again. */
void loop_set_before_sleep(loop *l, loop_hook_fn fn, void *arg);

/* Monotonic milliseconds, read once per iteration. */
int64_t loop_now_ms(const loop *l);

/* Runs until loop_stop. Returns 0, or -1 on an epoll failure. */
int loop_run(loop *l);
void loop_stop(loop *l);

#endif
