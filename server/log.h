/*
 * log.h — the server log: nats-server's line format ("[pid] date time [LVL] message") to stderr
 * or a file, with debug (-D) and trace (-V) levels.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

#include <stdbool.h>

/* Opens the log. path NULL means stderr. Returns 0, or -1 when the file cannot be opened. */
int log_open(const char *path, bool debug, bool trace);
void log_close(void);

bool log_debug_enabled(void);
bool log_trace_enabled(void);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
