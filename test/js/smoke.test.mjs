// smoke.test.mjs — nats.js (the JavaScript client) against the server named by WEIR_SERVER:
// publish/subscribe, request/reply, headers, queue groups and no-responders.
//
// Starts its own server on a free port with a temporary store directory, prints one line per
// case, "PASS name" or "FAIL name: why", stops the server with SIGINT, and exits non-zero if
// anything failed. A global timer ends the run (and the server) if anything hangs.
//
//   WEIR_SERVER=/usr/sbin/nats-server node test/js/smoke.test.mjs
import { connect, headers, StringCodec, ErrorCode } from "nats";
import { startServer, run, check, finish } from "./harness.mjs";

const sc = StringCodec();

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
  const servers = await startServer();
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

await finish(main);
