// examples/kv.mjs — Key-Value with nats.js against weir-server, as shown in the README.
//   node examples/kv.mjs [nats://127.0.0.1:4222]
// (run `cd test/js && npm ci` once: the example uses the nats.js installed there)
import { connect, StringCodec } from "../test/js/node_modules/nats/index.js";

const nc = await connect({ servers: process.argv[2] || "nats://127.0.0.1:4222" });
const sc = StringCodec();
const js = nc.jetstream();
const kv = await js.views.kv("config", { history: 5 });

const watch = await kv.watch({ key: "app.>" }); // live changes, like etcd's watch
(async () => {
  for await (const e of watch) console.log(`watch: ${e.operation} ${e.key} = ${sc.decode(e.value)} (revision ${e.revision})`);
})();

const r1 = await kv.put("app.color", sc.encode("blue"));
await kv.put("app.color", sc.encode("green"));
console.log(`get: ${sc.decode((await kv.get("app.color")).value)}`);
await kv.update("app.color", sc.encode("red"), r1 + 1); // compare-and-set on the revision
try {
  await kv.update("app.color", sc.encode("stale"), r1); // an old revision is refused
} catch (err) {
  console.log(`update with revision ${r1} refused: ${err.message}`);
}
console.log(`history: ${(await collect(await kv.history({ key: "app.color" }))).map((e) => sc.decode(e.value)).join(", ")}`);
await kv.delete("app.color");
console.log(`keys: ${(await collect(await kv.keys())).join(", ") || "(none)"}`);

await new Promise((r) => setTimeout(r, 200));
watch.stop();
await nc.close();

async function collect(it) {
  const out = [];
  for await (const x of it) out.push(x);
  return out;
}
