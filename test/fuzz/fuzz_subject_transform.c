/*
 * fuzz_subject_transform.c — libFuzzer target for proto/subject_transform.c. The input is split
 * at its first two NUL bytes into a source, a destination and a subject (stream republish takes
 * the first two from a client's stream config, the third from any publish). A transform that is
 * made must apply without reading or writing out of bounds; its output must fit the buffer, be
 * a valid subject when the subject was a valid publish subject, and applying
 * it again must give the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/subject.h"
#include "proto/subject_transform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 3);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = buf[size + 2] = '\0';
    const char *src = buf;
    const char *dest = src + strlen(src) + 1;
    const char *subject = dest + strlen(dest) + 1;
    if (dest > buf + size)
        dest = buf + size + 1;
    if (subject > buf + size + 1)
        subject = buf + size + 2;
    subject_transform *t = subject_transform_new(src, dest);
    if (t) {
        char out[128], again[128];
        long n = subject_transform_apply(t, subject, strlen(subject), out, sizeof out);
        if (n >= 0) {
            if ((size_t)n >= sizeof out || strlen(out) != (size_t)n)
                abort();
            if (subject_valid_literal(subject, strlen(subject)) &&
                !subject_valid_filter(out, (size_t)n))
                abort();
            long m = subject_transform_apply(t, subject, strlen(subject), again, sizeof again);
            if (m != n || memcmp(out, again, (size_t)n) != 0)
                abort();
        }
        subject_transform_free(t);
    }
    free(buf);
    return 0;
}
