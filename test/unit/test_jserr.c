/*
 * test_jserr.c — unit tests of stream/jserr.c and the generated table: known ids carry
 * nats-server's code, err_code and description exactly; placeholders are filled (several, in
 * one pass, missing ones left as written); long descriptions are cut on a UTF-8 boundary;
 * unknown ids give 500.
 */
#include "stream/jserr.h"
#include "test/testlib.h"

static void test_known_ids(void)
{
    jserr e;
    jserr_set(&e, JSERR_STREAM_NOT_FOUND, NULL);
    CHECK(e.code == 404 && e.err_code == 10059);
    CHECK(strcmp(e.description, "stream not found") == 0);

    jserr_set(&e, JSERR_CONSUMER_NOT_FOUND, NULL);
    CHECK(e.code == 404 && e.err_code == 10014);
    CHECK(strcmp(e.description, "consumer not found") == 0);

    jserr_set(&e, JSERR_NO_MESSAGE_FOUND, NULL);
    CHECK(e.code == 404 && e.err_code == 10037);
    CHECK(strcmp(e.description, "no message found") == 0);

    jserr_set(&e, JSERR_STREAM_NAME_EXIST, NULL);
    CHECK(e.code == 400 && e.err_code == 10058);
    CHECK(strcmp(e.description, "stream name already in use with a different configuration") == 0);

    jserr_set(&e, JSERR_STREAM_REPLICAS_NOT_SUPPORTED, NULL);
    CHECK(e.code == 500 && e.err_code == 10074);
    CHECK(strcmp(e.description, "replicas > 1 not supported in non-clustered mode") == 0);

    jserr_set(&e, JSERR_BAD_REQUEST, NULL);
    CHECK(e.code == 400 && e.err_code == 10003 && strcmp(e.description, "bad request") == 0);

    CHECK(JSERR_STREAM_INVALID_CONFIG == 10052 && jserr_code(JSERR_STREAM_INVALID_CONFIG) == 500);
    CHECK(strcmp(jserr_template(JSERR_STREAM_INVALID_CONFIG), "{err}") == 0);
    CHECK(JSERR_INVALID_JSON == 10025);
    CHECK(strcmp(jserr_template(JSERR_INVALID_JSON), "invalid JSON: {err}") == 0);
    CHECK(JSERR_STREAM_SUBJECT_OVERLAP == 10065);
    CHECK(JSERR_STREAM_MSG_DELETE_FAILED == 10057);
    CHECK(JSERR_CONSUMER_WQ_REQUIRES_EXPLICIT_ACK == 10098);
    CHECK(JSERR_CONSUMER_WITH_FLOW_CONTROL_NEEDS_HEARTBEATS == 10108);
    CHECK(JSERR_STREAM_GENERAL_ERROR == 10051);
    CHECK(jserr_code(JSERR_CLUSTER_NOT_AVAIL) == 503);
    CHECK(jserr_code(JSERR_STREAM_TOO_MANY_REQUESTS) == 429);
}

static void test_placeholders(void)
{
    jserr e;
    jserr_set(&e, JSERR_STREAM_WRONG_LAST_SEQUENCE, "seq", "42", NULL);
    CHECK(e.code == 400 && e.err_code == 10071);
    CHECK(strcmp(e.description, "wrong last sequence: 42") == 0);

    jserr_set(&e, JSERR_STREAM_INVALID_CONFIG, "err", "duplicate subjects detected", NULL);
    CHECK(e.code == 500 && e.err_code == 10052);
    CHECK(strcmp(e.description, "duplicate subjects detected") == 0);

    /* two placeholders, given in the other order */
    jserr_set(&e, JSERR_STREAM_EXTERNAL_DEL_PREFIX_OVERLAPS, "subject", "orders.>", "prefix",
              "deliver", NULL);
    CHECK(strcmp(e.description,
                 "stream external delivery prefix deliver overlaps with stream subject orders.>") == 0);

    /* a value that looks like a placeholder is not replaced again */
    jserr_set(&e, JSERR_RESTORE_SUBSCRIBE_FAILED, "subject", "{err}", "err", "boom", NULL);
    CHECK(strcmp(e.description, "JetStream unable to subscribe to restore snapshot {err}: boom") == 0);

    /* a missing value leaves the placeholder */
    jserr_set(&e, JSERR_SEQUENCE_NOT_FOUND, NULL);
    CHECK(strcmp(e.description, "sequence {seq} not found") == 0);
    CHECK(e.err_code == 10043);
}

static void test_truncation_keeps_utf8(void)
{
    char big[700];
    /* 'é' is two bytes: 350 of them do not fit in 512 bytes */
    for (int i = 0; i < 349; i++) {
        big[2 * i] = (char)0xC3;
        big[2 * i + 1] = (char)0xA9;
    }
    big[698] = '\0';
    jserr e;
    jserr_set(&e, JSERR_INVALID_JSON, "err", big, NULL);
    size_t n = strlen(e.description);
    CHECKF(n <= 511, "len %zu", n);
    CHECK(strncmp(e.description, "invalid JSON: ", 14) == 0);
    /* "invalid JSON: " is 14 bytes, then whole 2-byte characters only */
    CHECKF((n - 14) % 2 == 0, "cut inside a character: %zu", n);
    CHECK(((unsigned char)e.description[n - 1]) == 0xA9);
}

static void test_unknown_and_clear(void)
{
    jserr e;
    jserr_set(&e, (jserr_id)12345, NULL);
    CHECK(e.code == 500);
    CHECK(strstr(e.description, "12345") != NULL);
    CHECK(jserr_template((jserr_id)12345) == NULL);
    CHECK(jserr_code((jserr_id)12345) == 500);
    jserr_clear(&e);
    CHECK(e.code == 0 && e.err_code == 0 && e.description[0] == '\0');
}

int main(void)
{
    RUN(test_known_ids);
    RUN(test_placeholders);
    RUN(test_truncation_keeps_utf8);
    RUN(test_unknown_and_clear);
    TESTLIB_EXIT();
}
