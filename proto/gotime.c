/*
 * gotime.c — RFC 3339 with nanoseconds, written and read as Go's time package does (see
 * gotime.h). Calendar arithmetic is done by hand (days from the civil date), so nothing here
 * depends on the process's time zone or on the range of time_t.
 */
#include "gotime.h"

#include <stdio.h>

#define NS_PER_S INT64_C(1000000000)
#define S_PER_DAY INT64_C(86400)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

const char *gotime_format_rfc3339nano(int64_t unix_ns, char out[GOTIME_RFC3339_MAX])
{
    int64_t secs = unix_ns / NS_PER_S, frac = unix_ns % NS_PER_S;
    if (frac < 0) {
        frac += NS_PER_S;
        secs--;
    }
    int64_t days = secs / S_PER_DAY, rem = secs % S_PER_DAY;
    if (rem < 0) {
        rem += S_PER_DAY;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, GOTIME_RFC3339_MAX, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m,
                     d, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    if (frac) {
        char digits[10];
        snprintf(digits, sizeof digits, "%09lld", (long long)frac);
        int len = 9;
        while (digits[len - 1] == '0')
            len--;
        n += snprintf(out + n, (size_t)(GOTIME_RFC3339_MAX - n), ".%.*s", len, digits);
    }
    snprintf(out + n, (size_t)(GOTIME_RFC3339_MAX - n), "Z");
    return out;
}

/* n decimal digits at s into *v; false unless all are digits. */
static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

int gotime_parse_rfc3339(const char *s, size_t len, int64_t *unix_ns)
{
    int year, mon, day, hh, mm, ss;
    if (len < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &mon) ||
        s[7] != '-' || !digits(s + 8, 2, &day) || s[10] != 'T' || !digits(s + 11, 2, &hh) ||
        s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' || !digits(s + 17, 2, &ss))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || (mon == 2 && day == 29 && !leap) ||
        hh > 23 || mm > 59 || ss > 59)
        return -1;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        size_t start = ++i;
        int64_t scale = NS_PER_S;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (s[i] - '0') * scale;
            }
            i++;
        }
        if (i == start)
            return -1;
    }
    int64_t offset = 0;
    if (i + 1 == len && s[i] == 'Z') {
        i++;
    } else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return -1;
    }
    int64_t secs = days_from_civil(year, mon, day) * S_PER_DAY + hh * 3600 + mm * 60 + ss - offset;
    /* int64 nanoseconds cover 1677..2262 */
    if (secs < INT64_MIN / NS_PER_S + 1 || secs > INT64_MAX / NS_PER_S - 1)
        return -1;
    *unix_ns = secs * NS_PER_S + frac;
    return 0;
}
