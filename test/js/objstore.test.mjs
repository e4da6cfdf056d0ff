// objstore.test.mjs — nats.js (npm `nats` 2.x) Object Store (js.views.os) against the server named
// by WEIR_SERVER: bucket create / status, put / putBlob / get / getBlob of 0 B, 1 B, one chunk, one
// chunk + 1 B and 10 MiB objects with digests computed here, info fields, list, delete, overwrite
// (old chunks purged, checked on the OBJ_ stream's state), update (description, rename), link /
// linkStore, watch (new only, history, ignoreDeletes), seal, destroy, and a streamed 64 MiB object.
// Prints "PASS name" / "FAIL name: why" per case.
//
//   WEIR_SERVER=/usr/sbin/nats-server node test/js/objstore.test.mjs
// Every case passes against nats-server 2.9.10. Bucket (stream) metadata is a 2.10 feature: it is
// only checked when the server announces version >= 2.10.0. Object metadata lives in the client's
// meta JSON and is checked everywhere.
import { createHash, randomBytes } from "node:crypto";
import { connect, headers, nanos, StorageType } from "nats";
import { startServer, finish, run, check } from "./harness.mjs";

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

// "SHA-256=" + padded base64url of the sha256, as the object store writes it.
function osDigest(buf) {
  const b64 = createHash("sha256").update(buf).digest("base64");
  return "SHA-256=" + b64.replace(/\+/g, "-").replace(/\//g, "_");
}

const sha256hex = (buf) => createHash("sha256").update(buf).digest("hex");

// A ReadableStream over the values of a (sync) generator. Each pull first yields to the event
// loop, as a file or socket source would: nats.js's put() reads the stream and publishes the
// chunks in one loop, so a source that resolves only through microtasks keeps every publish ack
// (5 s timeout each) unprocessed until the whole object has been read.
function streamOf(gen) {
  const it = gen();
  return new ReadableStream({
    async pull(c) {
      await new Promise((r) => setImmediate(r));
      const r = it.next();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
  });
}

// Reads a ReadableStream to one Buffer.
async function readAll(rs) {
  const parts = [];
  const reader = rs.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value && value.length) parts.push(Buffer.from(value.buffer, value.byteOffset, value.length));
  }
  return Buffer.concat(parts);
}

// Wraps an async iterator so that a wait that times out keeps the outstanding next() for the
// following call (nothing is lost between nextN / nothingMore).
function reader(iterable) {
  const it = iterable[Symbol.asyncIterator]();
  let pending = null;
  return {
    // resolves to { value } / { done: true } / { timeout: true }
    async take(ms) {
      if (!pending) pending = it.next();
      let timer;
      const r = await Promise.race([pending, new Promise((res) => (timer = setTimeout(() => res({ timeout: true }), ms)))]);
      clearTimeout(timer);
      if (!r.timeout) pending = null;
      return r;
    },
  };
}

// Takes n items from a reader, failing if they do not arrive within ms.
async function nextN(rd, n, ms = 2000, what = "items") {
  const out = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const r = await rd.take(left);
    if (r.timeout || r.done) break;
    out.push(r.value);
  }
  if (out.length !== n) throw new Error(`${what}: got ${out.length} of ${n} (${JSON.stringify(out.map(descr))})`);
  return out;
}

// Nothing more arrives on the reader within ms.
async function nothingMore(rd, ms, what) {
  const r = await rd.take(ms);
  if (!r.timeout && !r.done) throw new Error(`${what}: unexpected ${JSON.stringify(descr(r.value))}`);
}

const descr = (oi) => (oi === null ? "null" : `${oi.name}${oi.deleted ? "(deleted)" : ""}`);

const bytesEq = (a, b) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function main() {
  const servers = await startServer();
  const nc = await connect({ servers, name: "weir-js-objstore", timeout: 5000 });
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const has210 = nc.features.require("2.10.0");

  // ---------------------------------------------------------------- bucket create / status
  await run("bucket_create_status", async () => {
    const opts = { description: "object bucket", ttl: nanos(3_600_000), max_bytes: 64 * 1024 * 1024, storage: StorageType.File };
    if (has210) opts.metadata = { team: "weir", tier: "1" };
    const os = await js.views.os("BKT", opts);
    const st = await os.status();
    check(st.bucket === "BKT", `bucket ${st.bucket}`);
    check(st.description === "object bucket", `description ${st.description}`);
    check(st.ttl === 3_600_000_000_000, `ttl ${st.ttl}`);
    check(st.sealed === false, `sealed ${st.sealed}`);
    check(st.size === 0, `size ${st.size}`);
    check(st.backingStore === "JetStream", `backingStore ${st.backingStore}`);
    check(st.storage === "file" && st.replicas === 1, `storage ${st.storage} replicas ${st.replicas}`);
    const si = st.streamInfo;
    const c = si.config;
    check(c.name === "OBJ_BKT", `stream name ${c.name}`);
    check(JSON.stringify(c.subjects) === '["$O.BKT.C.>","$O.BKT.M.>"]', `subjects ${JSON.stringify(c.subjects)}`);
    check(c.max_bytes === 64 * 1024 * 1024 && c.max_age === 3_600_000_000_000, `limits ${c.max_bytes} ${c.max_age}`);
    check(c.discard === "new" && c.allow_rollup_hdrs === true && c.allow_direct === true, `discard ${c.discard} rollup ${c.allow_rollup_hdrs} direct ${c.allow_direct}`);
    check(si.state.messages === 0 && si.state.bytes === 0, `state ${JSON.stringify(si.state)}`);
    if (has210) check(st.metadata && st.metadata.team === "weir" && st.metadata.tier === "1", `metadata ${JSON.stringify(st.metadata)}`);
    // opening it again binds to the same stream (no error, config kept)
    const os2 = await js.views.os("BKT");
    const st2 = await os2.status();
    check(st2.description === "object bucket" && st2.ttl === 3_600_000_000_000, "reopen keeps config");
    // it is listed as an object store
    const stores = await jsm.streams.listObjectStores().next();
    const mine = stores.find((s) => s.bucket === "BKT");
    check(mine && mine.description === "object bucket", `listObjectStores ${JSON.stringify(stores.map((s) => s.bucket))}`);
    // a put shows in size
    await os.putBlob({ name: "x" }, new Uint8Array([1, 2, 3]));
    const st3 = await os.status();
    const si3 = await jsm.streams.info("OBJ_BKT");
    check(st3.size > 3 && st3.size === si3.state.bytes && si3.state.messages === 2, `size after put ${st3.size} / ${si3.state.bytes} msgs ${si3.state.messages}`);
  });

  // ---------------------------------------------------------------- objects of various sizes
  const objs = {};
  await run("object_sizes", async () => {
    const os = await js.views.os("SIZES");
    const cases = [
      ["zero", 0, 1024, 0],
      ["one", 1, 1024, 1],
      ["chunk", 1024, 1024, 1],
      ["chunk_plus_one", 1025, 1024, 2],
      ["ten_mib", 10 * 1024 * 1024, 128 * 1024, 80],
    ];
    let totalChunks = 0;
    for (const [name, size, chunk, nchunks] of cases) {
      const data = randomBytes(size);
      const h = headers();
      h.set("X-Obj", name);
      const meta = {
        name: `dir/${name}.bin`,
        description: `object ${name}`,
        headers: h,
        metadata: { size: String(size) },
        options: { max_chunk_size: chunk },
      };
      const t0 = Date.now();
      // small ones through putBlob, the 10 MiB one through put() from a stream of 1 MiB pieces
      const pi =
        size < 1024 * 1024
          ? await os.putBlob(meta, data)
          : await os.put(
              meta,
              streamOf(function* () {
                for (let off = 0; off < size; off += 1024 * 1024) yield new Uint8Array(data.buffer, data.byteOffset + off, Math.min(1024 * 1024, size - off));
              }),
            );
      check(pi.name === `dir/${name}.bin` && pi.size === size && pi.chunks === nchunks, `${name} put info size ${pi.size} chunks ${pi.chunks}`);
      check(pi.digest === osDigest(data), `${name} put digest ${pi.digest} want ${osDigest(data)}`);
      objs[name] = { data, nchunks };
      totalChunks += nchunks;
      // info
      const oi = await os.info(`dir/${name}.bin`);
      check(oi !== null, `${name} info null`);
      check(oi.name === `dir/${name}.bin` && oi.bucket === "SIZES", `${name} name/bucket ${oi.name} ${oi.bucket}`);
      check(oi.size === size, `${name} size ${oi.size}`);
      check(oi.chunks === nchunks, `${name} chunks ${oi.chunks} want ${nchunks}`);
      check(oi.digest === osDigest(data), `${name} digest ${oi.digest}`);
      check(oi.deleted === false, `${name} deleted ${oi.deleted}`);
      check(oi.description === `object ${name}`, `${name} description ${oi.description}`);
      check(oi.headers.get("X-Obj") === name, `${name} header ${oi.headers.get("X-Obj")}`);
      check(oi.metadata && oi.metadata.size === String(size), `${name} metadata ${JSON.stringify(oi.metadata)}`);
      check(oi.options && oi.options.max_chunk_size === chunk, `${name} options ${JSON.stringify(oi.options)}`);
      const mt = Date.parse(oi.mtime);
      check(!Number.isNaN(mt) && mt >= t0 - 1000 && mt <= Date.now() + 1000, `${name} mtime ${oi.mtime}`);
      check(typeof oi.nuid === "string" && oi.nuid.length === 22 && oi.nuid === pi.nuid, `${name} nuid ${oi.nuid}`);
      check(oi.revision === pi.revision && oi.revision > 0, `${name} revision ${oi.revision} / ${pi.revision}`);
      // getBlob
      const blob = await os.getBlob(`dir/${name}.bin`);
      check(blob !== null && bytesEq(blob, data), `${name} getBlob: ${blob ? blob.length : null} bytes, want ${size}`);
      // get (stream + error promise)
      const r = await os.get(`dir/${name}.bin`);
      check(r !== null && r.info.size === size && r.info.digest === osDigest(data), `${name} get info`);
      const got = await readAll(r.data);
      const err = await r.error;
      check(!err, `${name} get error ${err}`);
      check(bytesEq(got, data), `${name} get stream: ${got.length} bytes sha ${sha256hex(got)} want ${sha256hex(data)}`);
    }
    // the stream holds exactly the chunks plus one meta message per object (+ the 0 B object has no chunk)
    const si = await jsm.streams.info("OBJ_SIZES");
    check(si.state.messages === totalChunks + cases.length, `stream messages ${si.state.messages} want ${totalChunks + cases.length}`);
    check(si.state.bytes > 10 * 1024 * 1024 + 1024 + 1025 + 1, `stream bytes ${si.state.bytes}`);
    // missing object
    check((await os.info("nope")) === null, "info of a missing object");
    check((await os.get("nope")) === null, "get of a missing object");
    check((await os.getBlob("nope")) === null, "getBlob of a missing object");
  }, 25_000);

  // ---------------------------------------------------------------- list / delete
  await run("list_delete", async () => {
    const os = await js.views.os("LD");
    check((await os.list()).length === 0, "empty list");
    const a = randomBytes(3000);
    const b = randomBytes(10);
    await os.putBlob({ name: "a", options: { max_chunk_size: 1024 } }, a);
    await os.putBlob({ name: "b" }, b);
    await os.putBlob({ name: "c" }, new Uint8Array(0));
    let list = await os.list();
    const names = list.map((o) => o.name).sort();
    check(JSON.stringify(names) === '["a","b","c"]', `list ${names}`);
    const la = list.find((o) => o.name === "a");
    check(la.size === 3000 && la.chunks === 3 && la.digest === osDigest(a) && la.bucket === "LD", `list entry a ${JSON.stringify(la)}`);
    let si = await jsm.streams.info("OBJ_LD");
    check(si.state.messages === 3 + 1 + 3, `messages before delete ${si.state.messages}`);
    // delete purges a's chunks and leaves one meta message marked deleted
    const pr = await os.delete("a");
    check(pr.success === true && pr.purged === 3, `delete response ${JSON.stringify(pr)}`);
    si = await jsm.streams.info("OBJ_LD");
    check(si.state.messages === 1 + 2 + 1, `messages after delete ${si.state.messages}`);
    const ia = await os.info("a");
    check(ia !== null && ia.deleted === true && ia.size === 0 && ia.chunks === 0 && ia.digest === "", `info of deleted ${ia && JSON.stringify(ia.info)}`);
    check((await os.get("a")) === null, "get of deleted is null");
    check((await os.getBlob("a")) === null, "getBlob of deleted is null");
    list = await os.list();
    check(JSON.stringify(list.map((o) => o.name).sort()) === '["b","c"]', `list after delete ${list.map((o) => o.name)}`);
    // deleting a missing object
    const pr2 = await os.delete("zzz");
    check(pr2.success === false && pr2.purged === 0, `delete missing ${JSON.stringify(pr2)}`);
    // put again after delete: live again
    const a2 = randomBytes(5);
    await os.putBlob({ name: "a" }, a2);
    check(bytesEq(await os.getBlob("a"), a2), "re-put after delete");
    check((await os.list()).length === 3, "list after re-put");
    // empty name rejected by the client
    const e = await rejects(os.putBlob({ name: "" }, new Uint8Array(1)), "empty name");
    check(/name cannot be empty/.test(e.message), `empty name: ${e.message}`);
  });

  // ---------------------------------------------------------------- overwrite purges old chunks
  await run("overwrite_purges_chunks", async () => {
    const os = await js.views.os("OWA");
    const ref = await js.views.os("OWB");
    const big = randomBytes(5000);
    const small = randomBytes(1500);
    const meta = () => ({ name: "obj", description: "same", options: { max_chunk_size: 1024 } });
    const p1 = await os.putBlob(meta(), big);
    check(p1.chunks === 5 && p1.size === 5000, `first put chunks ${p1.chunks}`);
    let si = await jsm.streams.info("OBJ_OWA");
    check(si.state.messages === 6, `after first put: ${si.state.messages} messages, want 5 chunks + 1 meta`);
    const bytesBig = si.state.bytes;
    const p2 = await os.putBlob(meta(), small);
    check(p2.chunks === 2 && p2.size === 1500 && p2.nuid !== p1.nuid, `second put chunks ${p2.chunks} nuid ${p2.nuid}`);
    si = await jsm.streams.info("OBJ_OWA", { subjects_filter: ">" });
    check(si.state.messages === 3, `after overwrite: ${si.state.messages} messages, want 2 chunks + 1 meta`);
    check(si.state.bytes < bytesBig, `bytes did not shrink: ${si.state.bytes} >= ${bytesBig}`);
    check(si.state.last_seq === 9, `last_seq ${si.state.last_seq}`);
    const subs = si.state.subjects || {};
    check(subs[`$O.OWA.C.${p1.nuid}`] === undefined, `old chunks still there: ${JSON.stringify(subs)}`);
    check(subs[`$O.OWA.C.${p2.nuid}`] === 2, `new chunks ${JSON.stringify(subs)}`);
    // the same content put once in a same-length bucket takes exactly the same bytes
    await ref.putBlob(meta(), small);
    const sref = await jsm.streams.info("OBJ_OWB");
    check(sref.state.messages === 3 && si.state.bytes === sref.state.bytes, `bytes ${si.state.bytes} vs fresh bucket ${sref.state.bytes}`);
    const oi = await os.info("obj");
    check(oi.revision === 9 && oi.size === 1500 && oi.digest === osDigest(small), `info after overwrite rev ${oi.revision}`);
    check(bytesEq(await os.getBlob("obj"), small), "get after overwrite");
    // overwrite with an empty object: no chunks left
    await os.putBlob(meta(), new Uint8Array(0));
    si = await jsm.streams.info("OBJ_OWA");
    check(si.state.messages === 1, `after overwrite with empty: ${si.state.messages}`);
    check((await os.getBlob("obj")).length === 0, "empty after overwrite");
  });

  // ---------------------------------------------------------------- update (meta only)
  await run("update_meta", async () => {
    const os = await js.views.os("UPD");
    const data = randomBytes(2500);
    const p = await os.putBlob({ name: "u", description: "old", options: { max_chunk_size: 1024 } }, data);
    const h = headers();
    h.set("X-New", "yes");
    await os.update("u", { description: "new", headers: h, metadata: { k: "v" } });
    let oi = await os.info("u");
    check(oi.description === "new" && oi.headers.get("X-New") === "yes" && oi.metadata.k === "v", `updated meta ${JSON.stringify(oi.info)}`);
    check(oi.size === 2500 && oi.chunks === 3 && oi.nuid === p.nuid && oi.digest === osDigest(data), "data fields kept");
    check(bytesEq(await os.getBlob("u"), data), "get after update");
    // rename
    await os.update("u", { name: "v", description: "renamed" });
    check((await os.info("u")) === null, "old name gone after rename");
    oi = await os.info("v");
    check(oi && oi.name === "v" && oi.description === "renamed" && oi.size === 2500, "renamed info");
    check(bytesEq(await os.getBlob("v"), data), "get after rename");
    const si = await jsm.streams.info("OBJ_UPD");
    check(si.state.messages === 4, `messages after rename ${si.state.messages} (3 chunks + 1 meta)`);
    // rename onto an existing object is refused
    await os.putBlob({ name: "w" }, new Uint8Array([7]));
    const e = await rejects(os.update("v", { name: "w" }), "rename onto existing");
    check(/already exists/.test(e.message), `rename onto existing: ${e.message}`);
    const e2 = await rejects(os.update("nope", { description: "x" }), "update missing");
    check(/not found/.test(e2.message), `update missing: ${e2.message}`);
  });

  // ---------------------------------------------------------------- links
  await run("links", async () => {
    const os = await js.views.os("LNK");
    const other = await js.views.os("LNK2");
    const data = randomBytes(3000);
    const ti = await os.putBlob({ name: "target", options: { max_chunk_size: 1024 } }, data);
    // link inside the bucket
    const li = await os.link("ln", ti);
    check(li.name === "ln" && li.isLink() === true, `link info ${JSON.stringify(li.info)}`);
    check(li.options.link.bucket === "LNK" && li.options.link.name === "target", `link target ${JSON.stringify(li.options)}`);
    check(bytesEq(await os.getBlob("ln"), data), "getBlob through the link");
    const r = await os.get("ln");
    check(r.info.name === "target" && r.info.size === 3000, `get through link info ${r.info.name}`);
    check(bytesEq(await readAll(r.data), data) && !(await r.error), "get stream through the link");
    // link from another bucket
    const xi = await other.link("xln", ti);
    check(xi.isLink() && xi.options.link.bucket === "LNK", "cross-bucket link info");
    check(bytesEq(await other.getBlob("xln"), data), "getBlob through the cross-bucket link");
    // bucket link
    const bi = await other.linkStore("bl", os);
    check(bi.isLink() && bi.options.link.bucket === "LNK" && !bi.options.link.name, `bucket link ${JSON.stringify(bi.options)}`);
    const e1 = await rejects(other.get("bl"), "get of a bucket link");
    check(/link is a bucket/.test(e1.message), `get of a bucket link: ${e1.message}`);
    // refusals
    const e2 = await rejects(os.link("ln2", li), "link to a link");
    check(/is a link/.test(e2.message), `link to a link: ${e2.message}`);
    const e3 = await rejects(os.link("target", ti), "link over an existing object");
    check(/already exists/.test(e3.message), `link over existing: ${e3.message}`);
    const list = await os.list();
    check(JSON.stringify(list.map((o) => o.name).sort()) === '["ln","target"]', `list ${list.map((o) => o.name)}`);
    // deleting the target: the link dangles (get returns null)
    await os.delete("target");
    check((await os.get("ln")) === null, "get through a link to a deleted object");
    const e4 = await rejects(os.link("ln3", await os.info("target")), "link to a deleted object");
    check(/deleted/.test(e4.message), `link to deleted: ${e4.message}`);
  });

  // ---------------------------------------------------------------- watch
  await run("watch", async () => {
    const os = await js.views.os("WAT");
    // empty bucket: the watcher announces "initialized" with a null first
    const w = await os.watch();
    const it = reader(w);
    let got = await nextN(it, 1, 2000, "initial null");
    check(got[0] === null, `first item ${JSON.stringify(got[0])}`);
    const a = randomBytes(2000);
    await os.putBlob({ name: "a", options: { max_chunk_size: 1024 } }, a);
    await os.putBlob({ name: "b" }, new Uint8Array([1, 2]));
    await os.delete("a");
    got = await nextN(it, 3, 2000, "put a, put b, delete a");
    check(got.map(descr).join(",") === "a,b,a(deleted)", `order ${got.map(descr)}`);
    check(got[0].size === 2000 && got[0].chunks === 2 && got[0].digest === osDigest(a) && got[0].bucket === "WAT", `put event ${JSON.stringify(got[0])}`);
    check(got[2].deleted === true && got[2].size === 0 && got[2].nuid === got[0].nuid, `delete event ${JSON.stringify(got[2])}`);
    await nothingMore(it, 200, "after the three events");
    w.stop();
    // history: the last meta per object in stream order, then null, then live updates
    const wh = await os.watch({ includeHistory: true });
    const ith = reader(wh);
    got = await nextN(ith, 3, 2000, "history");
    check(got.map(descr).join(",") === "b,a(deleted),null", `history ${got.map(descr)}`);
    // history without deletes
    const wi = await os.watch({ includeHistory: true, ignoreDeletes: true });
    const iti = reader(wi);
    got = await nextN(iti, 2, 2000, "history ignoring deletes");
    check(got.map(descr).join(",") === "b,null", `history ignoring deletes ${got.map(descr)}`);
    // no history on a non-empty bucket: only new entries, no null
    const wn = await os.watch();
    const itn = reader(wn);
    await nothingMore(itn, 200, "new-only watcher before any put");
    await os.putBlob({ name: "c" }, new Uint8Array([3]));
    await os.delete("b");
    got = await nextN(itn, 2, 2000, "new-only watcher");
    check(got.map(descr).join(",") === "c,b(deleted)", `new-only ${got.map(descr)}`);
    got = await nextN(ith, 2, 2000, "history watcher live");
    check(got.map(descr).join(",") === "c,b(deleted)", `history watcher live ${got.map(descr)}`);
    got = await nextN(iti, 1, 2000, "ignoreDeletes watcher live");
    check(got.map(descr).join(",") === "c", `ignoreDeletes live ${got.map(descr)}`);
    await nothingMore(iti, 200, "ignoreDeletes watcher after c");
    wh.stop();
    wi.stop();
    wn.stop();
  });

  // ---------------------------------------------------------------- seal
  await run("seal", async () => {
    const os = await js.views.os("SEAL");
    const data = randomBytes(1500);
    await os.putBlob({ name: "a", options: { max_chunk_size: 1024 } }, data);
    const st = await os.seal();
    check(st.sealed === true && st.bucket === "SEAL", `seal status ${st.sealed}`);
    const st2 = await os.status();
    check(st2.sealed === true && st2.streamInfo.config.sealed === true, `status sealed ${st2.sealed}`);
    check(st2.streamInfo.state.messages === 3, `messages kept ${st2.streamInfo.state.messages}`);
    const e = await rejects(os.putBlob({ name: "b" }, new Uint8Array([1])), "put into a sealed bucket");
    check(/sealed/.test(e.message), `put into sealed: ${e.message}`);
    const e2 = await rejects(os.putBlob({ name: "a" }, new Uint8Array([1])), "overwrite in a sealed bucket");
    check(/sealed/.test(e2.message), `overwrite in sealed: ${e2.message}`);
    const e3 = await rejects(os.delete("a"), "delete in a sealed bucket");
    check(/sealed/.test(e3.message), `delete in sealed: ${e3.message}`);
    // nothing changed, reads still work
    check(bytesEq(await os.getBlob("a"), data), "get from a sealed bucket");
    check((await os.info("b")) === null, "b not stored");
    const si = await jsm.streams.info("OBJ_SEAL");
    check(si.state.messages === 3 && si.config.sealed === true, `stream after refused writes ${si.state.messages}`);
    check((await os.list()).map((o) => o.name).join(",") === "a", "list of a sealed bucket");
  });

  // ---------------------------------------------------------------- destroy
  await run("destroy", async () => {
    const os = await js.views.os("GONE");
    await os.putBlob({ name: "a" }, randomBytes(100));
    check((await os.destroy()) === true, "destroy returns true");
    const e = await rejects(jsm.streams.info("OBJ_GONE"), "stream info after destroy");
    check(errCode(e) === 10059, `stream info after destroy: ${errCode(e)} ${e.message}`);
    const e2 = await rejects(os.status(), "status after destroy");
    check(/object store not found/.test(e2.message), `status after destroy: ${e2.message}`);
    const stores = await jsm.streams.listObjectStores().next();
    check(!stores.some((s) => s.bucket === "GONE"), `listObjectStores after destroy ${stores.map((s) => s.bucket)}`);
    const e3 = await rejects(os.destroy(), "second destroy");
    check(errCode(e3) === 10059, `second destroy: ${errCode(e3)} ${e3.message}`);
    // opening again creates a fresh, empty bucket
    const os2 = await js.views.os("GONE");
    const st = await os2.status();
    check(st.size === 0 && st.streamInfo.state.messages === 0, "recreated bucket is empty");
    check((await os2.info("a")) === null, "old object gone");
  });

  // ---------------------------------------------------------------- 64 MiB streamed
  await run("big_64mib", async () => {
    const os = await js.views.os("BIG");
    const total = 64 * 1024 * 1024;
    const piece = 1024 * 1024;
    const hash = createHash("sha256");
    const rs = streamOf(function* () {
      for (let off = 0; off < total; off += piece) {
        const b = randomBytes(piece);
        hash.update(b);
        yield new Uint8Array(b.buffer, b.byteOffset, b.length);
      }
    });
    const t0 = Date.now();
    const pi = await os.put({ name: "big" }, rs);
    const want = hash.digest();
    const wantHex = want.toString("hex");
    const wantDigest = "SHA-256=" + want.toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
    check(pi.size === total && pi.chunks === total / (128 * 1024), `put size ${pi.size} chunks ${pi.chunks}`);
    check(pi.digest === wantDigest, `put digest ${pi.digest}`);
    const t1 = Date.now();
    const r = await os.get("big");
    check(r !== null && r.info.size === total, "get info");
    const gh = createHash("sha256");
    let n = 0;
    const reader = r.data.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      gh.update(value);
      n += value.length;
    }
    const err = await r.error;
    check(!err, `get error ${err}`);
    check(n === total && gh.digest("hex") === wantHex, `got ${n} bytes back, digest mismatch or short`);
    const si = await jsm.streams.info("OBJ_BIG");
    check(si.state.messages === 513, `stream messages ${si.state.messages}`);
    if (process.env.WEIR_TEST_VERBOSE) console.error(`big_64mib: put ${t1 - t0} ms, get ${Date.now() - t1} ms`);
  }, 25_000);

  await nc.drain();
}

await finish(main, 45_000);
