/*
 * log.c — the server log (see log.h). Lines are written whole with one write so that a log
 * shared with another process never interleaves mid-line.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static FILE *log_file;
static bool log_is_debug;
static bool log_is_trace;

int log_open(const char *path, bool debug, bool trace)
{
    log_is_debug = debug;
    log_is_trace = trace;
    if (!path) {
        log_file = stderr;
        return 0;
    }
    log_file = fopen(path, "a");
    if (!log_file) {
        log_file = stderr;
        return -1;
    }
    setvbuf(log_file, NULL, _IOLBF, 0);
    return 0;
}

void log_close(void)
{
    if (log_file && log_file != stderr)
        fclose(log_file);
    log_file = NULL;
}

bool log_debug_enabled(void)
{
    return log_is_debug;
}

bool log_trace_enabled(void)
{
    return log_is_trace;
}

static void log_write(const char *level, const char *fmt, va_list ap)
{
    char line[2048];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "[%d] %04d/%02d/%02d %02d:%02d:%02d.%06ld [%s] ",
                     (int)getpid(), tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (long)tv.tv_usec, level);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t total = (size_t)n + (m < 0 ? 0 : ((size_t)m < sizeof line - (size_t)n - 1 ? (size_t)m : sizeof line - (size_t)n - 2));
    line[total++] = '\n';
    FILE *f = log_file ? log_file : stderr;
    fwrite(line, 1, total, f);
    fflush(f);
}

#define LOG_FN(name, level, cond)              \
    void name(const char *fmt, ...)            \
    {                                          \
        if (!(cond))                           \
            return;                            \
        va_list ap;                            \
        va_start(ap, fmt);                     \
        log_write(level, fmt, ap);             \
        va_end(ap);                            \
    }

LOG_FN(log_info, "INF", 1)
LOG_FN(log_warn, "WRN", 1)
LOG_FN(log_error, "ERR", 1)
LOG_FN(log_fatal, "FTL", 1)
LOG_FN(log_debug, "DBG", log_is_debug)
LOG_FN(log_trace, "TRC", log_is_trace)
