/*
 * duration.h — parsing of Go duration strings ("1h30m", "2m", "500ms", "1.5s"), as written in
 * nats-server configuration files and in JetStream headers. Pure function.
 */
#ifndef WEIR_DURATION_H
#define WEIR_DURATION_H

#include <stdint.h>

/* [-+]?([0-9]*(\.[0-9]*)?(ns|us|µs|μs|ms|s|m|h))+ or "0". Returns 0 with nanoseconds in
 * *ns_out, or -1 when s is not a duration or does not fit in int64 nanoseconds. */
int duration_parse_go(const char *s, int64_t *ns_out);

#endif
