/*
 * fuzz_consumer_config.c — libFuzzer target for stream/consumer_config.c, the parser of the
 * ConsumerConfig JSON any client can send to $JS.API.CONSUMER.CREATE. Arbitrary bytes that
 * jansson reads as JSON go through parsing with nats-server's defaults and the checks against a
 * stream (limits, interest and workqueue retention); an accepted config must come back from its
 * own JSON, and that copy must be a valid update of it. Sanitizers catch what the asserts do not.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "stream/consumer.h"

static void check_against(const consumer_config *c, const char *stream_json)
{
    json_error_t je;
    json_t *sj = json_loads(stream_json, 0, &je);
    stream_config sc;
    jserr e;
    if (!sj || stream_config_from_json(sj, &sc, &e) != 0)
        abort();
    consumer_config_check_stream(c, &sc, &e);
    stream_config_free(&sc);
    json_decref(sj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!j)
        return 0;
    consumer_config c;
    jserr e;
    if (consumer_config_from_json(j, &c, &e) == 0) {
        check_against(&c, "{\"name\":\"S\",\"subjects\":[\"s.>\"]}");
        check_against(&c, "{\"name\":\"W\",\"subjects\":[\"w.>\"],\"retention\":\"workqueue\"}");
        json_t *back = consumer_config_to_json(&c);
        consumer_config again;
        if (!back || consumer_config_from_json(back, &again, &e) != 0)
            abort();
        if (consumer_config_check_update(&c, &again, &e) != 0)
            abort();
        consumer_config_free(&again);
        json_decref(back);
        consumer_config_free(&c);
    }
    json_decref(j);
    return 0;
}
