/*
 * fuzz_stream_config.c — libFuzzer target for stream/stream_config.c, the parser of the
 * StreamConfig JSON any client can send to $JS.API.STREAM.CREATE / UPDATE. Arbitrary bytes that
 * jansson reads as JSON go through parsing with nats-server's defaults, the create and update
 * checks (sources, mirror, transforms, republish...), and an accepted config must come back from
 * its own JSON as an equal config, its copy equal too. Sanitizers catch what the asserts do not.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "stream/stream_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (!j)
        return 0;
    stream_config c;
    jserr e;
    if (stream_config_from_json(j, &c, &e) == 0) {
        if (stream_config_check_create(&c, &e) == 0) {
            json_t *back = stream_config_to_json(&c);
            stream_config again, copy;
            if (!back || stream_config_from_json(back, &again, &e) != 0)
                abort();
            if (!stream_config_equal(&c, &again) || stream_config_check_update(&c, &again, &e) != 0)
                abort();
            if (stream_config_copy(&copy, &c) != 0 || !stream_config_equal(&c, &copy))
                abort();
            for (size_t i = 0; i < json_array_size(c.sources); i++)
                free(stream_config_source_tag(json_array_get(c.sources, i)));
            stream_config_free(&copy);
            stream_config_free(&again);
            json_decref(back);
        }
        stream_config_free(&c);
    }
    json_decref(j);
    return 0;
}
