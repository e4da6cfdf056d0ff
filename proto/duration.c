/*
 * duration.c — Go's duration syntax (time.ParseDuration), which nats-server's configuration
 * and JetStream headers such as Nats-TTL use (see duration.h).
 */
#include "duration.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

int duration_parse_go(const char *s, int64_t *ns_out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {
        {"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
        {"s", 1e9}, {"m", 60e9}, {"h", 3600e9},
    };
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (!strcmp(s, "0")) {
        *ns_out = 0;
        return 0;
    }
    if (!*s)
        return -1;
    double total = 0;
    while (*s) {
        const char *start = s;
        double num = 0, scale = 1;
        bool digits = false;
        for (; isdigit((unsigned char)*s); s++, digits = true)
            num = num * 10 + (*s - '0');
        if (*s == '.') {
            for (s++; isdigit((unsigned char)*s); s++, digits = true)
                num += (*s - '0') * (scale /= 10);
        }
        if (!digits || s == start)
            return -1;
        size_t best = 0;
        double mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t n = strlen(units[i].unit);
            if (!strncmp(s, units[i].unit, n) && n > best) {
                best = n;
                mult = units[i].ns;
            }
        }
        if (!best)
            return -1; /* missing or unknown unit */
        s += best;
        total += num * mult;
    }
    if (total > 9.2e18)
        return -1;
    *ns_out = (int64_t)(neg ? -total : total);
    return 0;
}

