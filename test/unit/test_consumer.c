/*
 * test_consumer.c — stream/consumer.c without sockets: ConsumerConfig defaults and refusals,
 * deliver policies, filters, the pending set under acks (explicit, all, none), nak with and
 * without delay, term, in-progress, ack_wait redelivery with max_deliver, max_ack_pending, the
 * state's stored form, last_per_subject and by_start_time, backoff, num_pending kept from
 * the stream's events, what an update may change, and what a consumer still wants (retention).
 */
#include "stream/consumer.h"
#include "stream/stream.h"
#include "test/testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

static store *ST;
static stream *S;
static char DIR_[64];

static void fx_begin(void)
{
    snprintf(DIR_, sizeof DIR_, "/tmp/weir-consumer-XXXXXX");
    if (!mkdtemp(DIR_))
        exit(2);
    char err[256];
    store_options o = {.dir = DIR_, .sync_interval_ms = 120000};
    ST = store_open(&o, err, sizeof err);
    if (!ST)
        exit(2);
    json_t *j = json_loads("{\"name\":\"S\",\"subjects\":[\"s.>\"]}", 0, NULL);
    stream_config cfg;
    jserr e;
    if (stream_config_from_json(j, &cfg, &e) < 0 || store_stream_create(ST, &cfg, &S, &e) < 0)
        exit(2);
    stream_config_free(&cfg);
    json_decref(j);
    /* 1 s.a, 2 s.b, 3 s.a, 4 s.b, 5 s.a */
    for (int i = 1; i <= 5; i++) {
        stream_ack ack;
        const char *subj = i % 2 ? "s.a" : "s.b";
        if (stream_append(S, subj, 3, NULL, 0, "x", 1, T0 + i, &ack, &e) < 0)
            exit(2);
    }
}

static void fx_end(void)
{
    store_close(ST);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
}

static int parse(const char *text, consumer_config *cfg, jserr *e)
{
    json_t *j = json_loads(text, 0, NULL);
    int rc = consumer_config_from_json(j, cfg, e);
    json_decref(j);
    return rc;
}

static consumer *mk(const char *text)
{
    consumer_config cfg;
    jserr e;
    if (parse(text, &cfg, &e) < 0) {
        fprintf(stderr, "config: %s\n", e.description);
        return NULL;
    }
    return consumer_new(S, &cfg, T0);
}

/* A consumer rebuilt from what persistence writes: its config as JSON and its state bytes.
 * *same: encoding the rebuilt one gives the same bytes. */
static consumer *round_trip(const consumer *c, bool *same)
{
    size_t n = consumer_state_size(c);
    uint8_t *st = malloc(n);
    consumer_state_encode(c, st);
    json_t *cj = consumer_config_to_json(consumer_get_config(c));
    consumer_config cfg;
    jserr e;
    consumer *r = NULL;
    if (consumer_config_from_json(cj, &cfg, &e) == 0)
        r = consumer_restore(&cfg, st, n);
    json_decref(cj);
    if (same) {
        uint8_t *st2 = r ? malloc(consumer_state_size(r)) : NULL;
        if (st2)
            consumer_state_encode(r, st2);
        *same = st2 && consumer_state_size(r) == n && memcmp(st, st2, n) == 0;
        free(st2);
    }
    free(st);
    return r;
}

/* The next delivery's stream sequence (0: none) and delivery count. */
static uint64_t next(consumer *c, int64_t now, uint64_t *dc)
{
    consumer_delivery d;
    if (consumer_next(c, S, now, &d) != 1)
        return 0;
    if (dc)
        *dc = d.delivery_count;
    stream_msg_free(&d.msg);
    return d.msg.seq;
}

static void test_config_defaults_and_refusals(void)
{
    consumer_config c;
    jserr e;
    CHECK(parse("{\"durable_name\":\"D\",\"ack_policy\":\"explicit\"}", &c, &e) == 0);
    CHECK(!strcmp(c.name, "D") && c.ack_wait_ns == 30 * SEC && c.max_deliver == -1 &&
          c.max_ack_pending == 1000 && c.max_waiting == 512 && c.inactive_threshold_ns == 0 &&
          c.deliver_policy == CONSUMER_DELIVER_ALL);
    json_t *j = consumer_config_to_json(&c);
    CHECK(!strcmp(json_string_value(json_object_get(j, "ack_policy")), "explicit"));
    json_decref(j);
    consumer_config_free(&c);
    CHECK(parse("{\"ack_policy\":\"explicit\"}", &c, &e) == 0);
    CHECK(c.inactive_threshold_ns == 5 * SEC); /* ephemeral */
    consumer_config_free(&c);
    CHECK(parse("{\"durable_name\":\"a.b\"}", &c, &e) < 0 && e.err_code == 10103);
    CHECK(parse("{\"durable_name\":\"a/b\"}", &c, &e) < 0 && e.err_code == 10127);
    CHECK(parse("{\"durable_name\":\"A\",\"name\":\"B\"}", &c, &e) < 0 && e.err_code == 10132);
    CHECK(parse("{\"filter_subject\":\"a\",\"filter_subjects\":[\"b\"]}", &c, &e) < 0 &&
          e.err_code == 10136);
    CHECK(parse("{\"filter_subjects\":[\"a.>\",\"a.b\"]}", &c, &e) < 0 && e.err_code == 10138);
    CHECK(parse("{\"deliver_policy\":\"by_start_sequence\"}", &c, &e) < 0 &&
          e.err_code == 10094);
    CHECK(parse("{\"deliver_subject\":\"x\"}", &c, &e) == 0 && c.max_waiting == 0 &&
          consumer_config_is_push(&c));
    consumer_config_free(&c);
    CHECK(parse("{\"deliver_subject\":\"x.*\"}", &c, &e) < 0 && e.err_code == 10079);
    CHECK(parse("{\"deliver_subject\":\"x\",\"max_waiting\":3}", &c, &e) < 0 &&
          e.err_code == 10080);
    CHECK(parse("{\"deliver_subject\":\"x\",\"idle_heartbeat\":1000}", &c, &e) < 0 &&
          e.err_code == 10083);
    CHECK(parse("{\"deliver_subject\":\"x\",\"flow_control\":true}", &c, &e) < 0 &&
          e.err_code == 10108);
    CHECK(parse("{\"idle_heartbeat\":1000000000}", &c, &e) < 0 && e.err_code == 10088);
    CHECK(parse("{\"flow_control\":true}", &c, &e) < 0 && e.err_code == 10089);
    CHECK(parse("{\"rate_limit_bps\":100}", &c, &e) < 0 && e.err_code == 10086);
    CHECK(parse("{\"deliver_policy\":\"by_start_time\"}", &c, &e) < 0 && e.err_code == 10094 &&
          !strcmp(e.description, "consumer delivery policy is deliver by start time, but "
                                 "optional start time is not set"));
    CHECK(parse("{\"deliver_policy\":\"last_per_subject\"}", &c, &e) < 0 &&
          e.err_code == 10094);
    CHECK(parse("{\"backoff\":[1000,-1]}", &c, &e) < 0 && e.err_code == 10184);
    CHECK(parse("{\"backoff\":[1000,2000,3000],\"max_deliver\":2}", &c, &e) < 0 &&
          e.err_code == 10116);
    CHECK(parse("{\"ack_policy\":\"explicit\",\"backoff\":[1000,2000]}", &c, &e) == 0 &&
          c.ack_wait_ns == 1000 && c.nbackoff == 2);
    consumer_config_free(&c);
    CHECK(parse("{\"replay_policy\":\"later\"}", &c, &e) < 0 && e.err_code == 10182);
    CHECK(parse("{\"ack_policy\":\"sometimes\"}", &c, &e) < 0 && e.err_code == 10181);
    CHECK(parse("{\"ack_wait\":\"1s\"}", &c, &e) < 0 && e.err_code == 10025);
}

static void test_deliver_policies_and_filters(void)
{
    fx_begin();
    consumer *c = mk("{\"durable_name\":\"A\",\"ack_policy\":\"none\"}");
    CHECK(c && next(c, T0, NULL) == 1 && next(c, T0, NULL) == 2);
    consumer_free(c);
    c = mk("{\"durable_name\":\"L\",\"deliver_policy\":\"last\",\"filter_subject\":\"s.b\"}");
    CHECK(c && next(c, T0, NULL) == 4 && next(c, T0, NULL) == 0);
    consumer_free(c);
    c = mk("{\"durable_name\":\"N\",\"deliver_policy\":\"new\"}");
    CHECK(c && next(c, T0, NULL) == 0);
    consumer_free(c);
    c = mk("{\"durable_name\":\"Q\",\"ack_policy\":\"explicit\","
           "\"deliver_policy\":\"by_start_sequence\",\"opt_start_seq\":3,"
           "\"filter_subjects\":[\"s.b\"]}");
    consumer_info_state is;
    consumer_get_state(c, S, &is);
    CHECK(c && is.num_pending == 1 && next(c, T0, NULL) == 4 && next(c, T0, NULL) == 0);
    /* the scan reached the end: delivered and the floor move to the stream's last sequence */
    consumer_get_state(c, S, &is);
    CHECK(is.delivered_stream_seq == 5 && is.num_ack_pending == 1);
    consumer_free(c);
    fx_end();
}

static void test_acks_and_redelivery(void)
{
    fx_begin();
    consumer *c = mk("{\"durable_name\":\"E\",\"ack_policy\":\"explicit\",\"ack_wait\":1000000000,"
                     "\"max_deliver\":3,\"max_ack_pending\":3}");
    CHECK(c);
    uint64_t dc = 0;
    CHECK(next(c, T0, &dc) == 1 && dc == 1 && next(c, T0, NULL) == 2 && next(c, T0, NULL) == 3);
    CHECK(next(c, T0, NULL) == 0); /* max_ack_pending */
    CHECK(consumer_ack(c, CONSUMER_ACK_OK, 2, 0, T0));
    consumer_info_state is;
    consumer_get_state(c, S, &is);
    CHECK(is.num_ack_pending == 2 && is.ack_floor_stream_seq == 0);
    CHECK(consumer_ack(c, CONSUMER_ACK_OK, 1, 0, T0));
    consumer_get_state(c, S, &is);
    CHECK(is.ack_floor_stream_seq == 2 && is.ack_floor_consumer_seq == 2);
    /* nak: at once, delivered twice */
    CHECK(consumer_ack(c, CONSUMER_ACK_NAK, 3, 0, T0));
    CHECK(next(c, T0, &dc) == 3 && dc == 2);
    /* nak with delay: not before the delay */
    CHECK(consumer_ack(c, CONSUMER_ACK_NAK, 3, 2 * SEC, T0));
    CHECK(consumer_check_ack_wait(c, T0 + SEC) == 0);
    CHECK(next(c, T0 + SEC, NULL) == 4);
    CHECK(consumer_check_ack_wait(c, T0 + 2 * SEC) >= 1);
    CHECK(next(c, T0 + 2 * SEC, &dc) == 3 && dc == 3);
    /* in progress resets ack_wait; max_deliver 3 reached: dropped after the next ack_wait */
    CHECK(consumer_ack(c, CONSUMER_ACK_WPI, 4, 0, T0 + 2 * SEC));
    consumer_check_ack_wait(c, T0 + 4 * SEC);
    consumer_get_state(c, S, &is);
    CHECK(is.num_ack_pending == 1); /* 3 dropped (max_deliver), 4 due again */
    CHECK(next(c, T0 + 4 * SEC, &dc) == 4 && dc == 2);
    CHECK(consumer_ack(c, CONSUMER_ACK_TERM, 4, 0, T0 + 4 * SEC));
    CHECK(next(c, T0 + 4 * SEC, NULL) == 5);
    /* the state survives a round trip through its stored form */
    bool same = false;
    consumer *r = round_trip(c, &same);
    /* a truncated or foreign state is refused */
    size_t n = consumer_state_size(c);
    uint8_t *bytes = malloc(n);
    consumer_state_encode(c, bytes);
    consumer_config cfg;
    jserr e;
    json_t *cj = consumer_config_to_json(consumer_get_config(c));
    CHECK(consumer_config_from_json(cj, &cfg, &e) == 0 && !consumer_restore(&cfg, bytes, n - 8));
    CHECK(consumer_config_from_json(cj, &cfg, &e) == 0 && !consumer_restore(&cfg, bytes, 3));
    json_decref(cj);
    free(bytes);
    consumer_info_state a, b;
    consumer_get_state(c, S, &a);
    if (r)
        consumer_get_state(r, S, &b);
    consumer_free(r);
    consumer_free(c);
    fx_end();
    CHECK(same && !memcmp(&a, &b, sizeof a));
}

static void test_ack_all(void)
{
    fx_begin();
    consumer *c = mk("{\"durable_name\":\"ALL\",\"ack_policy\":\"all\"}");
    CHECK(c && next(c, T0, NULL) == 1 && next(c, T0, NULL) == 2 && next(c, T0, NULL) == 3);
    CHECK(consumer_ack(c, CONSUMER_ACK_OK, 2, 0, T0));
    consumer_info_state is;
    consumer_get_state(c, S, &is);
    CHECK(is.num_ack_pending == 1 && is.ack_floor_stream_seq == 2);
    consumer_free(c);
    fx_end();
}

/* The store's listener, as the server wires it: events go to the consumers under test. */
static consumer *LISTENING[4];

static void listener(void *arg, stream *st, stream_event ev, uint64_t seq, const char *subject,
                     size_t len)
{
    (void)arg;
    (void)st;
    for (size_t i = 0; i < 4; i++)
        if (LISTENING[i])
            consumer_on_stream_event(LISTENING[i], ev, seq, subject, len);
}

static uint64_t pending_of(consumer *c)
{
    consumer_info_state is;
    consumer_get_state(c, S, &is);
    return is.num_pending;
}

static int append(const char *subj, int64_t ts)
{
    stream_ack ack;
    jserr e;
    return stream_append(S, subj, strlen(subj), NULL, 0, "y", 1, ts, &ack, &e) < 0 ? -1
                                                                                  : (int)ack.seq;
}

static void test_last_per_subject_and_start_time(void)
{
    fx_begin();
    store_set_listener(ST, listener, NULL);
    /* 1 s.a, 2 s.b, 3 s.a, 4 s.b, 5 s.a: the last of s.a is 5, of s.b 4 */
    consumer *c = mk("{\"durable_name\":\"LPS\",\"deliver_policy\":\"last_per_subject\","
                     "\"filter_subject\":\"s.*\",\"ack_policy\":\"none\"}");
    LISTENING[0] = c;
    CHECK(c && pending_of(c) == 2);
    CHECK(append("s.c", T0 + 6) == 6);
    CHECK(pending_of(c) == 3);
    CHECK(next(c, T0, NULL) == 4 && pending_of(c) == 2);
    CHECK(next(c, T0, NULL) == 5 && next(c, T0, NULL) == 6 && next(c, T0, NULL) == 0);
    CHECK(pending_of(c) == 0);
    /* the state (with what is left of the list) survives a round trip */
    LISTENING[0] = NULL;
    consumer_free(c);
    c = mk("{\"durable_name\":\"LPS2\",\"deliver_policy\":\"last_per_subject\","
           "\"filter_subject\":\"s.*\",\"ack_policy\":\"explicit\"}");
    CHECK(c && next(c, T0, NULL) == 4);
    consumer *r = round_trip(c, NULL);
    CHECK(r && pending_of(r) == 2 && next(r, T0, NULL) == 5 && next(r, T0, NULL) == 6);
    consumer_free(r);
    consumer_free(c);
    /* by_start_time: the first message at or after the time */
    c = mk("{\"durable_name\":\"T\",\"deliver_policy\":\"by_start_time\","
           "\"opt_start_time\":\"2023-11-14T22:13:20.000000003Z\"}");
    CHECK(c && pending_of(c) == 4 && next(c, T0, NULL) == 3);
    json_t *j = consumer_config_to_json(consumer_get_config(c));
    CHECK(!strcmp(json_string_value(json_object_get(j, "opt_start_time")),
                  "2023-11-14T22:13:20.000000003Z"));
    json_decref(j);
    consumer_free(c);
    fx_end();
}

static void test_num_pending_follows_events(void)
{
    fx_begin();
    store_set_listener(ST, listener, NULL);
    consumer *a = mk("{\"durable_name\":\"A\",\"filter_subject\":\"s.a\","
                     "\"ack_policy\":\"explicit\"}");
    consumer *all = mk("{\"durable_name\":\"ALL\",\"ack_policy\":\"explicit\"}");
    LISTENING[0] = a;
    LISTENING[1] = all;
    CHECK(pending_of(a) == 3 && pending_of(all) == 5);
    CHECK(next(a, T0, NULL) == 1 && pending_of(a) == 2);
    CHECK(append("s.a", T0 + 6) == 6 && append("s.b", T0 + 7) == 7);
    CHECK(pending_of(a) == 3 && pending_of(all) == 7);
    jserr e;
    CHECK(stream_delete_msg(S, 3, false, &e) == 0); /* ahead of both */
    CHECK(stream_delete_msg(S, 1, false, &e) == 0); /* behind a, ahead of all */
    CHECK(pending_of(a) == 2 && pending_of(all) == 5);
    /* what a recount finds agrees with what the events kept */
    consumer *r = round_trip(a, NULL);
    CHECK(r && pending_of(r) == 2);
    consumer_free(r);
    /* a purge rebuilds: counts are taken again */
    stream_purge_req req = {0};
    uint64_t purged;
    CHECK(stream_purge(S, &req, &purged, &e) == 0);
    CHECK(pending_of(a) == 0 && pending_of(all) == 0);
    CHECK(append("s.a", T0 + 8) == 8 && pending_of(a) == 1 && pending_of(all) == 1);
    /* what it still wants: messages ahead matching its filter, and those waiting for acks */
    CHECK(consumer_wants(a, 8, "s.a", 3) && !consumer_wants(a, 8, "s.b", 3));
    CHECK(next(a, T0, NULL) == 8 && consumer_wants(a, 8, "s.a", 3));
    CHECK(consumer_ack(a, CONSUMER_ACK_OK, 8, 0, T0) && !consumer_wants(a, 8, "s.a", 3));
    LISTENING[0] = LISTENING[1] = NULL;
    consumer_free(a);
    consumer_free(all);
    fx_end();
}

static void test_backoff_and_pause(void)
{
    fx_begin();
    consumer *c = mk("{\"durable_name\":\"B\",\"ack_policy\":\"explicit\","
                     "\"backoff\":[1000000000,3000000000],\"max_deliver\":4,"
                     "\"filter_subject\":\"s.b\"}");
    uint64_t dc;
    CHECK(c && next(c, T0, &dc) == 2 && dc == 1);
    CHECK(consumer_check_ack_wait(c, T0 + SEC - 1) == 0 && consumer_check_ack_wait(c, T0 + SEC));
    CHECK(next(c, T0 + SEC, &dc) == 2 && dc == 2);
    /* the second wait is backoff[1], and the last value repeats */
    CHECK(consumer_check_ack_wait(c, T0 + 4 * SEC - 1) == 0);
    CHECK(consumer_check_ack_wait(c, T0 + 4 * SEC) == 1 && next(c, T0 + 4 * SEC, &dc) == 2);
    CHECK(dc == 3 && consumer_check_ack_wait(c, T0 + 7 * SEC) == 1);
    CHECK(!consumer_is_paused(c, T0));
    consumer_set_pause(c, T0 + 10 * SEC);
    CHECK(consumer_is_paused(c, T0 + 9 * SEC) && !consumer_is_paused(c, T0 + 10 * SEC));
    json_t *j = consumer_config_to_json(consumer_get_config(c));
    CHECK(json_is_string(json_object_get(j, "pause_until")));
    json_decref(j);
    consumer_free(c);
    fx_end();
}

static void test_update_rules(void)
{
    fx_begin();
    store_set_listener(ST, listener, NULL);
    consumer *c = mk("{\"durable_name\":\"U\",\"ack_policy\":\"explicit\","
                     "\"filter_subject\":\"s.a\"}");
    LISTENING[0] = c;
    consumer_config cfg;
    jserr e;
    CHECK(c && pending_of(c) == 3);
    CHECK(parse("{\"durable_name\":\"U\",\"ack_policy\":\"all\",\"filter_subject\":\"s.a\"}",
                &cfg, &e) == 0);
    CHECK(consumer_update(c, &cfg, &e) < 0 && e.err_code == 10012 &&
          !strcmp(e.description, "ack policy can not be updated"));
    consumer_config_free(&cfg);
    CHECK(parse("{\"durable_name\":\"U\",\"deliver_policy\":\"new\","
                "\"ack_policy\":\"explicit\"}", &cfg, &e) == 0);
    CHECK(consumer_update(c, &cfg, &e) < 0 && !strcmp(e.description,
                                                      "deliver policy can not be updated"));
    consumer_config_free(&cfg);
    CHECK(parse("{\"durable_name\":\"U\",\"ack_policy\":\"explicit\",\"filter_subject\":\"s.b\","
                "\"description\":\"now b\",\"max_ack_pending\":7}", &cfg, &e) == 0);
    CHECK(consumer_update(c, &cfg, &e) == 0 && pending_of(c) == 2);
    CHECK(!strcmp(consumer_get_config(c)->description, "now b") &&
          consumer_get_config(c)->max_ack_pending == 7 && next(c, T0, NULL) == 2);
    LISTENING[0] = NULL;
    consumer_free(c);
    fx_end();
}

int main(void)
{
    RUN(test_config_defaults_and_refusals);
    RUN(test_deliver_policies_and_filters);
    RUN(test_acks_and_redelivery);
    RUN(test_ack_all);
    RUN(test_last_per_subject_and_start_time);
    RUN(test_num_pending_follows_events);
    RUN(test_backoff_and_pause);
    RUN(test_update_rules);
    TESTLIB_EXIT();
}
