// smoke.test.mjs — nats.js (the JavaScript client) against the server named by WEIR_SERVER:
// publish/subscribe, request/reply, headers, queue groups and no-responders.
//
// Starts its own server on a free port with a temporary store directory, prints one line per
// case, "PASS name" or "FAIL name: why", stops the server with SIGINT, and exits non-zero if
// anything failed. A global timer ends the run (and the server) if anything hangs.
//
//   WEIR_SERVER=/usr/sbin/nats-server node test/js/smoke.test.mjs
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { connect, headers, StringCodec, ErrorCode } from "nats";

const here = path.dirname(fileURLToPath(import.meta.url));
const serverBin = process.env.WEIR_SERVER || path.resolve(here, "../../bin/weir-server");
const sc = StringCodec();
const GLOBAL_TIMEOUT_MS = 60_000;
const CASE_TIMEOUT_MS = 10_000;

let server = null;
let tmpdir = null;
let failed = 0;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Resolves when a connection to the port receives a line starting with "INFO ".
function answersInfo(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1000, () => done(false));
    sock.on("error", () => done(false));
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      if (buf.includes("\n")) done(buf.startsWith("INFO "));
    });
  });
}

async function startServer() {
  const port = await freePort();
  tmpdir = mkdtempSync(path.join(os.tmpdir(), "weir-js-"));
  const out = openSync(path.join(tmpdir, "server.out"), "a");
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", path.join(tmpdir, "store")];
  server = spawn(serverBin, args, { stdio: ["ignore", out, out] });
  let exited = null;
  server.on("exit", (code, sig) => (exited = `exited (code ${code}, signal ${sig})`));
  server.on("error", (e) => (exited = `could not start: ${e.message}`));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${serverBin} ${exited}`);
    if (await answersInfo(port)) return port;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${serverBin} did not answer on port ${port} within 10 s`);
}

async function stopServer() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const gone = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGINT");
  const timer = setTimeout(() => server.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
}

function cleanup() {
  if (tmpdir && !process.env.WEIR_TEST_KEEP) rmSync(tmpdir, { recursive: true, force: true });
}

function dumpServerLog() {
  try {
    const lines = readFileSync(path.join(tmpdir, "server.out"), "utf8").trim().split("\n");
    console.error(`---- last lines of ${tmpdir}/server.out ----`);
    console.error(lines.slice(-20).join("\n"));
  } catch {
    // best effort
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

function check(cond, why) {
  if (!cond) throw new Error(why);
}

async function run(name, fn) {
  try {
    await withTimeout(Promise.resolve().then(fn), CASE_TIMEOUT_MS, name);
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${String(e && e.message ? e.message : e).replace(/\n/g, " ")}`);
  }
}

// Collects n messages from an async iterator of a subscription.
async function take(sub, n) {
  const out = [];
  if (n === 0) return out;
  for await (const m of sub) {
    out.push(m);
    if (out.length === n) break;
  }
  return out;
}

async function main() {
  const port = await startServer();
  const servers = `127.0.0.1:${port}`;
  const nc = await connect({ servers, name: "weir-js-smoke", timeout: 5000 });
  const nc2 = await connect({ servers, name: "weir-js-smoke-2", timeout: 5000 });

  await run("info", async () => {
    const info = nc.info;
    check(info && typeof info.server_id === "string" && info.server_id.length > 0, "no server_id");
    check(info.headers === true, "headers not announced");
    check(info.jetstream === true, "jetstream not announced with -js");
    check(Number.isInteger(info.max_payload) && info.max_payload > 0, "bad max_payload");
    check(nc.info.proto === 1, `proto ${nc.info.proto}`);
  });

  await run("pubsub", async () => {
    const sub = nc.subscribe("js.smoke.ps");
    const got = take(sub, 3);
    await nc.flush();
    nc2.publish("js.smoke.ps", sc.encode("one"));
    nc2.publish("js.smoke.ps", sc.encode("two"));
    nc2.publish("js.smoke.ps");
    const msgs = await got;
    check(msgs.map((m) => sc.decode(m.data)).join(",") === "one,two,", "wrong messages");
    check(msgs.every((m) => m.subject === "js.smoke.ps"), "wrong subject");
  });

  await run("wildcards", async () => {
    const star = nc.subscribe("js.smoke.w.*.x");
    const gt = nc.subscribe("js.smoke.w.>");
    const gotStar = take(star, 2);
    const gotGt = take(gt, 4);
    await nc.flush();
    for (const s of ["js.smoke.w.a.x", "js.smoke.w.a.b.x", "js.smoke.w.b.x", "js.smoke.w.c"]) {
      nc2.publish(s, sc.encode(s));
    }
    const s1 = (await gotStar).map((m) => m.subject).join(",");
    const s2 = (await gotGt).map((m) => m.subject).join(",");
    check(s1 === "js.smoke.w.a.x,js.smoke.w.b.x", `* got ${s1}`);
    check(s2 === "js.smoke.w.a.x,js.smoke.w.a.b.x,js.smoke.w.b.x,js.smoke.w.c", `> got ${s2}`);
    star.unsubscribe();
    gt.unsubscribe();
  });

  await run("request_reply", async () => {
    const svc = nc2.subscribe("js.smoke.svc", {
      callback: (err, m) => {
        if (!err) m.respond(sc.encode(`re:${sc.decode(m.data)}`));
      },
    });
    await nc2.flush();
    for (let i = 0; i < 10; i++) {
      const r = await nc.request("js.smoke.svc", sc.encode(`q${i}`), { timeout: 3000 });
      check(sc.decode(r.data) === `re:q${i}`, `reply ${sc.decode(r.data)}`);
    }
    // the old-style request with its own inbox per request works too
    const r = await nc.request("js.smoke.svc", sc.encode("x"), { timeout: 3000, noMux: true });
    check(sc.decode(r.data) === "re:x", `noMux reply ${sc.decode(r.data)}`);
    svc.unsubscribe();
  });

  await run("headers", async () => {
    const sub = nc.subscribe("js.smoke.h");
    const got = take(sub, 2);
    await nc.flush();
    const h = headers();
    h.set("X-One", "1");
    h.append("X-Multi", "a");
    h.append("X-Multi", "b b");
    h.append("X-Multi", "c:c");
    nc2.publish("js.smoke.h", sc.encode("body"), { headers: h, reply: "js.smoke.h.reply" });
    const h2 = headers();
    h2.set("X-Only", "yes");
    nc2.publish("js.smoke.h", undefined, { headers: h2 });
    const [m, m2] = await got;
    check(m.headers, "no headers received");
    check(m.headers.get("X-One") === "1", "X-One");
    check(m.headers.values("X-Multi").join("|") === "a|b b|c:c", `X-Multi ${m.headers.values("X-Multi")}`);
    check(sc.decode(m.data) === "body", "payload");
    check(m.reply === "js.smoke.h.reply", "reply subject");
    check(m2.headers && m2.headers.get("X-Only") === "yes" && m2.data.length === 0, "header-only message");
  });

  await run("queue_group", async () => {
    const N = 1000;
    const members = [0, 1, 2, 3].map(() => nc.subscribe("js.smoke.q", { queue: "workers" }));
    const plain = nc.subscribe("js.smoke.q");
    await nc.flush();
    const seen = new Map();
    const counts = members.map(() => 0);
    let total = 0;
    const allIn = new Promise((resolve) => {
      members.forEach((sub, i) => {
        (async () => {
          for await (const m of sub) {
            const k = sc.decode(m.data);
            seen.set(k, (seen.get(k) || 0) + 1);
            counts[i]++;
            if (++total === N) resolve();
          }
        })();
      });
    });
    const plainAll = take(plain, N);
    for (let i = 0; i < N; i++) nc2.publish("js.smoke.q", sc.encode(String(i)));
    await nc2.flush();
    await allIn;
    await plainAll;
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50)); // nothing more may trickle in
    members.forEach((s) => s.unsubscribe());
    check(total === N, `members got ${total} of ${N}`);
    check(seen.size === N && [...seen.values()].every((v) => v === 1), "duplicates or gaps");
    check(counts.every((c) => c > 0), `not distributed: ${counts}`);
  });

  await run("no_responders", async () => {
    const t0 = Date.now();
    try {
      await nc.request("js.smoke.nobody", sc.encode("hi"), { timeout: 5000 });
      throw new Error("request to nobody succeeded");
    } catch (e) {
      check(e.code === ErrorCode.NoResponders, `got ${e.code || e.message}, want ${ErrorCode.NoResponders}`);
    }
    check(Date.now() - t0 < 2000, "no-responders answer was not immediate");
  });

  await nc.drain();
  await nc2.drain();
}

const globalTimer = setTimeout(async () => {
  console.log(`FAIL global_timeout: run did not finish within ${GLOBAL_TIMEOUT_MS} ms`);
  dumpServerLog();
  await stopServer().catch(() => {});
  cleanup();
  process.exit(2);
}, GLOBAL_TIMEOUT_MS);
globalTimer.unref();

let code = 0;
try {
  await main();
} catch (e) {
  console.log(`FAIL setup: ${String(e && e.message ? e.message : e).replace(/\n/g, " ")}`);
  failed++;
}
if (failed) dumpServerLog();
await stopServer();
cleanup();
code = failed ? 1 : 0;
clearTimeout(globalTimer);
process.exit(code);
