/*
 * loop.c — epoll event loop with a binary min-heap of timers (see loop.h).
 *
 * Level-triggered epoll: a handler that leaves bytes unread is called again next iteration,
 * which keeps one busy connection from starving the others.
 */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 256

struct loop {
    int epfd;
    bool stop;
    int64_t now_ms;
    loop_timer **heap;
    size_t heap_len, heap_cap;
    loop_hook_fn before_sleep;
    void *before_sleep_arg;
};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

loop *loop_new(void)
{
    loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return NULL;
    }
    l->now_ms = monotonic_ms();
    return l;
}

void loop_free(loop *l)
{
    if (!l)
        return;
    close(l->epfd);
    free(l->heap);
    free(l);
}

int loop_add(loop *l, loop_handler *h, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = h};
    h->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_ADD, h->fd, &ev);
}

int loop_modify(loop *l, loop_handler *h, uint32_t events)
{
    if (h->events == events)
        return 0;
    struct epoll_event ev = {.events = events, .data.ptr = h};
    h->events = events;
    return epoll_ctl(l->epfd, EPOLL_CTL_MOD, h->fd, &ev);
}

void loop_remove(loop *l, loop_handler *h)
{
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
    h->events = 0;
}

/* ---- timer heap ---- */

static void heap_swap(loop *l, size_t a, size_t b)
{
    loop_timer *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->heap_idx = a;
    l->heap[b]->heap_idx = b;
}

static void heap_up(loop *l, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->when_ms <= l->heap[i]->when_ms)
            break;
        heap_swap(l, p, i);
        i = p;
    }
}

static void heap_down(loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->heap_len && l->heap[c]->when_ms < l->heap[m]->when_ms)
            m = c;
        if (c + 1 < l->heap_len && l->heap[c + 1]->when_ms < l->heap[m]->when_ms)
            m = c + 1;
        if (m == i)
            break;
        heap_swap(l, i, m);
        i = m;
    }
}

void loop_timer_init(loop_timer *t, loop_timer_fn fn)
{
    t->when_ms = 0;
    t->heap_idx = SIZE_MAX;
    t->fn = fn;
}

void loop_timer_stop(loop *l, loop_timer *t)
{
    size_t i = t->heap_idx;
    if (i == SIZE_MAX)
        return;
    size_t last = l->heap_len - 1;
    if (i != last) {
        heap_swap(l, i, last);
        l->heap_len--;
        heap_down(l, i);
        heap_up(l, i);
    } else {
        l->heap_len--;
    }
    t->heap_idx = SIZE_MAX;
}

void loop_timer_start(loop *l, loop_timer *t, int64_t delay_ms)
{
    loop_timer_stop(l, t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        loop_timer **h = realloc(l->heap, cap * sizeof *h);
        if (!h)
            abort(); /* out of memory for a timer: nothing sensible to continue with */
        l->heap = h;
        l->heap_cap = cap;
    }
    t->when_ms = monotonic_ms() + delay_ms;
    t->heap_idx = l->heap_len;
    l->heap[l->heap_len++] = t;
    heap_up(l, t->heap_idx);
}

void loop_set_before_sleep(loop *l, loop_hook_fn fn, void *arg)
{
    l->before_sleep = fn;
    l->before_sleep_arg = arg;
}

int64_t loop_now_ms(const loop *l)
{
    return l->now_ms;
}

void loop_stop(loop *l)
{
    l->stop = true;
}

static void run_due_timers(loop *l)
{
    while (l->heap_len > 0 && l->heap[0]->when_ms <= l->now_ms) {
        loop_timer *t = l->heap[0];
        loop_timer_stop(l, t);
        t->fn(t);
    }
}

int loop_run(loop *l)
{
    struct epoll_event events[LOOP_MAX_EVENTS];
    while (!l->stop) {
        int timeout = -1;
        if (l->heap_len > 0) {
            int64_t d = l->heap[0]->when_ms - monotonic_ms();
            timeout = d < 0 ? 0 : (d > 60000 ? 60000 : (int)d);
        }
        int n = epoll_wait(l->epfd, events, LOOP_MAX_EVENTS, timeout);
        if (n < 0 && errno != EINTR)
            return -1;
        l->now_ms = monotonic_ms();
        for (int i = 0; i < n; i++) {
            loop_handler *h = events[i].data.ptr;
            h->fn(h, events[i].events);
        }
        run_due_timers(l);
        if (l->before_sleep)
            l->before_sleep(l->before_sleep_arg);
    }
    return 0;
}
