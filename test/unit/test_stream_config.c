/*
 * test_stream_config.c — unit tests of stream/stream_config.c against nats-server's rules:
 * defaults (limits, duplicate window, replicas, subjects, delete-marker TTL, pedantic), the JSON
 * errors Go's decoder gives for wrong types, refused features, every validation error with its
 * exact text, the JSON nats-server emits and its round trip, update rules, copy / equal / free.
 */
#include "stream/stream_config.h"
#include "test/testlib.h"

#define S_NS INT64_C(1000000000)

/* Parses a JSON text into *c (0), or fills *e (-1). */
static int parse(const char *text, stream_config *c, jserr *e)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j) {
        fprintf(stderr, "bad test JSON: %s: %s\n", text, je.text);
        abort();
    }
    jserr_clear(e);
    int rc = stream_config_from_json(j, c, e);
    json_decref(j);
    return rc;
}

/* Parses and checks as a create; returns 0 or -1 with *e set. */
static int create_check(const char *text, jserr *e)
{
    stream_config c;
    if (parse(text, &c, e) != 0)
        return -1;
    int rc = stream_config_check_create(&c, e);
    stream_config_free(&c);
    return rc;
}

static char *dump(const stream_config *c)
{
    json_t *j = stream_config_to_json(c);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* Expects a create of `text` to fail with err_code and description. */
#define EXPECT_ERR(text, ecode, desc)                                                         \
    do {                                                                                      \
        jserr e_;                                                                             \
        CHECKF(create_check(text, &e_) != 0, "accepted: %s", text);                           \
        CHECKF(e_.err_code == (ecode) && strcmp(e_.description, desc) == 0,                   \
               "%.120s: got %d '%.150s', want %d '%.150s'", text, e_.err_code, e_.description, (int)(ecode), \
               desc);                                                                         \
    } while (0)

#define EXPECT_OK(text)                                                                     \
    do {                                                                                    \
        jserr e_;                                                                           \
        CHECKF(create_check(text, &e_) == 0, "%.150s refused: %.200s", text, e_.description);       \
    } while (0)

#define INVALID JSERR_STREAM_INVALID_CONFIG

static void test_defaults(void)
{
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"ORDERS\"}", &c, &e) == 0);
    CHECK(c.nsubjects == 1 && strcmp(c.subjects[0], "ORDERS") == 0);
    CHECK(c.retention == STREAM_RETENTION_LIMITS && c.discard == STREAM_DISCARD_OLD);
    CHECK(c.storage == STREAM_STORAGE_FILE && c.num_replicas == 1);
    CHECK(c.max_msgs == -1 && c.max_bytes == -1 && c.max_consumers == -1);
    CHECK(c.max_msgs_per_subject == -1 && c.max_msg_size == -1 && c.max_age_ns == 0);
    CHECK(c.duplicate_window_ns == 120 * S_NS);
    CHECK(stream_config_check_create(&c, &e) == 0);
    char *s = dump(&c);
    const char *want =
        "{\"name\":\"ORDERS\",\"subjects\":[\"ORDERS\"],\"retention\":\"limits\","
        "\"max_consumers\":-1,\"max_msgs\":-1,\"max_bytes\":-1,\"max_age\":0,"
        "\"max_msgs_per_subject\":-1,\"max_msg_size\":-1,\"discard\":\"old\",\"storage\":\"file\","
        "\"num_replicas\":1,\"duplicate_window\":120000000000,\"compression\":\"none\","
        "\"allow_direct\":false,\"mirror_direct\":false,\"sealed\":false,\"deny_delete\":false,"
        "\"deny_purge\":false,\"allow_rollup_hdrs\":false,\"consumer_limits\":{},"
        "\"allow_msg_ttl\":false}";
    int same = strcmp(s, want) == 0;
    stream_config_free(&c);
    CHECKF(same, "got %s", s);
    free(s);
}

static void test_default_limits_normalized(void)
{
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"A\",\"max_msgs\":-5,\"max_bytes\":0,\"max_msg_size\":-7,"
                "\"max_consumers\":-2,\"max_msgs_per_subject\":5,\"num_replicas\":0}",
                &c, &e) == 0);
    CHECK(c.max_msgs == -1 && c.max_bytes == -1 && c.max_msg_size == -1);
    CHECK(c.max_consumers == -1 && c.max_msgs_per_subject == 5 && c.num_replicas == 1);
    stream_config_free(&c);

    CHECK(parse("{\"name\":\"A\",\"max_msgs\":-5,\"pedantic\":true}", &c, &e) != 0);
    CHECK(e.err_code == JSERR_PEDANTIC && e.code == 400);
    CHECKF(strcmp(e.description, "pedantic mode: max_msgs must be set to -1") == 0, "%.200s",
           e.description);
    /* pedantic accepts -1 and 0 */
    CHECK(parse("{\"name\":\"A\",\"max_msgs\":-1,\"max_bytes\":0,\"pedantic\":true}", &c, &e) == 0);
    stream_config_free(&c);
}

/* A config built in C (as kv/ and objstore/ do) gets the same defaults. */
static void test_c_built_defaults(void)
{
    stream_config c;
    jserr e;
    memset(&c, 0, sizeof c);
    c.name = strdup("KV_cfg");
    c.max_age_ns = 30 * S_NS;
    CHECK(stream_config_apply_defaults(&c, &e) == 0);
    int ok = c.nsubjects == 1 && strcmp(c.subjects[0], "KV_cfg") == 0 && c.max_msgs == -1 &&
             c.max_bytes == -1 && c.max_msg_size == -1 && c.max_consumers == -1 &&
             c.max_msgs_per_subject == -1 && c.num_replicas == 1 &&
             c.duplicate_window_ns == 30 * S_NS && stream_config_check_create(&c, &e) == 0;
    stream_config_free(&c);
    CHECK(ok);
}

static void test_duplicate_window_defaults(void)
{
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"A\",\"max_age\":60000000000}", &c, &e) == 0);
    CHECK(c.duplicate_window_ns == 60 * S_NS);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"max_age\":600000000000}", &c, &e) == 0);
    CHECK(c.duplicate_window_ns == 120 * S_NS);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"duplicate_window\":5000000000}", &c, &e) == 0);
    CHECK(c.duplicate_window_ns == 5 * S_NS);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"max_age\":60000000000,\"pedantic\":true}", &c, &e) != 0);
    CHECK(e.err_code == JSERR_PEDANTIC);
    CHECK(strcmp(e.description, "pedantic mode: duplicate window cannot be bigger than max age") == 0);
    /* a max_age that is itself invalid is reported as such, not as a pedantic complaint */
    EXPECT_ERR("{\"name\":\"A\",\"max_age\":50000000,\"pedantic\":true}", INVALID,
               "max age needs to be >= 100ms");
}

static void test_delete_marker_defaults(void)
{
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"A\",\"subject_delete_marker_ttl\":5000000000,\"deny_purge\":true}",
                &c, &e) == 0);
    CHECK(c.allow_msg_ttl && c.allow_rollup_hdrs && !c.deny_purge);
    CHECK(stream_config_check(&c, &e) == 0);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"subject_delete_marker_ttl\":5000000000,\"pedantic\":true}", &c,
                &e) != 0);
    CHECK(e.err_code == INVALID &&
          strcmp(e.description, "subject delete marker cannot be set if message TTLs are disabled") == 0);
    CHECK(parse("{\"name\":\"A\",\"subject_delete_marker_ttl\":5000000000,\"pedantic\":true,"
                "\"allow_msg_ttl\":true}",
                &c, &e) != 0);
    CHECK(strcmp(e.description, "subject delete marker cannot be set if roll-ups are disabled") == 0);
    EXPECT_ERR("{\"name\":\"A\",\"subject_delete_marker_ttl\":500000000}", INVALID,
               "subject delete marker TTL must be at least 1 second");
    EXPECT_ERR("{\"name\":\"A\",\"subject_delete_marker_ttl\":-1}", INVALID,
               "subject delete marker TTL must not be negative");

    /* a config built in C gets no silent defaults from stream_config_check */
    memset(&c, 0, sizeof c);
    c.name = "A";
    char *subj = "A";
    c.subjects = &subj;
    c.nsubjects = 1;
    c.num_replicas = 1;
    c.subject_delete_marker_ttl_ns = 2 * S_NS;
    CHECK(stream_config_check(&c, &e) != 0);
    CHECK(strcmp(e.description, "subject delete marker cannot be set if message TTLs are disabled") == 0);
    c.allow_msg_ttl = true;
    CHECK(stream_config_check(&c, &e) != 0);
    CHECK(strcmp(e.description, "subject delete marker cannot be set if roll-ups are disabled") == 0);
    c.allow_rollup_hdrs = true;
    CHECK(stream_config_check(&c, &e) == 0);
}

static void test_json_type_errors(void)
{
    EXPECT_ERR("{\"name\":\"A\",\"max_msgs\":\"x\"}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal string into Go struct field "
               "StreamConfigRequest.max_msgs of type int64");
    EXPECT_ERR("{\"name\":\"A\",\"max_age\":1.5}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number 1.5 into Go struct field "
               "StreamConfigRequest.max_age of type time.Duration");
    EXPECT_ERR("{\"name\":\"A\",\"max_msg_size\":3000000000}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number 3000000000 into Go struct field "
               "StreamConfigRequest.max_msg_size of type int32");
    EXPECT_ERR("{\"name\":\"A\",\"first_seq\":-1}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number -1 into Go struct field "
               "StreamConfigRequest.first_seq of type uint64");
    EXPECT_ERR("{\"name\":5}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number into Go struct field "
               "StreamConfigRequest.name of type string");
    EXPECT_ERR("{\"name\":\"A\",\"sealed\":\"true\"}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal string into Go struct field "
               "StreamConfigRequest.sealed of type bool");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":\"a.b\"}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal string into Go struct field "
               "StreamConfigRequest.subjects of type []string");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a\",1]}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number into Go struct field "
               "StreamConfigRequest.subjects of type string");
    EXPECT_ERR("{\"name\":\"A\",\"metadata\":{\"k\":1}}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number into Go struct field "
               "StreamConfigRequest.metadata of type string");
    EXPECT_ERR("{\"name\":\"A\",\"consumer_limits\":{\"max_ack_pending\":\"x\"}}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal string into Go struct field "
               "StreamConsumerLimits.consumer_limits.max_ack_pending of type int");
    /* the first wrong type in document order is the one reported */
    EXPECT_ERR("{\"name\":\"A\",\"max_bytes\":true,\"max_msgs\":\"x\"}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal bool into Go struct field "
               "StreamConfigRequest.max_bytes of type int64");
    /* enum unmarshalers */
    EXPECT_ERR("{\"name\":\"A\",\"retention\":\"foo\"}", JSERR_INVALID_JSON,
               "invalid JSON: can not unmarshal \"\\\"foo\\\"\"");
    EXPECT_ERR("{\"name\":\"A\",\"storage\":\"MEMORY\"}", JSERR_INVALID_JSON,
               "invalid JSON: can not unmarshal \"\\\"MEMORY\\\"\"");
    EXPECT_ERR("{\"name\":\"A\",\"retention\":null}", JSERR_INVALID_JSON,
               "invalid JSON: can not unmarshal \"null\"");
    EXPECT_ERR("{\"name\":\"A\",\"compression\":\"zstd\"}", JSERR_INVALID_JSON,
               "invalid JSON: unknown compression algorithm");
    EXPECT_ERR("{\"name\":\"A\",\"compression\":1}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal number into Go value of type string");

    stream_config c;
    jserr e;
    json_t *arr = json_array();
    CHECK(stream_config_from_json(arr, &c, &e) != 0);
    json_decref(arr);
    CHECK(e.err_code == JSERR_INVALID_JSON && e.code == 400);
    CHECK(strcmp(e.description, "invalid JSON: json: cannot unmarshal array into Go value of type "
                                "server.StreamConfigRequest") == 0);
}

/* Error texts that quote user input stay valid UTF-8 when cut short. */
static void test_long_inputs_utf8(void)
{
    char text[2400], *p = text;
    p += sprintf(p, "{\"name\":\"A\",\"retention\":\"");
    for (int i = 0; i < 500; i++)
        p += sprintf(p, "\xc3\xa9");
    strcpy(p, "\"}");
    jserr e;
    CHECK(create_check(text, &e) != 0 && e.err_code == JSERR_INVALID_JSON);
    json_t *s = json_string(e.description);
    CHECKF(s != NULL, "not UTF-8: %.100s", e.description);
    json_decref(s);

    p = text;
    p += sprintf(p, "{\"name\":\"A\",\"subjects\":[\"");
    for (int i = 0; i < 300; i++)
        p += sprintf(p, "\xe2\x82\xac");
    p += sprintf(p, ".*\",\"");
    for (int i = 0; i < 300; i++)
        p += sprintf(p, "\xe2\x82\xac");
    strcpy(p, ".x\"]}");
    CHECK(create_check(text, &e) != 0 && e.err_code == JSERR_STREAM_INVALID_CONFIG);
    CHECK(strncmp(e.description, "subject \"\xe2\x82\xac", 12) == 0);
    s = json_string(e.description);
    CHECKF(s != NULL, "not UTF-8: %.100s", e.description);
    json_decref(s);
}

static void test_json_accepted_forms(void)
{
    stream_config c;
    jserr e;
    /* discard is case-insensitive; keys match case-insensitively; unknown keys are ignored;
     * null leaves the default */
    CHECK(parse("{\"Name\":\"A\",\"discard\":\"NEW\",\"retention\":\"workqueue\",\"storage\":\"memory\","
                "\"compression\":\"none\",\"whatever\":[1,2],\"max_msgs\":null,\"sources\":[],"
                "\"placement\":{\"cluster\":\"\",\"tags\":[]},\"mirror\":null,\"persist_mode\":\"default\","
                "\"allow_msg_counter\":false,\"template_owner\":\"\"}",
                &c, &e) == 0);
    CHECK(strcmp(c.name, "A") == 0 && c.discard == STREAM_DISCARD_NEW);
    CHECK(c.retention == STREAM_RETENTION_WORKQUEUE && c.storage == STREAM_STORAGE_MEMORY);
    CHECK(c.max_msgs == -1 && !c.compress);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"compression\":\"s2\"}", &c, &e) == 0);
    CHECK(c.compress);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"retention\":\"interest\"}", &c, &e) == 0);
    CHECK(c.retention == STREAM_RETENTION_INTEREST);
    stream_config_free(&c);
}

/* nats-server's checks of a mirror config (checkStreamCfg), in its order */
static void test_mirror_config(void)
{
    EXPECT_OK("{\"name\":\"A\",\"mirror\":{\"name\":\"B\"}}");
    EXPECT_OK("{\"name\":\"A\",\"mirror\":{\"name\":\"B\",\"opt_start_seq\":5,\"filter_subject\":\"x.>\"}}");
    EXPECT_ERR("{\"name\":\"A\",\"first_seq\":3,\"mirror\":{\"name\":\"B\"}}", 10143,
               "stream mirrors can not have first sequence configured");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a\"],\"mirror\":{\"name\":\"B\"}}", 10034,
               "stream mirrors can not contain subjects");
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"B\",\"filter_subject\":\"x\","
               "\"subject_transforms\":[{\"src\":\"y\",\"dest\":\"z\"}]}}",
               10150, "mirror with multiple subject transforms cannot also have a single subject filter");
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"B\",\"subject_transforms\":"
               "[{\"src\":\"x.>\"},{\"src\":\"x.y\"}]}}",
               10152, "mirror subject filters can not overlap");
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"B.C\"}}", 10142, "mirrored stream name is invalid");
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{}}", 10142, "mirrored stream name is invalid");
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"A\"}}", INVALID, "detected cycle");
    /* nats-server accepts both start options (the sequence wins) and never raises its 10032 */
    EXPECT_OK("{\"name\":\"A\",\"mirror\":{\"name\":\"B\",\"opt_start_seq\":2,"
              "\"opt_start_time\":\"2026-01-02T03:04:05Z\"}}");
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"B\"},\"sources\":[{\"name\":\"C\"}]}", 10031,
               "stream mirrors can not also contain other sources");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a\"],\"mirror\":{\"name\":\"B\"},"
               "\"sources\":[{\"name\":\"C\"}]}", 10034, "stream mirrors can not contain subjects");
    /* a mirror gets neither a default subject nor a duplicate window; its config is echoed
     * with the fields nats-server writes */
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"A\",\"mirror\":{\"name\":\"B\",\"opt_start_seq\":0,\"filter_subject\":\"\"}}",
                &c, &e) == 0);
    CHECK(c.nsubjects == 0 && c.duplicate_window_ns == 0);
    json_t *j = stream_config_to_json(&c);
    char *text = json_dumps(json_object_get(j, "mirror"), JSON_COMPACT);
    CHECKF(text && strcmp(text, "{\"name\":\"B\"}") == 0, "mirror %s", text);
    CHECK(!json_object_get(j, "subjects"));
    free(text);
    json_decref(j);
    stream_config_free(&c);
}

static void test_sources_config(void)
{
    EXPECT_OK("{\"name\":\"A\",\"sources\":[{\"name\":\"B\"},{\"name\":\"C\",\"filter_subject\":\"c.>\"}]}");
    EXPECT_OK("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"filter_subject\":\"x\"},"
              "{\"name\":\"B\",\"filter_subject\":\"y\"}]}");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B.C\"}]}", 10141,
               "sourced stream name is invalid");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\"},{\"name\":\"B\",\"filter_subject\":\">\"}]}",
               10140, "duplicate source configuration detected");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"filter_subject\":\"x\","
               "\"subject_transforms\":[{\"src\":\"y\",\"dest\":\"z\"}]}]}",
               10144, "source with multiple subject transforms cannot also have a single subject filter");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"subject_transforms\":"
               "[{\"src\":\"x.>\"},{\"src\":\"x.y\"}]}]}",
               10147, "source filters can not overlap");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"subject_transforms\":"
               "[{\"src\":\"x..y\"}]}]}",
               10145, "source transform source: invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"subject_transforms\":"
               "[{\"src\":\"x.*\",\"dest\":\"y.>\"}]}]}",
               10146, "source transform: invalid transform destination");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"filter_subject\":\"x..y\"}]}",
               10049, "subject filter 'x..y' for the source: invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":{}}", 10025,
               "invalid JSON: json: cannot unmarshal object into Go struct field "
               "StreamConfigRequest.sources of type []*server.StreamSource");
    /* a sourcing stream without subjects of its own gets no default subject; the sources are
     * echoed normalized, in their order */
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"A\",\"sources\":[{\"name\":\"C\",\"opt_start_seq\":0},null,"
                "{\"name\":\"B\",\"filter_subject\":\"b.>\"}]}",
                &c, &e) == 0);
    CHECK(c.nsubjects == 0 && c.duplicate_window_ns > 0);
    json_t *j = stream_config_to_json(&c);
    char *text = json_dumps(json_object_get(j, "sources"), JSON_COMPACT);
    CHECKF(text && strcmp(text, "[{\"name\":\"C\"},{\"name\":\"B\",\"filter_subject\":\"b.>\"}]") == 0,
           "sources %s", text);
    free(text);
    json_decref(j);
    char *tag = stream_config_source_tag(json_array_get(c.sources, 1));
    CHECKF(tag && strcmp(tag, "B b.> >") == 0, "tag %s", tag);
    free(tag);
    stream_config_free(&c);
    CHECK(parse("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"subject_transforms\":"
                "[{\"src\":\"a.>\",\"dest\":\"x.>\"},{\"src\":\"b.*\"}]}]}",
                &c, &e) == 0);
    tag = stream_config_source_tag(json_array_get(c.sources, 0));
    CHECKF(tag && strcmp(tag, "B a.>\fb.* x.>\f>") == 0, "tag %s", tag);
    free(tag);
    stream_config_free(&c);
}

static void test_unsupported_features(void)
{
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"B\",\"external\":{\"api\":\"$JS.hub.API\"}}}",
               INVALID, "stream mirrors through an external API prefix are not supported");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"external\":{\"api\":\"$JS.x.API\"}}]}",
               INVALID, "stream sources through an external API prefix are not supported");
    EXPECT_ERR("{\"name\":\"A\",\"sources\":[{\"name\":\"B\",\"domain\":\"hub\"}]}", INVALID,
               "stream sources of another domain are not supported");
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"in.>\"],"
              "\"subject_transform\":{\"src\":\"in.>\",\"dest\":\"stored.>\"}}");
    EXPECT_ERR("{\"name\":\"A\",\"subject_transform\":{\"src\":\"a..b\",\"dest\":\"x\"}}",
               10155, "stream transform source: invalid subject a..b");
    EXPECT_ERR("{\"name\":\"A\",\"subject_transform\":{\"src\":\"a.*\",\"dest\":\"x.>\"}}",
               10156, "stream transform: invalid mapping destination");
    /* republish: nats-server's checks */
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"a.>\"],\"republish\":{\"dest\":\"x.>\"}}");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a.>\"],\"republish\":{\"dest\":\"a.x\"}}",
               INVALID, "stream configuration for republish destination forms a cycle");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a.>\"],"
               "\"republish\":{\"src\":\"a.*\",\"dest\":\"x.>\"}}",
               INVALID, "stream configuration for republish with transform from 'a.*' to 'x.>' "
                        "not valid");
    EXPECT_ERR("{\"name\":\"A\",\"placement\":{\"cluster\":\"east\"}}", INVALID,
               "stream placement is not supported: weir runs as a single server");
    EXPECT_ERR("{\"name\":\"A\",\"placement\":{\"preferred\":\"s1\"}}", INVALID,
               "preferred server not permitted in placement");
    EXPECT_ERR("{\"name\":\"A\",\"template_owner\":\"T\"}", INVALID, "stream templates are not supported");
    EXPECT_ERR("{\"name\":\"A\",\"allow_msg_counter\":true}", INVALID,
               "stream message counters are not supported");
    EXPECT_ERR("{\"name\":\"A\",\"allow_atomic\":true}", INVALID, "atomic batch publish is not supported");
    EXPECT_ERR("{\"name\":\"A\",\"allow_msg_schedules\":true}", INVALID,
               "message schedules are not supported");
    EXPECT_ERR("{\"name\":\"A\",\"allow_batched\":true}", INVALID, "batch publish is not supported");
    EXPECT_ERR("{\"name\":\"A\",\"persist_mode\":\"async\"}", INVALID,
               "async persist mode is not supported");
    /* JSON errors come before refusals, as Go's decoder runs before the checks */
    EXPECT_ERR("{\"name\":\"A\",\"mirror\":{\"name\":\"B\"},\"max_msgs\":\"x\"}", JSERR_INVALID_JSON,
               "invalid JSON: json: cannot unmarshal string into Go struct field "
               "StreamConfigRequest.max_msgs of type int64");
}

static void test_name_rules(void)
{
    const char *bad = "stream name is required and can not contain '.', '*', '>'";
    EXPECT_ERR("{\"subjects\":[\"a\"]}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"\",\"subjects\":[\"a\"]}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"a.b\"}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"a b\",\"subjects\":[\"a\"]}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"a\\tb\",\"subjects\":[\"a\"]}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"a*\",\"subjects\":[\"a\"]}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"a>\",\"subjects\":[\"a\"]}", INVALID, bad);
    EXPECT_ERR("{\"name\":\"a/b\"}", JSERR_STREAM_NAME_CONTAINS_PATH_SEPARATORS,
               "Stream name can not contain path separators");
    EXPECT_ERR("{\"name\":\"a\\\\b\"}", JSERR_STREAM_NAME_CONTAINS_PATH_SEPARATORS,
               "Stream name can not contain path separators");
    EXPECT_ERR("{\"name\":\"a\\u0001b\"}", INVALID, "stream name can not contain non-printable characters");
    char big[400];
    memset(big, 'x', 256);
    strcpy(big + 256, "\"}");
    char text[420] = "{\"name\":\"";
    strcat(text, big);
    EXPECT_ERR(text, INVALID, "stream name is too long, maximum allowed is 255");
    text[9 + 255] = '\0';
    strcat(text, "\"}");
    EXPECT_OK(text);
    EXPECT_OK("{\"name\":\"KV_my-bucket_1\"}");
    EXPECT_OK("{\"name\":\"caf\\u00e9\"}");

    CHECK(stream_name_valid("ORDERS"));
    CHECK(stream_name_valid("OBJ_b-1"));
    CHECK(!stream_name_valid(""));
    CHECK(!stream_name_valid(NULL));
    CHECK(!stream_name_valid("a.b"));
    CHECK(!stream_name_valid("a/b"));
    CHECK(!stream_name_valid("a\\b"));
    CHECK(!stream_name_valid("a\x7f"));
    CHECK(!stream_name_valid("a\nb"));
    CHECK(!stream_name_valid(">"));
}

static void test_sizes_and_limits(void)
{
    size_t n = 4097 + 64;
    char *text = malloc(n);
    strcpy(text, "{\"name\":\"A\",\"description\":\"");
    size_t l = strlen(text);
    memset(text + l, 'd', 4097);
    strcpy(text + l + 4097, "\"}");
    EXPECT_ERR(text, INVALID, "stream description is too long, maximum allowed is 4096");
    text[l + 4096] = '\0';
    strcat(text, "\"}");
    EXPECT_OK(text);
    free(text);

    /* metadata: keys + values over 128 KiB */
    size_t mn = 140 * 1024;
    char *meta = malloc(mn);
    strcpy(meta, "{\"name\":\"A\",\"metadata\":{\"k\":\"");
    l = strlen(meta);
    memset(meta + l, 'v', 128 * 1024);
    strcpy(meta + l + 128 * 1024, "\"}}");
    EXPECT_ERR(meta, INVALID, "stream metadata exceeds maximum size of 131072 bytes");
    free(meta);

    EXPECT_ERR("{\"name\":\"A\",\"num_replicas\":6}", INVALID, "maximum replicas is 5");
    EXPECT_ERR("{\"name\":\"A\",\"num_replicas\":-1}", JSERR_REPLICAS_COUNT_CANNOT_BE_NEGATIVE,
               "replicas count cannot be negative");
    EXPECT_ERR("{\"name\":\"A\",\"num_replicas\":3}", JSERR_STREAM_REPLICAS_NOT_SUPPORTED,
               "replicas > 1 not supported in non-clustered mode");
    EXPECT_ERR("{\"name\":\"A\",\"num_replicas\":99999999999}", INVALID, "maximum replicas is 5");
    EXPECT_OK("{\"name\":\"A\",\"num_replicas\":1}");

    EXPECT_ERR("{\"name\":\"A\",\"max_age\":-1}", INVALID, "max age can not be negative");
    EXPECT_ERR("{\"name\":\"A\",\"max_age\":99999999}", INVALID, "max age needs to be >= 100ms");
    EXPECT_OK("{\"name\":\"A\",\"max_age\":100000000}");
    EXPECT_ERR("{\"name\":\"A\",\"duplicate_window\":-1}", INVALID, "duplicates window can not be negative");
    EXPECT_ERR("{\"name\":\"A\",\"max_age\":1000000000,\"duplicate_window\":2000000000}", INVALID,
               "duplicates window can not be larger then max age");
    EXPECT_ERR("{\"name\":\"A\",\"duplicate_window\":1000}", INVALID,
               "duplicates window needs to be >= 100ms");
    EXPECT_ERR("{\"name\":\"A\",\"deny_purge\":true,\"allow_rollup_hdrs\":true}", INVALID,
               "roll-ups require the purge permission");
    EXPECT_ERR("{\"name\":\"A\",\"discard_new_per_subject\":true,\"max_msgs_per_subject\":1}", INVALID,
               "discard new per subject requires discard new policy to be set");
    EXPECT_ERR("{\"name\":\"A\",\"discard_new_per_subject\":true,\"discard\":\"new\"}", INVALID,
               "discard new per subject requires max msgs per subject > 0");
    EXPECT_OK("{\"name\":\"A\",\"discard_new_per_subject\":true,\"discard\":\"new\","
              "\"max_msgs_per_subject\":1}");
}

static void test_create_only_rules(void)
{
    EXPECT_ERR("{\"name\":\"A\",\"sealed\":true}", INVALID,
               "stream configuration for create can not be sealed");
    EXPECT_ERR("{\"name\":\"A\",\"mirror_direct\":true}", INVALID,
               "stream has no mirror but does have mirror direct");
    /* stream_config_check alone (used by updates) accepts sealed */
    stream_config c;
    jserr e;
    CHECK(parse("{\"name\":\"A\",\"sealed\":true}", &c, &e) == 0);
    CHECK(stream_config_check(&c, &e) == 0);
    stream_config_free(&c);
}

static void test_subject_rules(void)
{
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a..b\"]}", INVALID, "invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a.>.b\"]}", INVALID, "invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"\"]}", INVALID, "invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a b\"]}", INVALID, "invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[null]}", INVALID, "invalid subject");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\">\"]}", INVALID,
               "capturing all subjects requires no-ack to be true");
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\">\"],\"no_ack\":true}");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\">\"],\"no_ack\":true,\"num_replicas\":3}", INVALID,
               "capturing all subjects requires replicas of 1");
    const char *jsapi = "subjects that overlap with jetstream api require no-ack to be true";
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"$JS.API.>\"]}", INVALID, jsapi);
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"$JS.API.STREAM.INFO.X\"]}", INVALID, jsapi);
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"*.API.>\"]}", INVALID, jsapi);
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"$JSC.x\"]}", INVALID, jsapi);
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"$NRG.>\"]}", INVALID, jsapi);
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"$JS.>\"]}", INVALID, jsapi);
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"$JS.EVENT.>\"]}");
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"$JS.EVENT.ADVISORY.x\"]}");
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"$JS.API.>\"],\"no_ack\":true}");
    const char *sysapi = "subjects that overlap with system api require no-ack to be true";
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"$SYS.REQ.>\"]}", INVALID, sysapi);
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"$SYS.ACCOUNT.>\"]}");
    EXPECT_OK("{\"name\":\"KV_b\",\"subjects\":[\"$KV.b.>\"]}");
    EXPECT_OK("{\"name\":\"OBJ_b\",\"subjects\":[\"$O.b.C.>\",\"$O.b.M.>\"]}");
    EXPECT_OK("{\"name\":\"A\",\"subjects\":[\"a.*\",\"b.>\",\"a.*.c\"]}");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a.*\",\"a.b\"]}", INVALID,
               "subject \"a.*\" overlaps with \"a.b\"");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"x\",\"a.b.c\",\"a.>\"]}", INVALID,
               "subject \"a.b.c\" overlaps with \"a.>\"");
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a\",\"a\"]}", INVALID, "duplicate subjects detected");
    /* every subject passes its own checks before overlaps among them are looked at */
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a.*\",\"a.b\",\"$JS.API.>\"]}", INVALID, jsapi);
    EXPECT_ERR("{\"name\":\"A\",\"subjects\":[\"a.*\",\"a.b\",\"x..y\"]}", INVALID, "invalid subject");
}

static void test_round_trip(void)
{
    const char *in =
        "{\"name\":\"ORDERS\",\"description\":\"all orders\",\"subjects\":[\"orders.*\",\"ship.>\"],"
        "\"retention\":\"interest\",\"max_consumers\":10,\"max_msgs\":1000,\"max_bytes\":1048576,"
        "\"max_age\":3600000000000,\"max_msgs_per_subject\":5,\"max_msg_size\":4096,"
        "\"discard\":\"new\",\"storage\":\"memory\",\"num_replicas\":1,\"no_ack\":true,"
        "\"duplicate_window\":30000000000,\"compression\":\"none\",\"first_seq\":100,"
        "\"allow_direct\":true,\"discard_new_per_subject\":true,\"deny_delete\":true,"
        "\"allow_rollup_hdrs\":true,\"consumer_limits\":{\"inactive_threshold\":5000000000,"
        "\"max_ack_pending\":100},\"allow_msg_ttl\":true,\"subject_delete_marker_ttl\":60000000000,"
        "\"metadata\":{\"zeta\":\"1\",\"alpha\":\"2\"},\"pedantic\":true}";
    stream_config a, b;
    jserr e;
    CHECK(parse(in, &a, &e) == 0);
    CHECKF(stream_config_check_create(&a, &e) == 0, "%.200s", e.description);
    CHECK(a.pedantic);
    char *s1 = dump(&a);
    CHECK(s1 != NULL);
    const char *want =
        "{\"name\":\"ORDERS\",\"description\":\"all orders\",\"subjects\":[\"orders.*\",\"ship.>\"],"
        "\"retention\":\"interest\",\"max_consumers\":10,\"max_msgs\":1000,\"max_bytes\":1048576,"
        "\"max_age\":3600000000000,\"max_msgs_per_subject\":5,\"max_msg_size\":4096,"
        "\"discard\":\"new\",\"storage\":\"memory\",\"num_replicas\":1,\"no_ack\":true,"
        "\"duplicate_window\":30000000000,\"compression\":\"none\",\"first_seq\":100,"
        "\"allow_direct\":true,\"mirror_direct\":false,\"discard_new_per_subject\":true,"
        "\"sealed\":false,\"deny_delete\":true,\"deny_purge\":false,\"allow_rollup_hdrs\":true,"
        "\"consumer_limits\":{\"inactive_threshold\":5000000000,\"max_ack_pending\":100},"
        "\"allow_msg_ttl\":true,\"subject_delete_marker_ttl\":60000000000,"
        "\"metadata\":{\"alpha\":\"2\",\"zeta\":\"1\"}}";
    int same = strcmp(s1, want) == 0;
    if (!same) {
        printf("  got  %s\n  want %s\n", s1, want);
        free(s1);
        stream_config_free(&a);
    }
    CHECK(same);
    CHECK(parse(s1, &b, &e) == 0);
    char *s2 = dump(&b);
    int stable = strcmp(s1, s2) == 0;
    int eq = stream_config_equal(&a, &b);
    free(s1);
    free(s2);
    stream_config_free(&a);
    stream_config_free(&b);
    CHECK(stable);
    CHECK(eq);
}

/* A config that a default-config create would give, for the update tests. */
static void base(stream_config *c, const char *extra)
{
    char text[512];
    snprintf(text, sizeof text, "{\"name\":\"S\",\"subjects\":[\"s.>\"]%s}", extra);
    jserr e;
    if (parse(text, c, &e) != 0) {
        fprintf(stderr, "base config refused: %s: %s\n", text, e.description);
        abort();
    }
}

#define EXPECT_UPDATE(cur_extra, next_extra, ecode, desc)                                         \
    do {                                                                                          \
        stream_config cur_, next_;                                                                \
        jserr e_;                                                                                 \
        base(&cur_, cur_extra);                                                                   \
        base(&next_, next_extra);                                                                 \
        int rc_ = stream_config_check_update(&cur_, &next_, &e_);                                 \
        stream_config_free(&cur_);                                                                \
        stream_config_free(&next_);                                                               \
        if ((ecode) == 0)                                                                         \
            CHECKF(rc_ == 0, "update %.80s -> %.80s refused: %.200s", cur_extra, next_extra, e_.description); \
        else                                                                                      \
            CHECKF(rc_ != 0 && e_.err_code == (int)(ecode) && strcmp(e_.description, desc) == 0,   \
                   "update %.80s -> %.80s: rc %d '%.200s'", cur_extra, next_extra, rc_,                     \
                   rc_ ? e_.description : "");                                                    \
    } while (0)

static void test_update_rules(void)
{
    EXPECT_UPDATE("", ",\"max_msgs\":10,\"subjects\":[\"t.>\"],\"description\":\"x\"", 0, "");
    EXPECT_UPDATE("", ",\"retention\":\"interest\"", 0, "");
    EXPECT_UPDATE(",\"retention\":\"interest\"", "", 0, "");
    EXPECT_UPDATE("", ",\"retention\":\"workqueue\"", INVALID,
                  "stream configuration update can not change retention policy to/from workqueue");
    EXPECT_UPDATE(",\"retention\":\"workqueue\"", ",\"retention\":\"interest\"", INVALID,
                  "stream configuration update can not change retention policy to/from workqueue");
    EXPECT_UPDATE("", ",\"storage\":\"memory\"", INVALID,
                  "stream configuration update can not change storage type");
    EXPECT_UPDATE("", ",\"max_consumers\":5", INVALID,
                  "stream configuration update can not change MaxConsumers");
    EXPECT_UPDATE(",\"sealed\":true", "", INVALID,
                  "stream configuration update can not unseal a sealed stream");
    EXPECT_UPDATE("", ",\"sealed\":true", 0, "");
    EXPECT_UPDATE(",\"deny_delete\":true", "", INVALID,
                  "stream configuration update can not cancel deny message deletes");
    EXPECT_UPDATE(",\"deny_purge\":true", "", INVALID,
                  "stream configuration update can not cancel deny purge");
    EXPECT_UPDATE("", ",\"deny_purge\":true,\"deny_delete\":true", 0, "");
    EXPECT_UPDATE(",\"allow_msg_ttl\":true", "", INVALID, "message TTL status can not be disabled");
    EXPECT_UPDATE("", ",\"allow_msg_ttl\":true", 0, "");
    /* the new config is validated first */
    EXPECT_UPDATE("", ",\"num_replicas\":3", JSERR_STREAM_REPLICAS_NOT_SUPPORTED,
                  "replicas > 1 not supported in non-clustered mode");
    EXPECT_UPDATE("", ",\"max_age\":-5", INVALID, "max age can not be negative");

    stream_config cur, next;
    jserr e;
    base(&cur, "");
    CHECK(parse("{\"name\":\"T\",\"subjects\":[\"s.>\"]}", &next, &e) == 0);
    int rc = stream_config_check_update(&cur, &next, &e);
    stream_config_free(&cur);
    stream_config_free(&next);
    CHECK(rc != 0 && e.err_code == INVALID &&
          strcmp(e.description, "stream configuration name must match original") == 0);

    base(&next, ",\"sealed\":true,\"max_age\":5000000000,\"allow_rollup_hdrs\":true");
    stream_config_seal(&next);
    CHECK(next.max_age_ns == 0 && next.discard == STREAM_DISCARD_NEW);
    CHECK(next.deny_delete && next.deny_purge && !next.allow_rollup_hdrs);
    stream_config_free(&next);
    base(&next, ",\"max_age\":5000000000");
    stream_config_seal(&next);
    CHECK(next.max_age_ns == 5 * S_NS && next.discard == STREAM_DISCARD_OLD);
    stream_config_free(&next);
}

static void test_copy_equal_free(void)
{
    stream_config a, b;
    base(&a, ",\"description\":\"d\",\"metadata\":{\"k\":\"v\"},\"consumer_limits\":{\"max_ack_pending\":3}");
    CHECK(stream_config_copy(&b, &a) == 0);
    CHECK(stream_config_equal(&a, &b));
    CHECK(b.name != a.name && b.subjects != a.subjects && b.metadata != a.metadata);
    b.max_msgs = 7;
    CHECK(!stream_config_equal(&a, &b));
    b.max_msgs = a.max_msgs;
    json_object_set_new(b.metadata, "k", json_string("w"));
    CHECK(!stream_config_equal(&a, &b));
    json_object_set_new(b.metadata, "k", json_string("v"));
    CHECK(stream_config_equal(&a, &b));
    b.pedantic = !a.pedantic; /* request-only: ignored */
    CHECK(stream_config_equal(&a, &b));
    free(b.subjects[0]);
    b.subjects[0] = strdup("t.>");
    CHECK(!stream_config_equal(&a, &b));
    stream_config_free(&b);
    CHECK(b.name == NULL && b.nsubjects == 0);
    stream_config_free(&b); /* freeing twice is harmless */

    /* an empty metadata object and none are the same */
    stream_config c, d;
    base(&c, ",\"metadata\":{}");
    base(&d, "");
    CHECK(c.metadata == NULL);
    CHECK(stream_config_equal(&c, &d));
    stream_config_free(&c);
    stream_config_free(&d);
    stream_config_free(&a);
}

static void test_subjects_overlap(void)
{
    stream_config a, b;
    base(&a, ",\"subjects\":[\"orders.*\",\"x\"]");
    base(&b, ",\"subjects\":[\"orders.new\"]");
    CHECK(stream_config_subjects_overlap(&a, &b));
    stream_config_free(&b);
    base(&b, ",\"subjects\":[\"orders.new.>\",\"y\"]");
    CHECK(!stream_config_subjects_overlap(&a, &b));
    stream_config_free(&b);
    base(&b, ",\"subjects\":[\">\"]");
    CHECK(stream_config_subjects_overlap(&a, &b));
    stream_config_free(&b);
    stream_config_free(&a);
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_default_limits_normalized);
    RUN(test_c_built_defaults);
    RUN(test_duplicate_window_defaults);
    RUN(test_delete_marker_defaults);
    RUN(test_json_type_errors);
    RUN(test_json_accepted_forms);
    RUN(test_long_inputs_utf8);
    RUN(test_mirror_config);
    RUN(test_sources_config);
    RUN(test_unsupported_features);
    RUN(test_name_rules);
    RUN(test_sizes_and_limits);
    RUN(test_create_only_rules);
    RUN(test_subject_rules);
    RUN(test_round_trip);
    RUN(test_update_rules);
    RUN(test_copy_equal_free);
    RUN(test_subjects_overlap);
    TESTLIB_EXIT();
}
