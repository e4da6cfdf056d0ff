/*
 * gotime.h — timestamps as Go's time package writes and reads them in JSON (RFC 3339 with
 * nanoseconds, the way nats-server's API and headers show times). Pure functions.
 *
 * Times are nanoseconds since the Unix epoch (UTC), int64.
 */
#ifndef WEIR_GOTIME_H
#define WEIR_GOTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Long enough for any time this module writes, NUL included. */
#define GOTIME_RFC3339_MAX 40

/* Go's time.Time{}.UTC() in RFC 3339: "0001-01-01T00:00:00Z" (what nats-server shows for a
 * time that was never set, e.g. first_ts of an empty stream). */
#define GOTIME_ZERO "0001-01-01T00:00:00Z"

/* Writes unix_ns in UTC as Go's time.RFC3339Nano does: "2024-11-04T23:45:02.0601Z" (the
 * fraction without trailing zeros, omitted when zero). Returns out. */
const char *gotime_format_rfc3339nano(int64_t unix_ns, char out[GOTIME_RFC3339_MAX]);

/* Parses an RFC 3339 time as Go's time.Time.UnmarshalJSON accepts it (the string without its
 * JSON quotes): "2006-01-02T15:04:05Z", with an optional fraction of any length and a zone "Z"
 * or "+hh:mm"/"-hh:mm". Returns 0 with *unix_ns set, or -1 when malformed or out of range. */
int gotime_parse_rfc3339(const char *s, size_t len, int64_t *unix_ns);

#endif
