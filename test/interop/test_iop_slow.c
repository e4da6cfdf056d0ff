/*
 * test_iop_slow.c — slow consumer handling. A raw-socket subscriber that never reads is cut by
 * the server once more than max_pending bytes wait for it (here 1 MB, from the configuration
 * file), while a libnats subscriber on the same subject keeps up and receives every message in
 * order, and the publisher is not affected.
 *
 * nats-server 2.9 stalls a fast producer while a consumer's pending bytes are above half of
 * max_pending, so in practice the reader that never reads is cut by the write deadline
 * (write_deadline, default 10 s; 2 s here) rather than by max_pending. Either way the
 * connection must be closed; the test does not care which limit fired.
 */
#include "test/interop/harness.h"
#include "test/testlib.h"

#define MSG_SIZE 1024
#define BATCH 256
#define TOTAL_MSGS (64 * BATCH) /* 16 MB of payload: far beyond 1 MB plus socket buffers */

static void slow_consumer_cut(void)
{
    h_server s = {0};
    CHECK(h_server_start(&s, "max_pending: 1048576\nwrite_deadline: \"2s\"\n", NULL) == 0);

    natsConnection *fast = NULL, *pub = NULL;
    natsSubscription *sub = NULL;
    h_raw *slow = calloc(1, sizeof *slow);
    char *payload = malloc(MSG_SIZE);
    char line[4096];
    int setup = 0, slow_ready = 0, order_err = -1, received = 0, published = 0;
    int closed = 0, fast_alive = 0, pub_alive = 0, after_ok = 0;
    size_t drained = 0;
    natsStatus st = NATS_ERR;

    if (!slow || !payload)
        goto done;
    memset(payload, 's', MSG_SIZE);
    if (h_connect(&s, NULL, &fast, NULL, 0) != NATS_OK || h_connect(&s, NULL, &pub, NULL, 0) != NATS_OK)
        goto done;
    if (natsConnection_SubscribeSync(&sub, fast, "iop.slow") != NATS_OK ||
        natsSubscription_SetPendingLimits(sub, -1, -1) != NATS_OK ||
        natsConnection_Flush(fast) != NATS_OK)
        goto done;
    setup = 1;

    /* the slow consumer: a tiny receive window, subscribes, then never reads again */
    if (h_raw_open(slow, s.port, 4096) != 0)
        goto done;
    if (h_raw_readline(slow, line, sizeof line, 3000) < 5 || strncmp(line, "INFO ", 5) != 0)
        goto done;
    h_raw_sends(slow, "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\n"
                      "SUB iop.slow 1\r\nPING\r\n");
    if (h_raw_readline(slow, line, sizeof line, 3000) != 4 || strcmp(line, "PONG") != 0)
        goto done;
    slow_ready = 1;

    /* publish in batches and let the fast subscriber catch up after each, so that it never
     * has more than one batch (256 KB) pending at the server */
    st = NATS_OK;
    while (st == NATS_OK && published < TOTAL_MSGS) {
        for (int i = 0; i < BATCH && st == NATS_OK; i++, published++) {
            int n = snprintf(payload, 16, "%08d", published);
            payload[n] = '.';
            st = natsConnection_Publish(pub, "iop.slow", payload, MSG_SIZE);
        }
        if (st == NATS_OK)
            st = natsConnection_Flush(pub);
        while (st == NATS_OK && received < published) {
            natsMsg *m = NULL;
            st = natsSubscription_NextMsg(&m, sub, 5000);
            if (st != NATS_OK)
                break;
            if ((natsMsg_GetDataLength(m) != MSG_SIZE || atoi(natsMsg_GetData(m)) != received) &&
                order_err < 0)
                order_err = received;
            received++;
            natsMsg_Destroy(m);
        }
    }

    /* now read what the slow consumer was sent: it must end in a close, well before all
     * TOTAL_MSGS messages (~16.4 MB) */
    closed = h_raw_wait_closed(slow, 10000, &drained);
    fast_alive = natsConnection_Status(fast) == NATS_CONN_STATUS_CONNECTED;
    pub_alive = natsConnection_Status(pub) == NATS_CONN_STATUS_CONNECTED;
    after_ok = h_nc_roundtrip(fast, "iop.slow.after") == 0;

done:
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(fast);
    natsConnection_Destroy(pub);
    if (slow)
        h_raw_close(slow);
    free(slow);
    free(payload);
    if (!closed)
        h_server_dump(&s, 10);
    h_server_free(&s);
    CHECK(setup);
    CHECK(slow_ready);
    CHECKF(st == NATS_OK, "fast subscriber after %d of %d: %s", received, published,
           natsStatus_GetText(st));
    CHECKF(received == TOTAL_MSGS, "fast subscriber got %d of %d", received, TOTAL_MSGS);
    CHECKF(order_err < 0, "fast subscriber: message %d out of order or wrong size", order_err);
    CHECKF(closed, "slow consumer was not disconnected (read %zu bytes)", drained);
    CHECKF(drained < (size_t)TOTAL_MSGS * MSG_SIZE,
           "slow consumer got everything (%zu bytes) before being closed", drained);
    CHECK(fast_alive);
    CHECK(pub_alive);
    CHECK(after_ok);
}

int main(void)
{
    h_init();
    RUN(slow_consumer_cut);
    h_done();
    TESTLIB_EXIT();
}
