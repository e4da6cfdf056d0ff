/*
 * test_iop_limits.c — connection-level limits over raw sockets, as nats-server enforces them:
 * max_connections (the connection over the limit gets INFO, then the -ERR, then close, while the
 * others keep working) and the ping timer (a client that answers no PING is closed with
 * -ERR 'Stale Connection' after ping_max unanswered PINGs; one that answers stays).
 */
#include <stdio.h>
#include <string.h>

#include "test/interop/harness.h"
#include "test/testlib.h"

static void max_connections_refuses_the_one_over(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, "max_connections: 2\n", NULL) == 0);
    h_raw a = {.fd = -1}, b = {.fd = -1}, c = {.fd = -1};
    bool ok_a = h_raw_handshake(&a, s.port, NULL, NULL, 0) == 0;
    bool ok_b = h_raw_handshake(&b, s.port, NULL, NULL, 0) == 0;
    char line[8192] = "", got[512] = "";
    bool closed = false;
    bool opened_c = h_raw_open(&c, s.port, 0) == 0;
    int n = opened_c ? h_raw_readline(&c, line, sizeof line, 3000) : -1;
    if (opened_c) {
        h_raw_sends(&c, "CONNECT {\"verbose\":false}\r\nPING\r\n");
        h_raw_read_until(&c, got, sizeof got, NULL, 3000, &closed);
    }
    /* the two admitted connections still work */
    bool still_a = ok_a && h_raw_ping(&a, 2000) == 0;
    h_raw_close(&a);
    h_raw_close(&b);
    h_raw_close(&c);
    /* a slot freed by a close is available again */
    h_raw d = {.fd = -1};
    h_sleep_ms(200);
    bool ok_d = h_raw_handshake(&d, s.port, NULL, NULL, 0) == 0;
    h_raw_close(&d);
    h_server_free(&s);
    CHECK(ok_a && ok_b);
    CHECKF(n > 5 && strncmp(line, "INFO ", 5) == 0, "the third connection got no INFO: %.300s", line);
    CHECKF(strstr(got, "-ERR 'maximum connections exceeded'\r\n") != NULL,
           "the third connection got: %.300s", got);
    CHECK(closed);
    CHECK(still_a);
    CHECK(ok_d);
}

static void silent_client_is_closed_as_stale(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, "ping_interval: \"1s\"\nping_max: 2\n", NULL) == 0);
    h_raw quiet = {.fd = -1, .keep_pings = true};
    h_raw alive = {.fd = -1};
    bool ok_quiet = h_raw_open(&quiet, s.port, 0) == 0;
    char line[8192];
    if (ok_quiet) {
        quiet.keep_pings = true;
        ok_quiet = h_raw_readline(&quiet, line, sizeof line, 3000) > 5 &&
                   h_raw_sends(&quiet, "CONNECT {\"verbose\":false}\r\n") == 0;
    }
    bool ok_alive = h_raw_handshake(&alive, s.port, NULL, NULL, 0) == 0;
    /* the live client answers every PING the server sends it */
    char got[1024] = "";
    size_t got_len = 0;
    bool closed = false;
    int64_t until = h_now_ms() + 7000;
    while (h_now_ms() < until && !closed) {
        char chunk[256];
        bool c = false;
        size_t n = h_raw_read_until(&quiet, chunk, sizeof chunk, "\r\n", 200, &c);
        if (n > 0 && got_len + n < sizeof got) {
            memcpy(got + got_len, chunk, n);
            got_len += n;
            got[got_len] = 0;
        }
        closed = c;
        alive.keep_pings = true;
        char l[64];
        while (h_raw_readline(&alive, l, sizeof l, 10) > 0)
            if (strcmp(l, "PING") == 0)
                h_raw_sends(&alive, "PONG\r\n");
    }
    alive.keep_pings = false;
    bool alive_ok = h_raw_ping(&alive, 2000) == 0;
    h_raw_close(&quiet);
    h_raw_close(&alive);
    h_server_free(&s);
    CHECK(ok_quiet && ok_alive);
    CHECKF(closed, "the silent client was not closed; it got: %.300s", got);
    CHECKF(strstr(got, "PING\r\nPING\r\n") != NULL, "expected two PINGs first, got: %.300s", got);
    CHECKF(strstr(got, "-ERR 'Stale Connection'\r\n") != NULL, "got: %.300s", got);
    CHECK(alive_ok);
}

int main(void)
{
    h_init();
    RUN(max_connections_refuses_the_one_over);
    RUN(silent_client_is_closed_as_stale);
    h_done();
    TESTLIB_EXIT();
}
