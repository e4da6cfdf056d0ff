// consumers.test.mjs — nats.js (npm `nats` 2.x) against JetStream consumers of the server named by
// WEIR_SERVER: the JetStream manager (streams and consumers add / info / update / list / names /
// purge / delete), js.publish acks and expectations, pull consumers with the consumers API
// (fetch, consume, next, ack / ack all / nak / working / term, redelivery, max_ack_pending),
// ordered pull consumers, and legacy push subscriptions built with consumerOpts() (durable,
// ordered, headers only, last per subject, queue groups). Prints "PASS name" / "FAIL name: why" per case.
//
//   WEIR_SERVER=/usr/sbin/nats-server node test/js/consumers.test.mjs
// Every case passes against nats-server 2.9.10; nothing here needs 2.10+ (single filter subjects
// only, no consumer metadata, no pause, no term reasons).
import { connect, headers, StringCodec, nanos, consumerOpts, createInbox, AckPolicy, DeliverPolicy, StorageType, DiscardPolicy } from "nats";
import { startServer, finish, run, check } from "./harness.mjs";

const sc = StringCodec();

// The err_code of a JetStream API error, or undefined.
function errCode(e) {
  return e && e.api_error ? e.api_error.err_code : undefined;
}

async function rejects(promise, what) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error(`${what} succeeded`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Retries fn (async, returns [ok, detail]) until ok or ms pass; throws with the last detail.
async function eventually(fn, what, ms = 2000) {
  const deadline = Date.now() + ms;
  let detail = "";
  for (;;) {
    const [ok, d] = await fn();
    if (ok) return;
    detail = d;
    if (Date.now() > deadline) throw new Error(`${what}: ${detail}`);
    await sleep(50);
  }
}

// Takes n items from an iterator obtained once (so a break never stops the subscription),
// failing if they do not arrive within ms.
async function nextN(it, n, ms = 1500, what = "messages") {
  const out = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    let timer;
    const r = await Promise.race([it.next(), new Promise((res) => (timer = setTimeout(() => res({ timeout: true }), left)))]);
    clearTimeout(timer);
    if (r.timeout || r.done) break;
    out.push(r.value);
  }
  if (out.length !== n) throw new Error(`${what}: got ${out.length} of ${n} (${out.map((m) => m.seq).join(",")})`);
  return out;
}

// Drains a fetch iterator.
async function drain(iter) {
  const out = [];
  for await (const m of iter) out.push(m);
  return out;
}

const seqs = (ms) => ms.map((m) => m.info.streamSequence).join(",");
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i).join(",");

async function main() {
  const servers = await startServer();
  const nc = await connect({ servers, name: "weir-js-consumers", timeout: 5000 });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();

  // ---------------------------------------------------------------- JetStream manager: streams
  await run("stream_manager", async () => {
    let si = await jsm.streams.add({
      name: "SM",
      subjects: ["sm.*"],
      description: "stream manager",
      max_msgs: 100,
      max_age: nanos(60_000),
      storage: StorageType.Memory,
      discard: DiscardPolicy.New,
      max_msg_size: 1024,
    });
    const c = si.config;
    check(c.name === "SM" && JSON.stringify(c.subjects) === '["sm.*"]', `name/subjects ${c.name} ${c.subjects}`);
    check(c.description === "stream manager", `description ${c.description}`);
    check(c.max_msgs === 100 && c.max_age === 60_000_000_000 && c.max_msg_size === 1024, `limits ${c.max_msgs} ${c.max_age} ${c.max_msg_size}`);
    check(c.storage === "memory" && c.discard === "new" && c.retention === "limits", `policies ${c.storage} ${c.discard} ${c.retention}`);
    check(c.max_bytes === -1 && c.max_consumers === -1 && c.max_msgs_per_subject === -1, "unset limits are -1");
    check(si.state.messages === 0 && si.state.consumer_count === 0, `empty state ${JSON.stringify(si.state)}`);
    for (let i = 1; i <= 6; i++) await js.publish(i <= 4 ? "sm.a" : "sm.b", sc.encode(`v${i}`));
    si = await jsm.streams.info("SM");
    check(si.state.messages === 6 && si.state.first_seq === 1 && si.state.last_seq === 6 && si.state.bytes > 0, `state ${JSON.stringify(si.state)}`);
    // update: new subject, description and limit; messages kept
    si = await jsm.streams.update("SM", { subjects: ["sm.*", "smx.>"], description: "updated", max_msgs: 50 });
    check(JSON.stringify(si.config.subjects) === '["sm.*","smx.>"]', `updated subjects ${si.config.subjects}`);
    check(si.config.description === "updated" && si.config.max_msgs === 50 && si.config.storage === "memory", "updated config");
    check(si.state.messages === 6, `messages kept ${si.state.messages}`);
    const pa = await js.publish("smx.q.r", sc.encode("new subject"));
    check(pa.stream === "SM" && pa.seq === 7, `publish to the added subject ${JSON.stringify(pa)}`);
    // storage type cannot change
    let e = await rejects(jsm.streams.update("SM", { storage: StorageType.File }), "storage change");
    check(errCode(e) === 10052, `storage change: ${errCode(e)} ${e.message}`);
    // list / names
    const infos = await jsm.streams.list().next();
    const sm = infos.find((i) => i.config.name === "SM");
    check(sm && sm.state.messages === 7 && sm.config.description === "updated", "list carries SM with state");
    const names = await jsm.streams.names().next();
    check(names.includes("SM"), `names ${names}`);
    check(JSON.stringify(await jsm.streams.names("smx.z.z").next()) === '["SM"]', "names by subject");
    // purge with filter and keep, then everything
    let r = await jsm.streams.purge("SM", { filter: "sm.a", keep: 1 });
    check(r.success === true && r.purged === 3, `purge filter+keep ${JSON.stringify(r)}`);
    si = await jsm.streams.info("SM", { subjects_filter: ">" });
    check(si.state.messages === 4 && si.state.first_seq === 4, `after filtered purge ${JSON.stringify(si.state)}`);
    check(si.state.subjects["sm.a"] === 1 && si.state.subjects["sm.b"] === 2 && si.state.subjects["smx.q.r"] === 1, `subjects ${JSON.stringify(si.state.subjects)}`);
    r = await jsm.streams.purge("SM", { filter: "sm.b" });
    check(r.success === true && r.purged === 2, `purge filter ${JSON.stringify(r)}`);
    r = await jsm.streams.purge("SM");
    check(r.success === true && r.purged === 2, `purge all ${JSON.stringify(r)}`);
    si = await jsm.streams.info("SM");
    check(si.state.messages === 0 && si.state.first_seq === 8 && si.state.last_seq === 7, `after purge ${JSON.stringify(si.state)}`);
    // delete
    check((await jsm.streams.delete("SM")) === true, "delete");
    e = await rejects(jsm.streams.info("SM"), "info after delete");
    check(errCode(e) === 10059 && e.message === "stream not found", `info after delete: ${errCode(e)} ${e.message}`);
    check(!(await jsm.streams.names().next()).includes("SM"), "names after delete");
  });

  // ---------------------------------------------------------------- JetStream manager: consumers
  await run("consumer_manager", async () => {
    await jsm.streams.add({ name: "CM", subjects: ["cm.>"] });
    // cm.a at 1,3,5; cm.b at 2,4,6
    for (let i = 1; i <= 6; i++) await js.publish(i % 2 ? "cm.a" : "cm.b", sc.encode(`m${i}`));
    let ci = await jsm.consumers.add("CM", {
      durable_name: "d1",
      ack_policy: AckPolicy.Explicit,
      filter_subject: "cm.a",
      ack_wait: nanos(10_000),
      max_deliver: 5,
      description: "durable one",
    });
    check(ci.name === "d1" && ci.stream_name === "CM", `name ${ci.name} stream ${ci.stream_name}`);
    const c = ci.config;
    check(c.durable_name === "d1" && c.ack_policy === "explicit" && c.deliver_policy === "all" && c.replay_policy === "instant", "policies");
    check(c.filter_subject === "cm.a" && c.ack_wait === 10_000_000_000 && c.max_deliver === 5 && c.description === "durable one", "echoed config");
    check(c.max_ack_pending === 1000 && c.max_waiting === 512 && c.deliver_subject === undefined, `defaults ${c.max_ack_pending} ${c.max_waiting}`);
    check(ci.num_pending === 3 && ci.num_ack_pending === 0 && ci.num_redelivered === 0 && ci.num_waiting === 0, `counts ${JSON.stringify(ci)}`);
    check(ci.delivered.consumer_seq === 0 && ci.delivered.stream_seq === 0, `delivered ${JSON.stringify(ci.delivered)}`);
    check(ci.ack_floor.consumer_seq === 0 && ci.ack_floor.stream_seq === 0, `ack_floor ${JSON.stringify(ci.ack_floor)}`);
    check(!Number.isNaN(Date.parse(ci.created)), `created ${ci.created}`);
    // same config again: fine and idempotent
    ci = await jsm.consumers.add("CM", { durable_name: "d1", ack_policy: AckPolicy.Explicit, filter_subject: "cm.a", ack_wait: nanos(10_000), max_deliver: 5, description: "durable one" });
    check(ci.name === "d1" && ci.num_pending === 3, "re-add identical");
    ci = await jsm.consumers.info("CM", "d1");
    check(ci.name === "d1" && ci.config.filter_subject === "cm.a" && ci.num_pending === 3, "info");
    // deliver policies and their pending counts
    ci = await jsm.consumers.add("CM", { durable_name: "d2", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 4 });
    check(ci.config.deliver_policy === "by_start_sequence" && ci.config.opt_start_seq === 4 && ci.num_pending === 3, `by_start_sequence ${ci.num_pending}`);
    ci = await jsm.consumers.add("CM", { durable_name: "d3", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.Last });
    check(ci.config.deliver_policy === "last" && ci.num_pending === 1, `last ${ci.num_pending}`);
    ci = await jsm.consumers.add("CM", { durable_name: "d4", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    check(ci.config.deliver_policy === "new" && ci.num_pending === 0, `new ${ci.num_pending}`);
    ci = await jsm.consumers.add("CM", { durable_name: "d5", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: "cm.>" });
    check(ci.config.deliver_policy === "last_per_subject" && ci.num_pending === 2, `last_per_subject ${ci.num_pending}`);
    // ephemeral (server-named)
    const eph = await jsm.consumers.add("CM", { ack_policy: AckPolicy.Explicit, inactive_threshold: nanos(30_000) });
    check(typeof eph.name === "string" && eph.name.length > 0 && eph.config.durable_name === undefined, `ephemeral ${eph.name}`);
    check(eph.config.inactive_threshold === 30_000_000_000 && eph.num_pending === 6, `ephemeral config ${eph.config.inactive_threshold} ${eph.num_pending}`);
    // list
    const list = await jsm.consumers.list("CM").next();
    const listed = list.map((i) => i.name).sort();
    check(JSON.stringify(listed) === JSON.stringify(["d1", "d2", "d3", "d4", "d5", eph.name].sort()), `list ${listed}`);
    check(list.every((i) => i.stream_name === "CM" && i.config && typeof i.num_pending === "number"), "list entries");
    check((await jsm.streams.info("CM")).state.consumer_count === 6, "consumer_count");
    // pending follows new publishes on the filter only
    await js.publish("cm.a", sc.encode("m7"));
    await js.publish("cm.b", sc.encode("m8"));
    ci = await jsm.consumers.info("CM", "d1");
    check(ci.num_pending === 4, `d1 pending after publish ${ci.num_pending}`);
    ci = await jsm.consumers.info("CM", "d4");
    check(ci.num_pending === 2, `d4 (new) pending after publish ${ci.num_pending}`);
    // delete
    check((await jsm.consumers.delete("CM", "d4")) === true, "delete");
    let e = await rejects(jsm.consumers.info("CM", "d4"), "info after delete");
    check(errCode(e) === 10014 && e.message === "consumer not found", `info after delete: ${errCode(e)} ${e.message}`);
    e = await rejects(jsm.consumers.delete("CM", "d4"), "second delete");
    check(errCode(e) === 10014, `second delete: ${errCode(e)} ${e.message}`);
    check((await jsm.consumers.list("CM").next()).length === 5, "list after delete");
    // errors
    e = await rejects(jsm.consumers.add("NOPE", { durable_name: "x", ack_policy: AckPolicy.Explicit }), "consumer on a missing stream");
    check(errCode(e) === 10059, `missing stream: ${errCode(e)} ${e.message}`);
    e = await rejects(jsm.consumers.info("NOPE", "x"), "info on a missing stream");
    check(errCode(e) === 10059, `info missing stream: ${errCode(e)} ${e.message}`);
    // a filter outside the stream's subjects: refused by nats-server 2.9 (10093), accepted from
    // 2.10 on (the check was dropped); weir announces 2.10
    const [maj, min] = nc.info.version.split(".").map(Number);
    const filterOut = { durable_name: "bad", ack_policy: AckPolicy.Explicit, filter_subject: "other.x" };
    if (maj > 2 || min >= 10) {
      const ci = await jsm.consumers.add("CM", filterOut);
      check(ci.config.filter_subject === "other.x" && ci.num_pending === 0, `filter outside: ${JSON.stringify(ci.config)}`);
      await jsm.consumers.delete("CM", "bad");
    } else {
      e = await rejects(jsm.consumers.add("CM", filterOut), "filter outside the stream");
      check(errCode(e) === 10093, `filter not subset: ${errCode(e)} ${e.message}`);
    }
  });

  // ---------------------------------------------------------------- publish acks / expectations
  await run("publish_acks_and_expect", async () => {
    await jsm.streams.add({ name: "PUB", subjects: ["pub.*"] });
    let pa = await js.publish("pub.a", sc.encode("1"));
    check(pa.stream === "PUB" && pa.seq === 1 && pa.duplicate === false, `ack ${JSON.stringify(pa)}`);
    pa = await js.publish("pub.b", sc.encode("2"), { msgID: "id-2" });
    check(pa.seq === 2 && pa.duplicate === false, `msgID ack ${JSON.stringify(pa)}`);
    pa = await js.publish("pub.b", sc.encode("2 again"), { msgID: "id-2" });
    check(pa.seq === 2 && pa.duplicate === true && pa.stream === "PUB", `duplicate ${JSON.stringify(pa)}`);
    // lastMsgID is the id of the stream's last message (none when that one had no id)
    pa = await js.publish("pub.b", sc.encode("3"), { msgID: "id-3", expect: { lastMsgID: "id-2" } });
    check(pa.seq === 3 && pa.duplicate === false, `lastMsgID ok ${JSON.stringify(pa)}`);
    let e = await rejects(js.publish("pub.a", sc.encode("x"), { expect: { lastMsgID: "id-2" } }), "wrong lastMsgID");
    check(errCode(e) === 10070 && e.api_error.description === "wrong last msg ID: id-3", `lastMsgID: ${errCode(e)} ${e.api_error && e.api_error.description}`);
    // expectations that hold
    pa = await js.publish("pub.a", sc.encode("4"), { expect: { lastSequence: 3, streamName: "PUB" } });
    check(pa.seq === 4, `lastSequence ok ${pa.seq}`);
    pa = await js.publish("pub.a", sc.encode("5"), { expect: { lastSubjectSequence: 4 } });
    check(pa.seq === 5, `lastSubjectSequence ok ${pa.seq}`);
    pa = await js.publish("pub.c", sc.encode("6"), { expect: { lastSubjectSequence: 0 } });
    check(pa.seq === 6, `lastSubjectSequence 0 on a new subject ${pa.seq}`);
    // expectations that fail
    e = await rejects(js.publish("pub.a", sc.encode("x"), { expect: { lastSequence: 5 } }), "wrong lastSequence");
    check(errCode(e) === 10071 && e.api_error.description === "wrong last sequence: 6", `lastSequence: ${errCode(e)} ${e.message}`);
    e = await rejects(js.publish("pub.a", sc.encode("x"), { expect: { lastSubjectSequence: 4 } }), "wrong lastSubjectSequence");
    check(errCode(e) === 10071 && e.api_error.description === "wrong last sequence: 5", `lastSubjectSequence: ${errCode(e)} ${e.message}`);
    e = await rejects(js.publish("pub.c", sc.encode("x"), { expect: { lastSubjectSequence: 0 } }), "lastSubjectSequence 0 on a used subject");
    check(errCode(e) === 10071 && e.api_error.description === "wrong last sequence: 6", `lastSubjectSequence 0: ${errCode(e)} ${e.message}`);
    e = await rejects(js.publish("pub.a", sc.encode("x"), { expect: { streamName: "OTHER" } }), "wrong streamName");
    check(errCode(e) === 10060 && e.api_error.description === "expected stream does not match", `streamName: ${errCode(e)} ${e.message}`);
    const si = await jsm.streams.info("PUB");
    check(si.state.messages === 6 && si.state.last_seq === 6, `nothing stored by failed publishes ${JSON.stringify(si.state)}`);
  });

  // ---------------------------------------------------------------- pull: fetch
  await run("pull_fetch", async () => {
    await jsm.streams.add({ name: "PF", subjects: ["pf.*"] });
    for (let i = 1; i <= 10; i++) await js.publish(i % 2 ? "pf.a" : "pf.b", sc.encode(`m${i}`));
    await jsm.consumers.add("PF", { durable_name: "p1", ack_policy: AckPolicy.Explicit });
    const c = await js.consumers.get("PF", "p1");
    check((await c.info(true)).name === "p1", "cached info");
    let t0 = Date.now();
    let msgs = await drain(await c.fetch({ max_messages: 4, expires: 2000 }));
    check(Date.now() - t0 < 1000, `a full batch must not wait for expires (${Date.now() - t0} ms)`);
    check(seqs(msgs) === "1,2,3,4", `first batch ${seqs(msgs)}`);
    msgs.forEach((m, i) => {
      const k = i + 1;
      check(sc.decode(m.data) === `m${k}` && m.subject === (k % 2 ? "pf.a" : "pf.b"), `content of ${k}`);
      check(m.info.stream === "PF" && m.info.consumer === "p1", `info names ${m.info.stream} ${m.info.consumer}`);
      check(m.info.deliverySequence === k && m.info.redeliveryCount === 1 && m.redelivered === false, `delivery of ${k}`);
      check(m.info.pending === 10 - k, `pending of ${k}: ${m.info.pending}`);
      check(m.seq === k && m.info.timestampNanos > 0, "seq/timestamp");
    });
    let ci = await c.info();
    check(ci.delivered.consumer_seq === 4 && ci.delivered.stream_seq === 4, `delivered ${JSON.stringify(ci.delivered)}`);
    check(ci.num_ack_pending === 4 && ci.num_pending === 6 && ci.ack_floor.stream_seq === 0, `before acks ${JSON.stringify(ci)}`);
    for (const m of msgs.slice(0, 3)) m.ack();
    check((await msgs[3].ackAck()) === true, "ackAck");
    await eventually(async () => {
      ci = await c.info();
      return [ci.ack_floor.stream_seq === 4 && ci.ack_floor.consumer_seq === 4 && ci.num_ack_pending === 0, JSON.stringify(ci.ack_floor)];
    }, "ack floor after acks");
    // asking for more than there is: the 6 left, then the request expires
    t0 = Date.now();
    msgs = await drain(await c.fetch({ max_messages: 10, expires: 1000 }));
    const took = Date.now() - t0;
    check(seqs(msgs) === "5,6,7,8,9,10", `second batch ${seqs(msgs)}`);
    check(msgs.map((m) => m.info.deliverySequence).join(",") === "5,6,7,8,9,10", "delivery sequences");
    check(msgs[5].info.pending === 0, `last pending ${msgs[5].info.pending}`);
    check(took >= 800 && took < 3000, `partial batch ends at expiry (${took} ms)`);
    for (const m of msgs) m.ack();
    await nc.flush();
    // empty stream tail: nothing, after expires
    t0 = Date.now();
    msgs = await drain(await c.fetch({ max_messages: 5, expires: 1000 }));
    check(msgs.length === 0 && Date.now() - t0 >= 800, `empty fetch ${msgs.length} after ${Date.now() - t0} ms`);
    await eventually(async () => {
      ci = await c.info();
      return [ci.ack_floor.stream_seq === 10 && ci.num_ack_pending === 0 && ci.num_pending === 0, JSON.stringify(ci)];
    }, "final state");
  });

  // ---------------------------------------------------------------- pull: consume
  await run("pull_consume", async () => {
    await jsm.streams.add({ name: "PC", subjects: ["pc.>"] });
    for (let i = 1; i <= 10; i++) await js.publish(`pc.${i}`, sc.encode(`c${i}`));
    await jsm.consumers.add("PC", { durable_name: "p2", ack_policy: AckPolicy.Explicit });
    const c = await js.consumers.get("PC", "p2");
    const iter = await c.consume({ max_messages: 3, expires: 2000 });
    const got = [];
    for await (const m of iter) {
      got.push(m);
      check(m.subject === `pc.${got.length}` && sc.decode(m.data) === `c${got.length}`, `message ${got.length}: ${m.subject}`);
      check(m.info.deliverySequence === got.length && m.info.redeliveryCount === 1, `delivery ${got.length}`);
      if (got.length === 12) {
        await m.ackAck();
        iter.stop();
      } else {
        m.ack();
      }
      if (got.length === 10) {
        check(m.info.pending === 0, `pending at 10: ${m.info.pending}`);
        // consume keeps pulling: new messages arrive without another call
        await js.publish("pc.11", sc.encode("c11"));
        await js.publish("pc.12", sc.encode("c12"));
      }
    }
    await iter.closed();
    check(seqs(got) === range(1, 12), `order ${seqs(got)}`);
    await eventually(async () => {
      const ci = await c.info();
      return [ci.ack_floor.stream_seq === 12 && ci.delivered.consumer_seq === 12 && ci.num_ack_pending === 0 && ci.num_pending === 0, JSON.stringify(ci)];
    }, "state after consume");
  }, 6000);

  // ---------------------------------------------------------------- pull: next
  await run("pull_next", async () => {
    await jsm.streams.add({ name: "PN", subjects: ["pn"] });
    for (let i = 1; i <= 3; i++) await js.publish("pn", sc.encode(`n${i}`));
    await jsm.consumers.add("PN", { durable_name: "n1", ack_policy: AckPolicy.Explicit });
    const c = await js.consumers.get("PN", "n1");
    for (let i = 1; i <= 3; i++) {
      const m = await c.next({ expires: 1500 });
      check(m !== null, `next ${i} returned null`);
      check(m.seq === i && sc.decode(m.data) === `n${i}` && m.info.deliverySequence === i && m.info.pending === 3 - i, `next ${i}: seq ${m.seq} pending ${m.info.pending}`);
      await m.ackAck();
    }
    let t0 = Date.now();
    let m = await c.next({ expires: 1000 });
    check(m === null && Date.now() - t0 >= 800, `next on an empty consumer: ${m && m.seq} after ${Date.now() - t0} ms`);
    // a waiting next is answered by a publish
    const waiting = c.next({ expires: 3000 });
    await sleep(200);
    await js.publish("pn", sc.encode("n4"));
    m = await waiting;
    check(m && m.seq === 4 && sc.decode(m.data) === "n4" && m.info.deliverySequence === 4, `next answered by a publish: ${m && m.seq}`);
    await m.ackAck();
    const ci = await c.info();
    check(ci.ack_floor.stream_seq === 4 && ci.num_pending === 0 && ci.num_ack_pending === 0, `state ${JSON.stringify(ci)}`);
  });

  // ---------------------------------------------------------------- pull: nak and redelivery
  await run("pull_nak_redelivery", async () => {
    await jsm.streams.add({ name: "NK", subjects: ["nk"] });
    for (let i = 1; i <= 3; i++) await js.publish("nk", sc.encode(`k${i}`));
    await jsm.consumers.add("NK", { durable_name: "k1", ack_policy: AckPolicy.Explicit, ack_wait: nanos(30_000) });
    const c = await js.consumers.get("NK", "k1");
    const first = await drain(await c.fetch({ max_messages: 1, expires: 1500 }));
    check(first.length === 1 && first[0].seq === 1 && first[0].info.redeliveryCount === 1, "first delivery");
    first[0].nak();
    // the nak travels apart from the pull request; let it land first
    await nc.flush();
    await sleep(100);
    let m = await c.next({ expires: 1500 });
    check(m && m.seq === 1 && sc.decode(m.data) === "k1", `redelivered message ${m && m.seq}`);
    check(m.info.redeliveryCount === 2 && m.redelivered === true && m.info.deliverySequence === 2, `redelivery info ${JSON.stringify(m.info)}`);
    let ci = await c.info();
    check(ci.num_redelivered === 1 && ci.num_ack_pending === 1 && ci.delivered.consumer_seq === 2 && ci.delivered.stream_seq === 1, `after nak ${JSON.stringify(ci)}`);
    await m.ackAck();
    m = await c.next({ expires: 1500 });
    check(m && m.seq === 2 && m.info.deliverySequence === 3 && m.info.redeliveryCount === 1, `next after redelivery ${m && m.seq}`);
    // nak with a delay: the next message comes first, the nak'ed one after the delay
    const nakAt = Date.now();
    m.nak(1500);
    m = await c.next({ expires: 1500 });
    check(m && m.seq === 3 && m.info.deliverySequence === 4, `message after a delayed nak ${m && m.seq}`);
    await m.ackAck();
    m = await c.next({ expires: 3000 });
    check(m && m.seq === 2 && m.info.redeliveryCount === 2 && m.info.deliverySequence === 5, `delayed redelivery ${m && m.seq}`);
    check(Date.now() - nakAt >= 1200, `nak delay honoured (${Date.now() - nakAt} ms)`);
    await m.ackAck();
    ci = await c.info();
    check(ci.ack_floor.stream_seq === 3 && ci.num_ack_pending === 0 && ci.num_redelivered === 0 && ci.num_pending === 0, `final ${JSON.stringify(ci)}`);
  });

  // ---------------------------------------------------------------- pull: ack_wait and working()
  await run("pull_ack_wait_and_working", async () => {
    await jsm.streams.add({ name: "WK", subjects: ["wk"] });
    await js.publish("wk", sc.encode("w1"));
    await js.publish("wk", sc.encode("w2"));
    await jsm.consumers.add("WK", { durable_name: "w1", ack_policy: AckPolicy.Explicit, ack_wait: nanos(1000) });
    const c = await js.consumers.get("WK", "w1");
    const t0 = Date.now();
    const [a, b] = await drain(await c.fetch({ max_messages: 2, expires: 1500 }));
    check(a && b && a.seq === 1 && b.seq === 2, "both delivered");
    // keep message 2 alive; leave message 1 to time out
    let working = true;
    const keepAlive = (async () => {
      while (working) {
        b.working();
        await sleep(300);
      }
    })();
    let m = await c.next({ expires: 3000 });
    const at = Date.now() - t0;
    check(m && m.seq === 1 && m.info.redeliveryCount === 2 && m.info.deliverySequence === 3, `redelivery after ack_wait: ${m && m.seq} ${m && JSON.stringify(m.info)}`);
    check(at >= 800, `redelivered only after ack_wait (${at} ms)`);
    await m.ackAck();
    // message 2 is still being worked on: nothing is redelivered
    m = await c.next({ expires: 1500 });
    check(m === null, `working() did not hold message ${m && m.seq} (redeliveryCount ${m && m.info.redeliveryCount})`);
    working = false;
    await keepAlive;
    check(Date.now() - t0 > 2000, "message 2 was held past ack_wait");
    check((await b.ackAck()) === true, "late ack");
    const ci = await c.info();
    check(ci.ack_floor.stream_seq === 2 && ci.num_ack_pending === 0 && ci.delivered.consumer_seq === 3, `final ${JSON.stringify(ci)}`);
  });

  // ---------------------------------------------------------------- pull: term and max_deliver
  await run("pull_term_and_max_deliver", async () => {
    await jsm.streams.add({ name: "TM", subjects: ["tm"] });
    await js.publish("tm", sc.encode("t1"));
    await js.publish("tm", sc.encode("t2"));
    await jsm.consumers.add("TM", { durable_name: "t1", ack_policy: AckPolicy.Explicit, max_deliver: 2, ack_wait: nanos(30_000) });
    const c = await js.consumers.get("TM", "t1");
    let m = await c.next({ expires: 1500 });
    check(m && m.seq === 1, "first");
    m.term();
    m = await c.next({ expires: 1500 });
    check(m && m.seq === 2 && m.info.deliverySequence === 2, `terminated message not redelivered; got ${m && m.seq}`);
    let ci;
    await eventually(async () => {
      ci = await c.info();
      return [ci.ack_floor.stream_seq === 1 && ci.num_ack_pending === 1, JSON.stringify(ci)];
    }, "after term");
    m.nak();
    m = await c.next({ expires: 1500 });
    check(m && m.seq === 2 && m.info.redeliveryCount === 2 && m.info.deliverySequence === 3, `second delivery ${m && m.seq}`);
    m.nak();
    m = await c.next({ expires: 1000 });
    check(m === null, `max_deliver 2 exceeded: got ${m && m.seq} count ${m && m.info.redeliveryCount}`);
    ci = await c.info();
    check(ci.delivered.consumer_seq === 3 && ci.delivered.stream_seq === 2 && ci.num_pending === 0, `final ${JSON.stringify(ci)}`);
  });

  // ---------------------------------------------------------------- pull: ack all, max_ack_pending
  await run("pull_ack_all_and_max_ack_pending", async () => {
    await jsm.streams.add({ name: "AA", subjects: ["aa"] });
    for (let i = 1; i <= 6; i++) await js.publish("aa", sc.encode(`a${i}`));
    // ack_policy all: acking the 3rd acknowledges 1..3
    await jsm.consumers.add("AA", { durable_name: "all", ack_policy: AckPolicy.All });
    let c = await js.consumers.get("AA", "all");
    let msgs = await drain(await c.fetch({ max_messages: 4, expires: 1500 }));
    check(seqs(msgs) === "1,2,3,4", `ack all batch ${seqs(msgs)}`);
    check((await msgs[2].ackAck()) === true, "ackAck of 3");
    let ci = await c.info();
    check(ci.config.ack_policy === "all" && ci.ack_floor.stream_seq === 3 && ci.num_ack_pending === 1, `ack all state ${JSON.stringify(ci)}`);
    // max_ack_pending 2: a pull for 5 gets 2 until they are acked
    await jsm.consumers.add("AA", { durable_name: "map", ack_policy: AckPolicy.Explicit, max_ack_pending: 2 });
    c = await js.consumers.get("AA", "map");
    msgs = await drain(await c.fetch({ max_messages: 5, expires: 1000 }));
    check(seqs(msgs) === "1,2", `limited by max_ack_pending: ${seqs(msgs)}`);
    ci = await c.info();
    check(ci.config.max_ack_pending === 2 && ci.num_ack_pending === 2 && ci.num_pending === 4, `at the limit ${JSON.stringify(ci)}`);
    msgs[0].ack();
    await msgs[1].ackAck();
    msgs = await drain(await c.fetch({ max_messages: 2, expires: 1500 }));
    check(seqs(msgs) === "3,4", `after acks ${seqs(msgs)}`);
  });

  await run("consumers_get_errors", async () => {
    let e = await rejects(js.consumers.get("AA", "nope"), "get of a missing consumer");
    check(errCode(e) === 10014, `missing consumer: ${errCode(e)} ${e.message}`);
    e = await rejects(js.consumers.get("NOPE", "x"), "get on a missing stream");
    check(errCode(e) === 10059, `missing stream: ${errCode(e)} ${e.message}`);
    e = await rejects(js.consumers.get("NOPE"), "ordered get on a missing stream");
    check(errCode(e) === 10059, `ordered on a missing stream: ${errCode(e)} ${e.message}`);
    // a push consumer (deliver_subject echoed back) is refused by the pull API
    await jsm.consumers.add("AA", { durable_name: "pushy", ack_policy: AckPolicy.Explicit, deliver_subject: createInbox() });
    e = await rejects(js.consumers.get("AA", "pushy"), "get of a push consumer");
    check(e.message === "push consumer not supported", `push consumer: ${e.message}`);
    await jsm.consumers.delete("AA", "pushy");
  });

  // ---------------------------------------------------------------- ordered pull consumers
  await jsm.streams.add({ name: "ORD", subjects: ["ord.*"] });
  // ord.a at odd sequences, ord.b at even ones
  for (let i = 1; i <= 20; i++) await js.publish(i % 2 ? "ord.a" : "ord.b", sc.encode(`o${i}`));

  await run("ordered_consume", async () => {
    const oc = await js.consumers.get("ORD");
    const iter = await oc.consume({ max_messages: 7 });
    const it = iter[Symbol.asyncIterator]();
    const got = await nextN(it, 20, 2000, "ordered consume");
    check(seqs(got) === range(1, 20), `order ${seqs(got)}`);
    check(got.map((m) => m.info.deliverySequence).join(",") === range(1, 20), "delivery sequences");
    got.forEach((m, i) => check(sc.decode(m.data) === `o${i + 1}` && m.info.pending === 19 - i, `message ${i + 1}: pending ${m.info.pending}`));
    const ci = await oc.info();
    check(ci.config.ack_policy === "none" && ci.config.max_deliver === 1 && ci.config.mem_storage === true, `ordered config ${JSON.stringify(ci.config)}`);
    check(ci.config.deliver_policy === "by_start_sequence" && ci.config.opt_start_seq === 1, "ordered start");
    // it continues with new messages
    await js.publish("ord.a", sc.encode("o21"));
    await js.publish("ord.b", sc.encode("o22"));
    const more = await nextN(it, 2, 2000, "ordered after publish");
    check(seqs(more) === "21,22" && more.map((m) => m.info.deliverySequence).join(",") === "21,22", `after publish ${seqs(more)}`);
    iter.stop();
    await iter.closed();
  });

  await run("ordered_fetch_and_next", async () => {
    let oc = await js.consumers.get("ORD");
    const msgs = await drain(await oc.fetch({ max_messages: 5, expires: 1500 }));
    check(seqs(msgs) === "1,2,3,4,5", `fetch ${seqs(msgs)}`);
    const rest = await drain(await oc.fetch({ max_messages: 30, expires: 1000 }));
    check(seqs(rest) === range(6, 22), `second fetch continues ${seqs(rest)}`);
    check(rest[0].info.deliverySequence === 6, `delivery continues ${rest[0].info.deliverySequence}`);
    oc = await js.consumers.get("ORD");
    let m = await oc.next({ expires: 1500 });
    check(m && m.seq === 1 && sc.decode(m.data) === "o1", `next ${m && m.seq}`);
    m = await oc.next({ expires: 1500 });
    check(m && m.seq === 2 && m.info.deliverySequence === 2, `second next ${m && m.seq}`);
  });

  await run("ordered_filter_and_start_seq", async () => {
    const oc = await js.consumers.get("ORD", { filterSubjects: "ord.b", deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 10 });
    const iter = await oc.consume({ max_messages: 10 });
    const it = iter[Symbol.asyncIterator]();
    const got = await nextN(it, 7, 2000, "filtered ordered");
    check(seqs(got) === "10,12,14,16,18,20,22", `filtered ${seqs(got)}`);
    check(got.every((m) => m.subject === "ord.b"), "subjects");
    check(got.map((m) => m.info.deliverySequence).join(",") === "1,2,3,4,5,6,7", `delivery ${got.map((m) => m.info.deliverySequence)}`);
    check(got[6].info.pending === 0 && got[0].info.pending === 6, `pending ${got[0].info.pending}..${got[6].info.pending}`);
    const ci = await oc.info();
    check(ci.config.filter_subject === "ord.b" && ci.config.opt_start_seq === 10, `config ${JSON.stringify(ci.config)}`);
    await js.publish("ord.a", sc.encode("o23"));
    await js.publish("ord.b", sc.encode("o24"));
    const more = await nextN(it, 1, 2000, "filtered after publish");
    check(more[0].seq === 24 && more[0].info.deliverySequence === 8, `after publish ${more[0].seq}`);
    iter.stop();
    await iter.closed();
    // last_per_subject: one message per subject, the latest
    const lps = await js.consumers.get("ORD", { deliver_policy: DeliverPolicy.LastPerSubject });
    const last = await drain(await lps.fetch({ max_messages: 5, expires: 1000 }));
    check(seqs(last) === "23,24", `last per subject ${seqs(last)}`);
  });

  // ---------------------------------------------------------------- legacy push subscriptions
  await jsm.streams.add({ name: "PUSH", subjects: ["push.*"] });
  for (let i = 1; i <= 5; i++) {
    const h = headers();
    h.set("X-N", String(i));
    await js.publish("push.a", sc.encode(`p${i}`), { headers: h });
  }

  await run("push_durable_explicit", async () => {
    const opts = consumerOpts();
    opts.durable("pd");
    opts.deliverTo(createInbox());
    opts.ackExplicit();
    opts.manualAck();
    opts.deliverAll();
    const sub = await js.subscribe("push.a", opts);
    const it = sub[Symbol.asyncIterator]();
    const msgs = await nextN(it, 5, 2000, "durable push");
    msgs.forEach((m, i) => {
      const k = i + 1;
      check(m.subject === "push.a" && sc.decode(m.data) === `p${k}` && m.headers && m.headers.get("X-N") === String(k), `content ${k}`);
      check(m.info.stream === "PUSH" && m.info.consumer === "pd", `names ${m.info.stream} ${m.info.consumer}`);
      check(m.info.streamSequence === k && m.info.deliverySequence === k && m.info.redeliveryCount === 1 && m.info.pending === 5 - k, `info ${k}: ${JSON.stringify(m.info)}`);
    });
    for (const m of msgs.slice(0, 4)) m.ack();
    await msgs[4].ackAck();
    let ci;
    await eventually(async () => {
      ci = await sub.consumerInfo();
      return [ci.ack_floor.stream_seq === 5 && ci.num_ack_pending === 0, JSON.stringify(ci)];
    }, "acks");
    check(ci.name === "pd" && ci.config.durable_name === "pd" && ci.config.ack_policy === "explicit" && ci.config.filter_subject === "push.a", "config");
    check(typeof ci.config.deliver_subject === "string" && ci.config.deliver_subject.startsWith("_INBOX."), `deliver_subject ${ci.config.deliver_subject}`);
    check(ci.push_bound === true && ci.num_pending === 0 && ci.delivered.consumer_seq === 5, `bound/pending ${JSON.stringify(ci)}`);
    // new messages are pushed
    await js.publish("push.a", sc.encode("p6"));
    await js.publish("push.b", sc.encode("other subject"));
    const [m6] = await nextN(it, 1, 2000, "pushed after publish");
    check(m6.seq === 6 && sc.decode(m6.data) === "p6" && m6.info.deliverySequence === 6 && m6.info.pending === 0, `p6 ${m6.seq}`);
    // nak is redelivered on push too
    m6.nak();
    const [r6] = await nextN(it, 1, 2000, "push redelivery");
    check(r6.seq === 6 && r6.info.redeliveryCount === 2 && r6.redelivered && r6.info.deliverySequence === 7, `redelivery ${JSON.stringify(r6.info)}`);
    await r6.ackAck();
    // unsubscribing leaves the durable, unbound (the ack floor passes push.b's 7, outside the filter)
    sub.unsubscribe();
    await eventually(async () => {
      ci = await jsm.consumers.info("PUSH", "pd");
      return [!ci.push_bound && ci.ack_floor.stream_seq === 7 && ci.num_ack_pending === 0, JSON.stringify(ci)];
    }, "durable after unsubscribe");
  });

  await run("push_ordered", async () => {
    const opts = consumerOpts();
    opts.orderedConsumer();
    const sub = await js.subscribe("push.*", opts);
    const it = sub[Symbol.asyncIterator]();
    const msgs = await nextN(it, 7, 2000, "ordered push");
    check(seqs(msgs) === range(1, 7), `order ${seqs(msgs)}`);
    check(msgs.map((m) => m.info.deliverySequence).join(",") === range(1, 7), "delivery sequences");
    check(msgs[6].subject === "push.b" && msgs[6].info.pending === 0 && msgs[0].info.pending === 6, "last/pending");
    const ci = await sub.consumerInfo();
    check(ci.config.ack_policy === "none" && ci.config.flow_control === true && ci.config.idle_heartbeat === 5_000_000_000, `config ${JSON.stringify(ci.config)}`);
    check(ci.config.max_deliver === 1 && ci.config.mem_storage === true && ci.config.durable_name === undefined, "ephemeral/mem");
    check(ci.config.filter_subject === "push.*" && ci.push_bound === true, `filter ${ci.config.filter_subject}`);
    await js.publish("push.c", sc.encode("c1"));
    await js.publish("push.a", sc.encode("a7"));
    const more = await nextN(it, 2, 2000, "ordered push after publish");
    check(seqs(more) === "8,9" && more[0].subject === "push.c" && more[1].info.deliverySequence === 9, `after publish ${seqs(more)}`);
    sub.unsubscribe();
  });

  await run("push_headers_only", async () => {
    await jsm.streams.add({ name: "HO", subjects: ["ho"] });
    const bodies = ["a", "bbbbbbbbbb", "x".repeat(300)];
    for (let i = 0; i < bodies.length; i++) {
      const h = headers();
      h.set("X-Id", `id-${i}`);
      await js.publish("ho", sc.encode(bodies[i]), { headers: h });
    }
    const opts = consumerOpts();
    opts.deliverTo(createInbox());
    opts.headersOnly();
    opts.ackNone();
    opts.deliverAll();
    const sub = await js.subscribe("ho", opts);
    const it = sub[Symbol.asyncIterator]();
    const msgs = await nextN(it, 3, 2000, "headers only");
    msgs.forEach((m, i) => {
      check(m.data.length === 0, `body delivered (${m.data.length} bytes)`);
      check(m.headers.get("Nats-Msg-Size") === String(bodies[i].length), `Nats-Msg-Size ${m.headers.get("Nats-Msg-Size")} for ${bodies[i].length}`);
      check(m.headers.get("X-Id") === `id-${i}` && m.seq === i + 1 && m.subject === "ho", `headers kept ${i}`);
    });
    const ci = await sub.consumerInfo();
    check(ci.config.headers_only === true && ci.config.ack_policy === "none", `config ${JSON.stringify(ci.config)}`);
    sub.unsubscribe();
  });

  await run("push_last_per_subject", async () => {
    await jsm.streams.add({ name: "LPS", subjects: ["lps.*"] });
    const seq = [["lps.a", "a1"], ["lps.b", "b1"], ["lps.a", "a2"], ["lps.c", "c1"], ["lps.b", "b2"]];
    for (const [s, d] of seq) await js.publish(s, sc.encode(d));
    const opts = consumerOpts();
    opts.deliverTo(createInbox());
    opts.deliverLastPerSubject();
    opts.ackExplicit();
    opts.manualAck();
    const sub = await js.subscribe("lps.*", opts);
    const it = sub[Symbol.asyncIterator]();
    const msgs = await nextN(it, 3, 2000, "last per subject");
    check(seqs(msgs) === "3,4,5", `sequences ${seqs(msgs)}`);
    check(msgs.map((m) => sc.decode(m.data)).join(",") === "a2,c1,b2", `data ${msgs.map((m) => sc.decode(m.data))}`);
    check(msgs.map((m) => m.info.pending).join(",") === "2,1,0", `pending ${msgs.map((m) => m.info.pending)}`);
    for (const m of msgs) m.ack();
    await js.publish("lps.a", sc.encode("a3"));
    const [m] = await nextN(it, 1, 2000, "after publish");
    check(m.seq === 6 && sc.decode(m.data) === "a3" && m.info.deliverySequence === 4, `new message ${m.seq}`);
    await m.ackAck();
    const ci = await sub.consumerInfo();
    check(ci.config.deliver_policy === "last_per_subject" && ci.num_ack_pending === 0 && ci.ack_floor.stream_seq === 6, `state ${JSON.stringify(ci)}`);
    sub.unsubscribe();
  });

  await run("push_queue_group", async () => {
    await jsm.streams.add({ name: "QG", subjects: ["qg.job"] });
    const inbox = createInbox();
    const got = [[], []];
    let done;
    const all = new Promise((r) => (done = r));
    const subs = [];
    for (let k = 0; k < 2; k++) {
      const opts = consumerOpts();
      opts.durable("workers");
      opts.deliverTo(inbox);
      opts.queue("grp");
      opts.ackExplicit();
      opts.manualAck();
      opts.callback((err, m) => {
        if (err || !m) return;
        got[k].push(m);
        m.ack();
        if (got[0].length + got[1].length === 40) done();
      });
      subs.push(await js.subscribe("qg.job", opts));
    }
    for (let i = 1; i <= 40; i++) await js.publish("qg.job", sc.encode(`j${i}`));
    await Promise.race([all, sleep(2000)]);
    const seen = [...got[0], ...got[1]].map((m) => m.seq).sort((x, y) => x - y);
    check(seen.join(",") === range(1, 40), `each job once: ${seen.join(",")}`);
    check(got[0].length > 0 && got[1].length > 0, `both members got work: ${got[0].length}/${got[1].length}`);
    for (const g of got) check(g.every((m, i) => i === 0 || m.seq > g[i - 1].seq), "each member sees increasing sequences");
    check([...got[0], ...got[1]].every((m) => m.info.consumer === "workers" && m.info.redeliveryCount === 1), "info");
    let ci;
    await eventually(async () => {
      ci = await jsm.consumers.info("QG", "workers");
      return [ci.ack_floor.stream_seq === 40 && ci.num_ack_pending === 0, JSON.stringify(ci)];
    }, "acks");
    check(ci.config.deliver_group === "grp" && ci.config.deliver_subject === inbox && ci.push_bound === true, `config ${JSON.stringify(ci.config)}`);
    // a subscriber outside the group is refused by the client (push_bound is set)
    const bad = consumerOpts();
    bad.durable("workers");
    bad.deliverTo(inbox);
    bad.ackExplicit();
    const e = await rejects(js.subscribe("qg.job", bad), "subscribe without the queue group");
    check(e.message === "duplicate subscription", `outside the group: ${e.message}`);
    for (const s of subs) s.unsubscribe();
  });

  await nc.drain();
}

await finish(main);
