/*
 * outbuf.h — a connection's outbound bytes: a chain of blocks that protocol writers append to
 * and that is flushed to the socket with writev. Appends copy; flushing frees what was sent.
 * Blocks of the standard size are recycled through a small free list.
 */
#ifndef WEIR_OUTBUF_H
#define WEIR_OUTBUF_H

#include <stddef.h>
#include <sys/types.h>

typedef struct outbuf_block outbuf_block;

typedef struct outbuf {
    outbuf_block *head;
    outbuf_block *tail;
    size_t pending; /* bytes appended and not yet written */
} outbuf;

void outbuf_init(outbuf *ob);
/* Frees every block. */
void outbuf_reset(outbuf *ob);
/* Appends len bytes. Returns 0, or -1 when out of memory. */
int outbuf_append(outbuf *ob, const void *data, size_t len);
/* Reserves room for up to max bytes contiguous at the tail and returns a pointer to it;
 * the caller writes n <= max bytes there and calls outbuf_commit(ob, n). NULL when out of
 * memory. */
char *outbuf_reserve(outbuf *ob, size_t max);
void outbuf_commit(outbuf *ob, size_t n);
/* Writes as much as the socket takes. Returns bytes written (>= 0), or -1 on a socket error
 * other than EAGAIN (errno set). */
ssize_t outbuf_flush(outbuf *ob, int fd);
/* Releases the recycled blocks (at shutdown, so leak checkers see a clean heap). */
void outbuf_release_free_list(void);

#endif
