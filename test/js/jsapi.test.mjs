// jsapi.test.mjs — nats.js (npm `nats` 2.x) against the JetStream stream API of the server named
// by WEIR_SERVER: the JetStream manager's streams.add / info (subjects_filter, deleted_details) /
// update / purge / delete / list / names / find / getMessage / deleteMessage, account info,
// js.publish with message ids and expectations, direct gets (single and multi_last batches),
// mirrors, and compression (2.10).
// Prints "PASS name" / "FAIL name: why" per case.
//
//   WEIR_SERVER=/usr/sbin/nats-server node test/js/jsapi.test.mjs
// Batched direct gets are checked only when $JS.API.INFO announces api level >= 1 (2.11).
import { connect, headers, StringCodec } from "nats";
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

async function collect(iter) {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

async function main() {
  const servers = await startServer();
  const nc = await connect({ servers, name: "weir-js-jsapi", timeout: 5000 });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const ai0 = await jsm.getAccountInfo();
  const apiLevel = ai0.api && typeof ai0.api.level === "number" ? ai0.api.level : 0;

  await run("add_and_info", async () => {
    const si = await jsm.streams.add({ name: "ORDERS", subjects: ["orders.*"], max_msgs_per_subject: 3, allow_direct: true });
    check(si.config.name === "ORDERS", "name");
    check(JSON.stringify(si.config.subjects) === '["orders.*"]', `subjects ${si.config.subjects}`);
    check(si.config.max_msgs_per_subject === 3 && si.config.max_msgs === -1, "limits");
    check(si.config.retention === "limits" && si.config.storage === "file" && si.config.discard === "old", "policies");
    check(si.config.num_replicas === 1 && si.config.duplicate_window === 120_000_000_000, "defaults");
    check(si.state.messages === 0 && si.state.first_seq === 0 && si.state.last_seq === 0, "empty state");
    check(!Number.isNaN(Date.parse(si.created)), `created ${si.created}`);
    // identical config again: fine; a different one: name in use; overlapping subjects: refused
    await jsm.streams.add({ name: "ORDERS", subjects: ["orders.*"], max_msgs_per_subject: 3, allow_direct: true });
    let e = await rejects(jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] }), "name in use");
    check(errCode(e) === 10058, `name in use: ${errCode(e)} ${e.message}`);
    e = await rejects(jsm.streams.add({ name: "OTHER", subjects: ["orders.new"] }), "overlap");
    check(errCode(e) === 10065, `overlap: ${errCode(e)} ${e.message}`);
    e = await rejects(jsm.streams.info("NOPE"), "info of a missing stream");
    check(errCode(e) === 10059, `missing: ${errCode(e)} ${e.message}`);
  });

  await run("publish_and_expectations", async () => {
    for (let i = 1; i <= 6; i++) {
      const pa = await js.publish(i % 2 ? "orders.new" : "orders.paid", sc.encode(`order ${i}`));
      check(pa.stream === "ORDERS" && pa.seq === i && !pa.duplicate, `ack ${JSON.stringify(pa)}`);
    }
    let e = await rejects(js.publish("orders.new", sc.encode("x"), { expect: { lastSequence: 2 } }), "wrong last sequence");
    check(errCode(e) === 10071, `wrong last seq: ${errCode(e)} ${e.message}`);
    e = await rejects(js.publish("orders.new", sc.encode("x"), { expect: { streamName: "OTHER" } }), "wrong stream");
    check(errCode(e) === 10060, `wrong stream: ${errCode(e)} ${e.message}`);
    let pa = await js.publish("orders.new", sc.encode("7"), { expect: { lastSequence: 6, lastSubjectSequence: 5 } });
    check(pa.seq === 7, `expected seq 7, got ${pa.seq}`);
    pa = await js.publish("orders.new", sc.encode("id"), { msgID: "m-1" });
    const dup = await js.publish("orders.new", sc.encode("id again"), { msgID: "m-1" });
    check(dup.duplicate === true && dup.seq === pa.seq, `duplicate ${JSON.stringify(dup)}`);
    const si = await jsm.streams.info("ORDERS", { subjects_filter: ">" });
    // max_msgs_per_subject 3: orders.new keeps 3 of its 5, orders.paid its 3
    check(si.state.messages === 6 && si.state.last_seq === 8, `state ${JSON.stringify(si.state)}`);
    check(si.state.subjects["orders.new"] === 3 && si.state.subjects["orders.paid"] === 3, `subjects ${JSON.stringify(si.state.subjects)}`);
    check(si.state.num_subjects === 2 && si.state.bytes > 0, "num_subjects/bytes");
  });

  await run("get_and_delete_message", async () => {
    await jsm.streams.add({ name: "MSGS", subjects: ["msgs.>"] });
    const h = headers();
    h.set("X-Kind", "first");
    await js.publish("msgs.a", sc.encode("one"), { headers: h });
    await js.publish("msgs.b", sc.encode("two"));
    await js.publish("msgs.a", sc.encode("three"));
    let sm = await jsm.streams.getMessage("MSGS", { seq: 1 });
    check(sm.subject === "msgs.a" && sm.seq === 1 && sc.decode(sm.data) === "one", "by seq");
    check(sm.header && sm.header.get("X-Kind") === "first", "headers of the stored message");
    check(sm.time instanceof Date && Math.abs(sm.time.getTime() - Date.now()) < 60_000, `time ${sm.time}`);
    sm = await jsm.streams.getMessage("MSGS", { last_by_subj: "msgs.a" });
    check(sm.seq === 3 && sc.decode(sm.data) === "three", "last by subject");
    let e = await rejects(jsm.streams.getMessage("MSGS", { seq: 99 }), "missing message");
    check(errCode(e) === 10037, `missing message: ${errCode(e)}`);
    check((await jsm.streams.deleteMessage("MSGS", 2, false)) === true, "delete without erase");
    check((await jsm.streams.deleteMessage("MSGS", 1)) === true, "erase");
    e = await rejects(jsm.streams.deleteMessage("MSGS", 2), "delete twice");
    check(errCode(e) === 10057 || errCode(e) === 10043, `delete twice: ${errCode(e)}`);
    const si = await jsm.streams.info("MSGS", { deleted_details: true });
    check(si.state.messages === 1 && si.state.first_seq === 3 && si.state.last_seq === 3, `state ${JSON.stringify(si.state)}`);
  });

  await run("deleted_details", async () => {
    await jsm.streams.add({ name: "GAPS", subjects: ["gaps"] });
    for (let i = 0; i < 5; i++) await js.publish("gaps", sc.encode(String(i)));
    await jsm.streams.deleteMessage("GAPS", 2);
    await jsm.streams.deleteMessage("GAPS", 4, false);
    const si = await jsm.streams.info("GAPS", { deleted_details: true });
    check(si.state.num_deleted === 2, `num_deleted ${si.state.num_deleted}`);
    check(JSON.stringify(si.state.deleted) === "[2,4]", `deleted ${JSON.stringify(si.state.deleted)}`);
  });

  await run("direct_get", async () => {
    await jsm.streams.add({ name: "KV_LIKE", subjects: ["kv.>"], allow_direct: true });
    await js.publish("kv.a", sc.encode("a1"));
    await js.publish("kv.b", sc.encode("b1"));
    await js.publish("kv.a", sc.encode("a2"));
    let m = await jsm.direct.getMessage("KV_LIKE", { seq: 2 });
    check(m.subject === "kv.b" && m.seq === 2 && sc.decode(m.data) === "b1", `by seq: ${m.subject} ${m.seq}`);
    check(m.header.get("Nats-Stream") === "KV_LIKE" && m.header.get("Nats-Sequence") === "2", "headers");
    check(m.time instanceof Date && !Number.isNaN(m.time.getTime()), "time");
    m = await jsm.direct.getMessage("KV_LIKE", { last_by_subj: "kv.a" });
    check(m.seq === 3 && sc.decode(m.data) === "a2", "last by subject (subject-appended form)");
    m = await jsm.direct.getMessage("KV_LIKE", { next_by_subj: "kv.a", seq: 2 });
    check(m.seq === 3, "next by subject");
    const e = await rejects(jsm.direct.getMessage("KV_LIKE", { seq: 50 }), "missing message");
    check(String(e.code) === "404" || /not found/i.test(e.message), `missing: ${e.code} ${e.message}`);
  });

  await run("direct_get_batch", async () => {
    if (apiLevel < 1) {
      console.log("info: batched direct get needs api level 1 (nats-server 2.11); skipped");
      return;
    }
    const iter = await jsm.direct.getBatch("KV_LIKE", { multi_last: ["kv.*"] });
    const msgs = await collect(iter);
    const got = msgs.map((x) => `${x.subject}@${x.seq}`).join(",");
    check(got === "kv.b@2,kv.a@3", `multi_last got ${got}`);
    const older = await collect(await jsm.direct.getBatch("KV_LIKE", { multi_last: ["kv.a"], up_to_seq: 2 }));
    check(older.length === 1 && older[0].seq === 1, `up_to_seq got ${older.map((x) => x.seq)}`);
  });

  await run("update", async () => {
    await jsm.streams.add({ name: "UPD", subjects: ["upd.a"] });
    for (let i = 0; i < 5; i++) await js.publish("upd.a", sc.encode("x"));
    const si = await jsm.streams.update("UPD", { subjects: ["upd.a", "upd.b"], max_msgs: 2 });
    check(si.config.subjects.length === 2 && si.config.max_msgs === 2, "new config");
    check(si.state.messages === 2 && si.state.first_seq === 4, `limit applied: ${JSON.stringify(si.state)}`);
    const pa = await js.publish("upd.b", sc.encode("new subject"));
    check(pa.seq === 6, `new subject captured at ${pa.seq}`);
    const e = await rejects(jsm.streams.update("NOPE", { subjects: ["nope"] }), "update of a missing stream");
    check(errCode(e) === 10059, `missing: ${errCode(e)}`);
  });

  await run("purge", async () => {
    await jsm.streams.add({ name: "PG", subjects: ["pg.*"] });
    for (let i = 0; i < 10; i++) await js.publish(i % 2 ? "pg.a" : "pg.b", sc.encode(String(i)));
    let r = await jsm.streams.purge("PG", { filter: "pg.a", keep: 1 });
    check(r.success === true && r.purged === 4, `filter+keep: ${JSON.stringify(r)}`);
    r = await jsm.streams.purge("PG", { seq: 5 });
    check(r.success === true && r.purged === 2, `below seq 5: ${JSON.stringify(r)}`);
    r = await jsm.streams.purge("PG");
    check(r.success === true && r.purged === 4, `all: ${JSON.stringify(r)}`);
    const si = await jsm.streams.info("PG");
    check(si.state.messages === 0 && si.state.first_seq === 11, `after purge: ${JSON.stringify(si.state)}`);
  });

  await run("list_names_find", async () => {
    const names = (await jsm.streams.names().next()).sort();
    for (const n of ["GAPS", "KV_LIKE", "MSGS", "ORDERS", "PG", "UPD"]) check(names.includes(n), `names lacks ${n}: ${names}`);
    const infos = await jsm.streams.list().next();
    check(infos.length === names.length && infos.every((i) => i.config && i.state), "list");
    const orders = infos.find((i) => i.config.name === "ORDERS");
    check(orders && orders.state.messages === 6, "list carries state");
    check((await jsm.streams.find("kv.zzz")) === "KV_LIKE", "find by subject");
    const filtered = await jsm.streams.names("pg.x").next();
    check(JSON.stringify(filtered) === '["PG"]', `names filtered: ${filtered}`);
  });

  await run("delete_stream", async () => {
    check((await jsm.streams.delete("GAPS")) === true, "delete");
    const e = await rejects(jsm.streams.delete("GAPS"), "second delete");
    check(errCode(e) === 10059, `second delete: ${errCode(e)}`);
    const e2 = await rejects(js.publish("gaps", sc.encode("x"), { timeout: 1000 }), "publish to a deleted stream");
    check(e2.code === "503" || /no responders/i.test(e2.message), `publish: ${e2.code} ${e2.message}`);
  });

  await run("account_info", async () => {
    const ai = await jsm.getAccountInfo();
    const names = await jsm.streams.names().next();
    check(ai.streams === names.length, `streams ${ai.streams} vs ${names.length}`);
    check(ai.storage > 0 && ai.memory === 0, `usage ${ai.storage}/${ai.memory}`);
    check(ai.limits.max_memory === -1 && ai.limits.max_storage === -1 && ai.limits.max_streams === -1, "limits");
    check(ai.api.total > 0 && ai.api.errors > 0, `api ${JSON.stringify(ai.api)}`);
  });

  await run("mirror", async () => {
    const until = async (name, n) => {
      for (let i = 0; i < 100; i++) {
        const si = await jsm.streams.info(name);
        if (si.state.messages >= n) return si;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${name} did not reach ${n} messages`);
    };
    await jsm.streams.add({ name: "ORIG", subjects: ["orig.>"] });
    for (let i = 0; i < 10; i++) await js.publish(`orig.${i % 3}`, sc.encode(`m${i}`));
    await jsm.streams.deleteMessage("ORIG", 4);
    const m = await jsm.streams.add({ name: "MIR", mirror: { name: "ORIG" } });
    check(JSON.stringify(m.config.mirror) === '{"name":"ORIG"}' && m.config.subjects === undefined, "mirror config");
    await until("MIR", 9);
    for (let i = 0; i < 5; i++) await js.publish("orig.x", sc.encode(`n${i}`));
    const si = await until("MIR", 14);
    // the origin's sequences, its gap included
    check(si.state.first_seq === 1 && si.state.last_seq === 15 && si.state.num_deleted === 1, `state ${JSON.stringify(si.state)}`);
    check(si.mirror && si.mirror.name === "ORIG" && si.mirror.lag === 0 && si.mirror.active >= 0, `mirror info ${JSON.stringify(si.mirror)}`);
    const g = await jsm.streams.getMessage("MIR", { seq: 12 });
    check(g.subject === "orig.x" && sc.decode(g.data) === "n1", `seq 12: ${g.subject}`);
    // a filter and a start sequence: only orig.1 from sequence 3 on, at the origin's sequences
    await jsm.streams.add({ name: "MIRF", mirror: { name: "ORIG", filter_subject: "orig.1", opt_start_seq: 3 } });
    const sf = await until("MIRF", 2);
    check(sf.state.messages === 2 && sf.state.first_seq === 5 && sf.state.last_seq === 8, `filtered ${JSON.stringify(sf.state)}`);
    let e = await rejects(jsm.streams.add({ name: "BADM", subjects: ["b"], mirror: { name: "ORIG" } }), "mirror with subjects");
    check(errCode(e) === 10034, `subjects: ${errCode(e)}`);
    e = await rejects(jsm.streams.update("MIR", { ...m.config, mirror: { name: "MIRF" } }), "mirror change");
    check(errCode(e) === 10055, `update: ${errCode(e)}`);
    // the origin goes, the mirror keeps what it has
    await jsm.streams.delete("ORIG");
    check((await jsm.streams.info("MIR")).state.messages === 14, "mirror kept its messages");
    for (const n of ["MIR", "MIRF"]) await jsm.streams.delete(n);
  });

  // compression is a 2.10 field (2.9 ignores it): checked when the server announces 2.10 or later
  const [major, minor] = (nc.info.version || "0.0").split(".").map(Number);
  if (major > 2 || (major === 2 && minor >= 10)) {
    await run("compression_s2", async () => {
      const si = await jsm.streams.add({ name: "PACKED", subjects: ["packed.>"], compression: "s2" });
      check(si.config.compression === "s2", `compression ${si.config.compression}`);
      const body = "z".repeat(4000);
      for (let i = 0; i < 50; i++) await js.publish(`packed.${i}`, sc.encode(`${i}:${body}`));
      const m = await jsm.streams.getMessage("PACKED", { seq: 37 });
      check(m.subject === "packed.36" && sc.decode(m.data) === `36:${body}`, `message 37: ${m.subject}`);
      check((await jsm.streams.info("PACKED")).config.compression === "s2", "info keeps s2");
      const up = await jsm.streams.update("PACKED", { ...si.config, compression: "none" });
      check(up.config.compression === "none" && up.state.messages === 50, `update ${up.config.compression}`);
      const e = await rejects(jsm.streams.add({ name: "BADZ", subjects: ["badz"], compression: "zstd" }), "zstd");
      check(/compression/.test(e.message), `zstd: ${e.message}`);
      await jsm.streams.delete("PACKED");
    });
  }

  await nc.drain();
}

await finish(main);
