// kv.test.mjs — nats.js (npm `nats` 2.x) Key-Value (js.views.kv) against the server named by
// WEIR_SERVER: bucket create / status / reopen / bindOnly / listKvs / destroy, put / get (latest,
// by revision, 1 MiB values, direct and STREAM.MSG.GET paths), create / update with expected
// revisions, delete and purge markers, history depth, purgeDeletes, keys() over 10,000 keys and
// with filters, watchers (all keys, initial-values boundary via initializedFn, single key,
// wildcards, include history, updates only, ignoreDeletes, headers only, resumeFromRevision),
// bucket TTL, and two connections (watcher on one, 100 rapid puts on the other).
// Prints "PASS name" / "FAIL name: why" per case.
//
//   WEIR_SERVER=/usr/sbin/nats-server node test/js/kv.test.mjs
// Every case passes against nats-server 2.9.10. Bucket metadata is a 2.10 feature and only checked
// when the server announces version >= 2.10.0; multi-key watchers (filter_subjects) are 2.10 too
// and are not used.
import { connect, StringCodec, StorageType } from "nats";
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

function atLeast(version, major, minor) {
  const [a, b] = String(version || "0.0.0").split(".").map((x) => parseInt(x, 10));
  return a > major || (a === major && b >= minor);
}

// Reads an iterator in the background into log; initializedFn marks the boundary with "INIT".
// Entries are logged as {key, op, rev, val, delta, created, length}.
function collect(iter, log) {
  (async () => {
    for await (const e of iter) {
      log.push({ key: e.key, op: e.operation, rev: e.revision, val: sc.decode(e.value), delta: e.delta, created: e.created, length: e.length });
    }
  })().catch((err) => log.push({ error: String(err) }));
}

const show = (log) => log.map((x) => (x === "INIT" ? "INIT" : x.error ? `ERR(${x.error})` : `${x.key}:${x.op}:${x.val}@${x.rev}`)).join(" ");

// Waits until log holds n items (entries and INIT markers), then a short extra moment to catch
// anything unexpected; fails if fewer arrive within ms.
async function waitLog(log, n, what, ms = 3000, settle = 150) {
  const deadline = Date.now() + ms;
  while (log.length < n && Date.now() < deadline) await sleep(10);
  if (log.length < n) throw new Error(`${what}: got ${log.length} of ${n}: ${show(log)}`);
  await sleep(settle);
  return log;
}

async function drain(iter) {
  const out = [];
  for await (const x of iter) out.push(x);
  return out;
}

async function listAll(lister) {
  const out = [];
  for await (const x of lister) out.push(x);
  return out;
}

function increasing(revs) {
  for (let i = 1; i < revs.length; i++) if (!(revs[i] > revs[i - 1])) return false;
  return true;
}

function timesOrdered(dates) {
  for (let i = 1; i < dates.length; i++) if (dates[i].getTime() < dates[i - 1].getTime()) return false;
  return true;
}

async function main() {
  const servers = await startServer();
  const nc = await connect({ servers, name: "weir-js-kv", timeout: 5000 });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const v210 = atLeast(nc.info.version, 2, 10);

  // ---------------------------------------------------------------- 1. bucket create / status
  await run("bucket_create_status", async () => {
    const opts = { history: 5, ttl: 60_000, maxValueSize: 1024, description: "kv bucket", max_bytes: 1 << 20 };
    if (v210) opts.metadata = { owner: "weir" };
    const kv = await js.views.kv("cfg", opts);
    let st = await kv.status();
    check(st.bucket === "cfg" && st.history === 5 && st.ttl === 60_000, `status bucket/history/ttl ${st.bucket} ${st.history} ${st.ttl}`);
    check(st.values === 0 && st.size === 0, `empty values/size ${st.values} ${st.size}`);
    check(st.backingStore === "file" && st.storage === "file" && st.replicas === 1, `store ${st.backingStore} ${st.storage} ${st.replicas}`);
    check(st.description === "kv bucket" && st.maxValueSize === 1024 && st.max_bytes === 1 << 20, `description/limits ${st.description} ${st.maxValueSize} ${st.max_bytes}`);
    if (v210) check(st.metadata.owner === "weir", `metadata ${JSON.stringify(st.metadata)}`);
    const c = st.streamInfo.config;
    check(c.name === "KV_cfg" && JSON.stringify(c.subjects) === '["$KV.cfg.>"]', `stream ${c.name} ${c.subjects}`);
    check(c.max_msgs_per_subject === 5 && c.max_age === 60_000_000_000 && c.max_msg_size === 1024, `stream limits ${c.max_msgs_per_subject} ${c.max_age} ${c.max_msg_size}`);
    check(c.allow_rollup_hdrs === true && c.discard === "new" && c.retention === "limits", `stream flags rollup=${c.allow_rollup_hdrs} discard=${c.discard} retention=${c.retention}`);
    check(c.allow_direct === true, `allow_direct ${c.allow_direct}`);
    // a value and its effect on status
    const r1 = await kv.put("a", sc.encode("alpha"));
    check(r1 === 1, `first revision ${r1}`);
    st = await kv.status();
    check(st.values === 1 && st.size > 5, `values/size after put ${st.values} ${st.size}`);
    // maxValueSize enforced by the server
    const e = await rejects(kv.put("big", new Uint8Array(1025)), "put over maxValueSize");
    check(errCode(e) === 10054 && /message size exceeds maximum allowed/.test(e.message), `oversize: ${errCode(e)} ${e.message}`);
    check((await kv.put("fits", new Uint8Array(1024))) === 2, "put of exactly maxValueSize");
    // reopen (info path, options ignored for an existing bucket) and bindOnly (no API call)
    const again = await js.views.kv("cfg", { history: 1 });
    check((await again.status()).history === 5, "reopen keeps history 5");
    check(sc.decode((await again.get("a")).value) === "alpha", "reopen reads the value");
    const bound = await js.views.kv("cfg", { bindOnly: true });
    const be = await bound.get("a");
    check(be && sc.decode(be.value) === "alpha" && be.revision === 1 && be.key === "a", "bindOnly (STREAM.MSG.GET) reads the value");
    check((await bound.status()).values === 2, "bindOnly status");
    // listing: KV buckets only, not plain streams
    await jsm.streams.add({ name: "PLAIN", subjects: ["plain.>"], storage: StorageType.Memory });
    await js.views.kv("second", { storage: StorageType.Memory });
    const kvs = await listAll(jsm.streams.listKvs());
    const names = kvs.map((s) => s.bucket).sort();
    check(JSON.stringify(names) === '["cfg","second"]', `listKvs ${names}`);
    const sec = kvs.find((s) => s.bucket === "second");
    check(sec.history === 1 && sec.backingStore === "memory" && sec.ttl === 0, `listed second ${sec.history} ${sec.backingStore} ${sec.ttl}`);
    // destroy
    const gone = await js.views.kv("second");
    check((await gone.destroy()) === true, "destroy");
    const e2 = await rejects(gone.status(), "status after destroy");
    check(errCode(e2) === 10059 && e2.message === "stream not found", `status after destroy: ${errCode(e2)} ${e2.message}`);
    check(JSON.stringify((await listAll(jsm.streams.listKvs())).map((s) => s.bucket)) === '["cfg"]', "listKvs after destroy");
    await jsm.streams.delete("PLAIN");
  });

  // ---------------------------------------------------------------- 2. put / get / revisions / large values
  await run("put_get_revisions", async () => {
    const kv = await js.views.kv("pg", { history: 10 });
    const t0 = Date.now();
    const r1 = await kv.put("k", sc.encode("v1"));
    await sleep(5);
    const r2 = await kv.put("k", sc.encode("v2"));
    await sleep(5);
    const r3 = await kv.put("other.key", sc.encode("o"));
    check(r1 === 1 && r2 === 2 && r3 === 3, `revisions ${r1} ${r2} ${r3}`);
    const e = await kv.get("k");
    check(e.bucket === "pg" && e.key === "k" && e.operation === "PUT", `entry ${e.bucket} ${e.key} ${e.operation}`);
    check(sc.decode(e.value) === "v2" && e.string() === "v2" && e.revision === 2 && e.length === 2 && e.delta === 0, `latest ${e.string()} @${e.revision} len ${e.length}`);
    const e1 = await kv.get("k", { revision: r1 });
    check(e1 && e1.string() === "v1" && e1.revision === 1 && e1.operation === "PUT", `by revision 1: ${e1 && e1.string()}`);
    const o = await kv.get("other.key");
    check(o.key === "other.key" && o.string() === "o" && o.revision === 3, "dotted key");
    check((await kv.get("k", { revision: r3 })) === null, "get k at a revision of another key is null");
    check((await kv.get("missing")) === null, "missing key is null");
    check((await kv.get("k", { revision: 999 })) === null, "revision past the end is null");
    // created timestamps: ordered, and near now
    check(e1.created instanceof Date && e.created instanceof Date && o.created instanceof Date, "created are Dates");
    check(e1.created.getTime() <= e.created.getTime() && e.created.getTime() <= o.created.getTime(), `created ordered ${e1.created.toISOString()} ${e.created.toISOString()} ${o.created.toISOString()}`);
    check(e1.created.getTime() >= t0 - 2000 && o.created.getTime() <= Date.now() + 2000, `created near now ${e1.created.toISOString()}`);
    // JSON values
    await kv.put("json", sc.encode(JSON.stringify({ n: 1, s: "x" })));
    check((await kv.get("json")).json().s === "x", "json()");
    // empty value
    const re = await kv.put("empty", new Uint8Array(0));
    const ee = await kv.get("empty");
    check(ee.revision === re && ee.length === 0 && ee.value.length === 0 && ee.operation === "PUT", "empty value");
    // a value close to 1 MiB, below the announced max_payload
    const maxp = nc.info.max_payload;
    check(maxp >= 1 << 20, `max_payload ${maxp}`);
    const size = Math.min(1 << 20, maxp - 4096);
    const big = new Uint8Array(size);
    for (let i = 0; i < size; i++) big[i] = (i * 7 + (i >> 11)) % 251;
    const rb = await kv.put("big", big);
    for (const [how, b] of [["direct", kv], ["msg get", await js.views.kv("pg", { bindOnly: true })]]) {
      const g = await b.get("big");
      check(g.revision === rb && g.length === size && g.value.length === size, `${how}: big length ${g.value.length} of ${size}`);
      check(Buffer.compare(Buffer.from(g.value), Buffer.from(big)) === 0, `${how}: big content differs`);
    }
    // invalid keys are refused by the client before anything is sent
    const ik = await rejects(kv.put("bad key", sc.encode("x")), "put with a space");
    check(/invalid key/.test(ik.message), `invalid key: ${ik.message}`);
  });

  // ---------------------------------------------------------------- 3. create / update
  await run("create_update", async () => {
    const kv = await js.views.kv("cu", { history: 5 });
    const r1 = await kv.create("x", sc.encode("1"));
    check(r1 === 1, `create revision ${r1}`);
    let e = await rejects(kv.create("x", sc.encode("2")), "second create");
    check(errCode(e) === 10071 && e.message === "wrong last sequence: 1", `second create: ${errCode(e)} ${e.message}`);
    const r2 = await kv.update("x", sc.encode("2"), r1);
    check(r2 === 2, `update revision ${r2}`);
    e = await rejects(kv.update("x", sc.encode("3"), r1), "stale update");
    check(errCode(e) === 10071 && e.message === "wrong last sequence: 2", `stale update: ${errCode(e)} ${e.message}`);
    check((await kv.get("x")).string() === "2", "value after stale update");
    e = await rejects(kv.update("nope", sc.encode("z"), 5), "update of a missing key");
    check(errCode(e) === 10071 && e.message === "wrong last sequence: 0", `update missing: ${errCode(e)} ${e.message}`);
    e = await rejects(kv.put("x", sc.encode("p"), { previousSeq: 0 }), "put previousSeq 0 on an existing key");
    check(errCode(e) === 10071, `previousSeq 0: ${errCode(e)} ${e.message}`);
    // create after delete / purge goes through update at the marker's revision
    await kv.delete("x");
    const del = await kv.get("x");
    check(del.operation === "DEL" && del.revision === 3, `marker ${del.operation} @${del.revision}`);
    const r4 = await kv.create("x", sc.encode("again"));
    check(r4 === 4 && (await kv.get("x")).string() === "again", `create after delete @${r4}`);
    await kv.purge("x");
    const r6 = await kv.create("x", sc.encode("fresh"));
    check(r6 === 6 && (await kv.get("x")).string() === "fresh", `create after purge @${r6}`);
    // delete / purge with an expected revision
    e = await rejects(kv.delete("x", { previousSeq: 4 }), "delete with a stale previousSeq");
    check(errCode(e) === 10071, `stale delete: ${errCode(e)} ${e.message}`);
    check((await kv.get("x")).string() === "fresh", "stale delete changed nothing");
    await kv.delete("x", { previousSeq: 6 });
    check((await kv.get("x")).operation === "DEL", "delete at the right revision");
    e = await rejects(kv.create("y", new Uint8Array(0)).then(() => kv.create("y", sc.encode("again"))), "create twice (empty first)");
    check(errCode(e) === 10071, `create twice: ${errCode(e)}`);
  });

  // ---------------------------------------------------------------- 4. delete / purge markers
  await run("delete_purge_markers", async () => {
    const kv = await js.views.kv("dp", { history: 5 });
    await kv.put("a", sc.encode("1"));
    await kv.put("a", sc.encode("2"));
    await kv.put("b", sc.encode("b"));
    await kv.delete("a");
    const g = await kv.get("a");
    check(g !== null && g.operation === "DEL" && g.revision === 4 && g.length === 0 && g.key === "a", `get after delete ${g && g.operation} @${g && g.revision}`);
    let h = await drain(await kv.history({ key: "a" }));
    check(h.map((x) => `${x.operation}:${x.string()}@${x.revision}`).join(",") === "PUT:1@1,PUT:2@2,DEL:@4", `history a ${h.map((x) => `${x.operation}:${x.string()}@${x.revision}`)}`);
    check(timesOrdered(h.map((x) => x.created)), "history created ordered");
    check((await kv.get("a", { revision: 2 })).string() === "2", "old revision readable after delete");
    check(JSON.stringify((await drain(await kv.keys())).sort()) === '["b"]', "deleted key not in keys");
    // purge: a single PURGE marker, history dropped
    await kv.put("a", sc.encode("3"));
    await kv.purge("a");
    const p = await kv.get("a");
    check(p.operation === "PURGE" && p.revision === 6, `get after purge ${p.operation} @${p.revision}`);
    h = await drain(await kv.history({ key: "a" }));
    check(h.length === 1 && h[0].operation === "PURGE" && h[0].revision === 6, `history after purge ${h.map((x) => x.operation)}`);
    check((await kv.get("a", { revision: 1 })) === null, "purged revision gone");
    let si = await jsm.streams.info("KV_dp");
    check(si.state.messages === 2, `stream holds b + the PURGE marker: ${si.state.messages}`);
    // purgeDeletes(): markers younger than 30 min stay, older history under them goes
    await kv.put("c", sc.encode("c1"));
    await kv.put("c", sc.encode("c2"));
    await kv.delete("c");
    let pr = await kv.purgeDeletes();
    check(pr.purged === 2, `purgeDeletes default purged ${pr.purged}`);
    h = await drain(await kv.history({ key: "c" }));
    check(h.length === 1 && h[0].operation === "DEL", `c after purgeDeletes ${h.map((x) => x.operation)}`);
    // purgeDeletes(0): all markers go
    await sleep(20);
    pr = await kv.purgeDeletes(0);
    check(pr.purged === 2, `purgeDeletes(0) purged ${pr.purged}`);
    check((await kv.get("a")) === null && (await kv.get("c")) === null, "markers removed");
    check((await drain(await kv.history({ key: "a" }))).length === 0, "no history for a");
    check((await kv.get("b")).string() === "b", "b untouched");
    si = await jsm.streams.info("KV_dp");
    check(si.state.messages === 1, `only b left: ${si.state.messages}`);
    // history of all keys
    await kv.put("d", sc.encode("d"));
    h = await drain(await kv.history());
    check(h.map((x) => x.key).join(",") === "b,d" && increasing(h.map((x) => x.revision)), `history all ${h.map((x) => x.key)}`);
  });

  // ---------------------------------------------------------------- 5. history depth
  await run("history_depth", async () => {
    const kv = await js.views.kv("hd", { history: 5 });
    for (let i = 1; i <= 8; i++) await kv.put("k", sc.encode(`v${i}`));
    await kv.put("z", sc.encode("z"));
    let h = await drain(await kv.history({ key: "k" }));
    check(h.map((x) => x.string()).join(",") === "v4,v5,v6,v7,v8", `history k ${h.map((x) => x.string())}`);
    check(h.map((x) => x.revision).join(",") === "4,5,6,7,8", `history revisions ${h.map((x) => x.revision)}`);
    check(h.every((x) => x.key === "k" && x.operation === "PUT"), "history entries");
    check(timesOrdered(h.map((x) => x.created)), "history created ordered");
    check((await kv.get("k", { revision: 3 })) === null, "revision 3 dropped");
    check((await kv.get("k", { revision: 4 })).string() === "v4", "revision 4 kept");
    check((await kv.status()).values === 6, "status values 5 + 1");
    // history 1 (default)
    const one = await js.views.kv("hd1");
    await one.put("k", sc.encode("a"));
    await one.put("k", sc.encode("b"));
    h = await drain(await one.history({ key: "k" }));
    check(h.length === 1 && h[0].string() === "b" && h[0].revision === 2, `history 1 ${h.map((x) => x.string())}`);
    check((await one.status()).history === 1, "default history 1");
    // empty history for a missing key ends at once
    check((await drain(await kv.history({ key: "none" }))).length === 0, "missing key history empty");
  });

  // ---------------------------------------------------------------- 6. keys()
  await run(
    "keys",
    async () => {
      const kv = await js.views.kv("ks", { storage: StorageType.Memory });
      check((await drain(await kv.keys())).length === 0, "empty bucket has no keys");
      const N = 10_000;
      for (let i = 0; i < N; i += 500) {
        const batch = [];
        for (let j = i; j < i + 500; j++) batch.push(kv.put(`n.${j}`, sc.encode(String(j))));
        await Promise.all(batch);
      }
      for (const k of ["f.a", "f.b", "f.c.d", "g"]) await kv.put(k, sc.encode(k));
      await kv.put("n.5", sc.encode("again")); // an overwrite is listed once
      let keys = await drain(await kv.keys());
      const set = new Set(keys);
      check(keys.length === N + 4 && set.size === N + 4, `keys ${keys.length} (unique ${set.size}) of ${N + 4}`);
      for (let j = 0; j < N; j++) if (!set.has(`n.${j}`)) throw new Error(`key n.${j} missing`);
      check(set.has("f.c.d") && set.has("g"), "other keys listed");
      check(JSON.stringify((await drain(await kv.keys("f.*"))).sort()) === '["f.a","f.b"]', "keys f.*");
      check(JSON.stringify((await drain(await kv.keys("f.>"))).sort()) === '["f.a","f.b","f.c.d"]', "keys f.>");
      check(JSON.stringify(await drain(await kv.keys("g"))) === '["g"]', "keys exact");
      check((await drain(await kv.keys("n.*"))).length === N, "keys n.*");
      check((await drain(await kv.keys("nothing.*"))).length === 0, "keys no match");
      await kv.delete("f.a");
      await kv.purge("n.7");
      check(JSON.stringify(await drain(await kv.keys("f.*"))) === '["f.b"]', "deleted key not listed");
      keys = await drain(await kv.keys());
      check(keys.length === N + 2 && !keys.includes("n.7") && !keys.includes("f.a"), `keys after delete/purge ${keys.length}`);
    },
    20_000,
  );

  // ---------------------------------------------------------------- 7. watchers
  await run("watch_all", async () => {
    const kv = await js.views.kv("w", { history: 10 });
    // empty bucket: initialized at once
    let log = [];
    let w = await kv.watch({ initializedFn: () => log.push("INIT") });
    collect(w, log);
    await waitLog(log, 1, "empty initialized");
    check(log[0] === "INIT", `empty: ${show(log)}`);
    w.stop();
    await kv.put("a", sc.encode("a1"));
    await kv.put("b", sc.encode("b1"));
    await kv.put("a", sc.encode("a2"));
    log = [];
    w = await kv.watch({ initializedFn: () => log.push("INIT") });
    collect(w, log);
    await waitLog(log, 3, "initial values");
    check(show(log) === "b:PUT:b1@2 a:PUT:a2@3 INIT", `initial: ${show(log)}`);
    check(log[0].delta === 1 && log[1].delta === 0, `initial deltas ${log[0].delta} ${log[1].delta}`);
    await kv.put("c", sc.encode("c1"));
    await kv.put("a", sc.encode("a3"));
    await kv.delete("b");
    await kv.purge("c");
    await waitLog(log, 7, "live updates");
    check(show(log) === "b:PUT:b1@2 a:PUT:a2@3 INIT c:PUT:c1@4 a:PUT:a3@5 b:DEL:@6 c:PURGE:@7", `live: ${show(log)}`);
    const ents = log.filter((x) => x !== "INIT");
    check(ents.slice(2).every((x) => x.delta === 0), `live deltas ${ents.map((x) => x.delta)}`);
    check(timesOrdered(ents.map((x) => x.created)) && increasing(ents.map((x) => x.rev)), "created / revisions ordered");
    check(ents.every((x) => x.created.getTime() > Date.now() - 10_000), "created recent");
    w.stop();
    // a stopped watcher receives nothing more
    const before = log.length;
    await kv.put("a", sc.encode("a4"));
    await sleep(150);
    check(log.length === before, `after stop: ${show(log.slice(before))}`);
  });

  await run("watch_key_wildcard", async () => {
    const kv = await js.views.kv("wk");
    for (const k of ["a.x", "a.y", "a.x.z", "b.x", "a"]) await kv.put(k, sc.encode(k));
    const one = [];
    const w1 = await kv.watch({ key: "a", initializedFn: () => one.push("INIT") });
    collect(w1, one);
    const star = [];
    const w2 = await kv.watch({ key: "a.*", initializedFn: () => star.push("INIT") });
    collect(w2, star);
    const gt = [];
    const w3 = await kv.watch({ key: "a.>", initializedFn: () => gt.push("INIT") });
    collect(w3, gt);
    await waitLog(one, 2, "key a initial", 3000, 0);
    await waitLog(star, 3, "a.* initial", 3000, 0);
    await waitLog(gt, 4, "a.> initial", 3000, 0);
    for (const k of ["b.y", "a.q", "a", "a.q.r", "c"]) await kv.put(k, sc.encode(`${k}!`));
    await waitLog(one, 3, "key a live");
    await waitLog(star, 4, "a.* live");
    await waitLog(gt, 6, "a.> live");
    check(show(one) === "a:PUT:a@5 INIT a:PUT:a!@8", `key a: ${show(one)}`);
    check(show(star) === "a.x:PUT:a.x@1 a.y:PUT:a.y@2 INIT a.q:PUT:a.q!@7", `a.*: ${show(star)}`);
    check(show(gt) === "a.x:PUT:a.x@1 a.y:PUT:a.y@2 a.x.z:PUT:a.x.z@3 INIT a.q:PUT:a.q!@7 a.q.r:PUT:a.q.r!@9", `a.>: ${show(gt)}`);
    w1.stop();
    w2.stop();
    w3.stop();
  });

  await run("watch_options", async () => {
    const kv = await js.views.kv("wo", { history: 10 });
    await kv.put("a", sc.encode("1")); // 1
    await kv.put("b", sc.encode("1")); // 2
    await kv.put("a", sc.encode("2")); // 3
    await kv.delete("b"); // 4
    await kv.put("c", sc.encode("hello")); // 5
    // include history
    const hist = [];
    const wh = await kv.watch({ include: "history", initializedFn: () => hist.push("INIT") });
    collect(wh, hist);
    // ignoreDeletes (the last initial entry is a PUT)
    const nodel = [];
    const wd = await kv.watch({ ignoreDeletes: true, initializedFn: () => nodel.push("INIT") });
    collect(wd, nodel);
    // updates only
    const upd = [];
    const wu = await kv.watch({ include: "updates", initializedFn: () => upd.push("INIT") });
    collect(wu, upd);
    // headers only
    const ho = [];
    const whd = await kv.watch({ headers_only: true, initializedFn: () => ho.push("INIT") });
    collect(whd, ho);
    await waitLog(hist, 6, "history initial", 3000, 0);
    await waitLog(nodel, 3, "ignoreDeletes initial", 3000, 0);
    await waitLog(upd, 1, "updates initial", 3000, 0);
    await waitLog(ho, 4, "headers only initial", 3000, 0);
    await kv.put("a", sc.encode("3")); // 6
    await kv.delete("a"); // 7
    await kv.put("d", sc.encode("dd")); // 8
    await waitLog(hist, 9, "history live");
    await waitLog(nodel, 5, "ignoreDeletes live");
    await waitLog(upd, 4, "updates live");
    await waitLog(ho, 7, "headers only live");
    check(show(hist) === "a:PUT:1@1 b:PUT:1@2 a:PUT:2@3 b:DEL:@4 c:PUT:hello@5 INIT a:PUT:3@6 a:DEL:@7 d:PUT:dd@8", `history: ${show(hist)}`);
    check(show(nodel) === "a:PUT:2@3 c:PUT:hello@5 INIT a:PUT:3@6 d:PUT:dd@8", `ignoreDeletes: ${show(nodel)}`);
    check(show(upd) === "INIT a:PUT:3@6 a:DEL:@7 d:PUT:dd@8", `updates: ${show(upd)}`);
    check(show(ho) === "a:PUT:@3 b:DEL:@4 c:PUT:@5 INIT a:PUT:@6 a:DEL:@7 d:PUT:@8", `headers only: ${show(ho)}`);
    const hoLen = ho.filter((x) => x !== "INIT").map((x) => x.length).join(",");
    check(hoLen === "1,0,5,1,0,2", `headers only lengths (Nats-Msg-Size) ${hoLen}`);
    for (const w of [wh, wd, wu, whd]) w.stop();
    // resume from a revision: everything from there on, history included
    const res = [];
    const wr = await kv.watch({ resumeFromRevision: 4, initializedFn: () => res.push("INIT") });
    collect(wr, res);
    await waitLog(res, 6, "resume");
    check(show(res) === "b:DEL:@4 c:PUT:hello@5 a:PUT:3@6 a:DEL:@7 d:PUT:dd@8 INIT", `resume: ${show(res)}`);
    wr.stop();
  });

  // ---------------------------------------------------------------- 8. TTL
  await run("ttl", async () => {
    const kv = await js.views.kv("ttl", { ttl: 1000 });
    check((await kv.status()).ttl === 1000, "status ttl");
    const t0 = Date.now();
    await kv.put("k", sc.encode("short"));
    check((await kv.get("k")).string() === "short", "value present at first");
    await sleep(500);
    check((await kv.get("k")) !== null, "value present after 0.5 s");
    await sleep(1000);
    let g = await kv.get("k");
    if (g !== null) {
      // allow the server's expiry timer a little slack
      await sleep(500);
      g = await kv.get("k");
    }
    check(g === null, `value still there after ${Date.now() - t0} ms`);
    const st = await kv.status();
    check(st.values === 0, `values after ttl ${st.values}`);
    check((await drain(await kv.keys())).length === 0, "no keys after ttl");
  });

  // ---------------------------------------------------------------- 9. two connections
  await run("two_connections", async () => {
    const nc2 = await connect({ servers, name: "weir-js-kv-2", timeout: 5000 });
    try {
      const kv1 = await js.views.kv("two", { history: 10 });
      const kv2 = await nc2.jetstream().views.kv("two", { bindOnly: true });
      const log = [];
      const w = await kv2.watch({ initializedFn: () => log.push("INIT") });
      collect(w, log);
      await waitLog(log, 1, "initialized", 3000, 0);
      await kv1.put("x", sc.encode("one"));
      await kv1.put("y", sc.encode("two"));
      await kv1.delete("x");
      await waitLog(log, 4, "three edits");
      check(show(log) === "INIT x:PUT:one@1 y:PUT:two@2 x:DEL:@3", `edits: ${show(log)}`);
      // 100 rapid puts of one key, not awaited one by one: the watcher sees them in order and the
      // last value last; with history 10 the server may already have dropped older revisions of
      // the key before the consumer reached them, so only an ordered subsequence is guaranteed.
      const revs = await Promise.all(Array.from({ length: 100 }, (_, i) => kv1.put("hot", sc.encode(String(i)))));
      check(increasing(revs) && revs[0] === 4 && revs[99] === 103, `put revisions ${revs[0]}..${revs[99]}`);
      const deadline = Date.now() + 3000;
      while (!log.some((x) => x.rev === 103) && Date.now() < deadline) await sleep(10);
      await sleep(150);
      const hot = log.slice(4);
      check(hot.length >= 10 && hot.length <= 100, `rapid puts seen ${hot.length}: ${show(hot.slice(-3))}`);
      check(hot.every((x) => x.key === "hot" && x.op === "PUT" && x.rev === 4 + Number(x.val)), `rapid entries: ${show(hot.slice(0, 5))}`);
      check(increasing(hot.map((x) => x.rev)) && timesOrdered(hot.map((x) => x.created)), `rapid order: ${show(hot)}`);
      check(hot[hot.length - 1].val === "99" && hot[hot.length - 1].rev === 103, `last value ${show(hot.slice(-1))}`);
      const g = await kv2.get("hot");
      check(g.string() === "99" && g.revision === 103, `get on the other connection ${g.string()} @${g.revision}`);
      // 100 rapid puts of distinct keys: every one arrives, in order
      const n0 = log.length;
      const revs2 = await Promise.all(Array.from({ length: 100 }, (_, i) => kv1.put(`k.${i}`, sc.encode(`v${i}`))));
      check(revs2[0] === 104 && revs2[99] === 203, `distinct put revisions ${revs2[0]}..${revs2[99]}`);
      await waitLog(log, n0 + 100, "100 rapid puts of distinct keys");
      const dk = log.slice(n0);
      check(dk.length === 100 && dk.every((x, i) => x.key === `k.${i}` && x.val === `v${i}` && x.rev === 104 + i), `distinct order: ${show(dk.slice(0, 4))} ... ${show(dk.slice(-2))}`);
      check(timesOrdered(dk.map((x) => x.created)), "distinct created ordered");
      // the watcher on the second connection sees a delete issued on the first
      await kv1.delete("k.0");
      await waitLog(log, n0 + 101, "delete seen");
      check(show(log.slice(-1)) === "k.0:DEL:@204", `delete: ${show(log.slice(-1))}`);
      w.stop();
    } finally {
      await nc2.close();
    }
  });

  // ---------------------------------------------------------------- sources: an aggregate bucket
  // nats.js maps each source bucket's subjects onto the aggregate's with subject_transforms
  // (2.10+): the aggregate holds every key of both, under its own revisions, and follows them.
  if (v210) await run("sources_aggregate", async () => {
    const east = await js.views.kv("east");
    const west = await js.views.kv("west");
    await east.put("cfg.a", sc.encode("east-a"));
    await west.put("cfg.b", sc.encode("west-b"));
    await east.put("cfg.c", sc.encode("east-c"));
    const agg = await js.views.kv("all", { sources: [{ name: "east" }, { name: "west" }] });
    const c = (await agg.status()).streamInfo.config;
    check(JSON.stringify(c.sources.map((x) => [x.name, x.subject_transforms])) ===
      '[["KV_east",[{"src":"$KV.east.>","dest":"$KV.all.>"}]],["KV_west",[{"src":"$KV.west.>","dest":"$KV.all.>"}]]]',
      `sources ${JSON.stringify(c.sources)}`);
    const until = async (what, cond) => {
      for (let i = 0; i < 250; i++) { if (await cond()) return; await sleep(20); }
      throw new Error(`timed out: ${what}`);
    };
    await until("3 keys sourced", async () => (await agg.status()).values === 3);
    const keys = (await drain(await agg.keys())).sort();
    check(JSON.stringify(keys) === '["cfg.a","cfg.b","cfg.c"]', `keys ${keys}`);
    const a = await agg.get("cfg.a");
    check(a.string() === "east-a" && a.bucket === "all" && a.key === "cfg.a" && a.revision >= 1 && a.revision <= 3, `sourced entry ${a.string()} ${a.bucket} ${a.key} @${a.revision}`);
    // live: a put and a delete in a source reach the aggregate, in order, with new revisions
    await west.put("cfg.b", sc.encode("west-b2"));
    await east.delete("cfg.a");
    // history 1: the new revisions replace the old ones, so the count stays and the last grows
    await until("update and delete sourced", async () => (await agg.status()).streamInfo.state.last_seq === 5);
    check((await agg.status()).values === 3, "one entry a key");
    const b = await agg.get("cfg.b");
    check(b.string() === "west-b2" && b.revision === 4, `updated ${b.string()} @${b.revision}`);
    const gone = await agg.get("cfg.a"); // nats.js gives a deleted key's marker
    check(gone && gone.operation === "DEL" && gone.revision === 5 && gone.length === 0, `deleted in the source, deleted in the aggregate: ${gone && [gone.operation, gone.revision]}`);
    const hist = await drain(await agg.history({ key: "cfg.a" }));
    check(hist.map((e) => `${e.operation}@${e.revision}`).join(",") === "DEL@5", `history ${hist.map((e) => `${e.operation}@${e.revision}`)}`);
    for (const k of [agg, east, west]) await k.destroy();
  });

  await nc.close();
}

await finish(main, 60_000);
