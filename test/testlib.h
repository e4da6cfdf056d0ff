/*
 * testlib.h — the tiny test framework shared by unit and interop tests.
 *
 * Each test binary prints one line per test case, "PASS name" or "FAIL name: why", and exits
 * non-zero if any failed. test/run.sh adds the lines up across binaries and ends with
 * "N passed, M failed".
 */
#ifndef WEIR_TESTLIB_H
#define WEIR_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int testlib_failed_cases;
static int testlib_case_failed;
static char testlib_why[512];

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            if (!testlib_case_failed)                                                     \
                snprintf(testlib_why, sizeof testlib_why, "%s:%d: %s", __FILE__, __LINE__, \
                         #cond);                                                          \
            testlib_case_failed = 1;                                                      \
            return;                                                                       \
        }                                                                                 \
    } while (0)

/* Like CHECK but with a printf-style explanation. */
#define CHECKF(cond, ...)                                                                 \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            if (!testlib_case_failed) {                                                   \
                int n_ = snprintf(testlib_why, sizeof testlib_why, "%s:%d: ", __FILE__,   \
                                  __LINE__);                                              \
                snprintf(testlib_why + n_, sizeof testlib_why - (size_t)n_, __VA_ARGS__); \
            }                                                                             \
            testlib_case_failed = 1;                                                      \
            return;                                                                       \
        }                                                                                 \
    } while (0)

#define RUN(fn)                                                     \
    do {                                                            \
        testlib_case_failed = 0;                                    \
        testlib_why[0] = 0;                                         \
        fn();                                                       \
        if (testlib_case_failed) {                                  \
            testlib_failed_cases++;                                 \
            printf("FAIL %s: %s\n", #fn, testlib_why);              \
        } else {                                                    \
            printf("PASS %s\n", #fn);                               \
        }                                                           \
        fflush(stdout);                                             \
    } while (0)

#define TESTLIB_EXIT() return testlib_failed_cases ? 1 : 0

#endif
