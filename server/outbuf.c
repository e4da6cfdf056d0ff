/*
 * outbuf.c — chained output buffer flushed with writev (see outbuf.h).
 */
#include "outbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#define OUTBUF_BLOCK_SIZE (32 * 1024)
#define OUTBUF_FREE_MAX 1024
#define OUTBUF_IOV_MAX 64

struct outbuf_block {
    outbuf_block *next;
    size_t start; /* first unsent byte */
    size_t end;   /* one past the last appended byte */
    size_t cap;
    char data[];
};

static outbuf_block *free_list;
static size_t free_count;

static outbuf_block *block_new(size_t min)
{
    outbuf_block *b;
    if (min <= OUTBUF_BLOCK_SIZE && free_list) {
        b = free_list;
        free_list = b->next;
        free_count--;
    } else {
        size_t cap = min > OUTBUF_BLOCK_SIZE ? min : OUTBUF_BLOCK_SIZE;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
    }
    b->next = NULL;
    b->start = b->end = 0;
    return b;
}

static void block_free(outbuf_block *b)
{
    if (b->cap == OUTBUF_BLOCK_SIZE && free_count < OUTBUF_FREE_MAX) {
        b->next = free_list;
        free_list = b;
        free_count++;
    } else {
        free(b);
    }
}

void outbuf_release_free_list(void)
{
    while (free_list) {
        outbuf_block *b = free_list;
        free_list = b->next;
        free(b);
    }
    free_count = 0;
}

void outbuf_init(outbuf *ob)
{
    ob->head = ob->tail = NULL;
    ob->pending = 0;
}

void outbuf_reset(outbuf *ob)
{
    outbuf_block *b = ob->head;
    while (b) {
        outbuf_block *n = b->next;
        block_free(b);
        b = n;
    }
    outbuf_init(ob);
}

static outbuf_block *push_block(outbuf *ob, size_t min)
{
    outbuf_block *b = block_new(min);
    if (!b)
        return NULL;
    if (ob->tail)
        ob->tail->next = b;
    else
        ob->head = b;
    ob->tail = b;
    return b;
}

char *outbuf_reserve(outbuf *ob, size_t max)
{
    outbuf_block *b = ob->tail;
    if (!b || b->cap - b->end < max) {
        b = push_block(ob, max);
        if (!b)
            return NULL;
    }
    return b->data + b->end;
}

void outbuf_commit(outbuf *ob, size_t n)
{
    ob->tail->end += n;
    ob->pending += n;
}

int outbuf_append(outbuf *ob, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        outbuf_block *b = ob->tail;
        if (!b || b->end == b->cap) {
            b = push_block(ob, OUTBUF_BLOCK_SIZE);
            if (!b)
                return -1;
        }
        size_t n = b->cap - b->end;
        if (n > len)
            n = len;
        memcpy(b->data + b->end, p, n);
        b->end += n;
        ob->pending += n;
        p += n;
        len -= n;
    }
    return 0;
}

ssize_t outbuf_flush(outbuf *ob, int fd)
{
    ssize_t total = 0;
    while (ob->pending > 0) {
        struct iovec iov[OUTBUF_IOV_MAX];
        int n = 0;
        for (outbuf_block *b = ob->head; b && n < OUTBUF_IOV_MAX; b = b->next) {
            if (b->end > b->start) {
                iov[n].iov_base = b->data + b->start;
                iov[n].iov_len = b->end - b->start;
                n++;
            }
        }
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return total;
            return -1;
        }
        total += w;
        ob->pending -= (size_t)w;
        size_t left = (size_t)w;
        while (ob->head && left > 0) {
            outbuf_block *b = ob->head;
            size_t avail = b->end - b->start;
            if (left < avail) {
                b->start += left;
                left = 0;
                break;
            }
            left -= avail;
            b->start = b->end;
            if (b == ob->tail) {
                b->start = b->end = 0; /* keep the tail for reuse */
                break;
            }
            ob->head = b->next;
            block_free(b);
        }
        if (w == 0)
            break;
    }
    /* drop fully-sent head blocks so idle connections hold no memory */
    if (ob->pending == 0 && ob->head) {
        outbuf_reset(ob);
    }
    return total;
}
