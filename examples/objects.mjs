// examples/objects.mjs — the Object Store with nats.js against weir-server, as shown in the README.
//   node examples/objects.mjs [nats://127.0.0.1:4222]
// (run `cd test/js && npm ci` once: the example uses the nats.js installed there)
import { connect } from "../test/js/node_modules/nats/index.js";
import { createHash, randomBytes } from "node:crypto";

const nc = await connect({ servers: process.argv[2] || "nats://127.0.0.1:4222" });
const os = await nc.jetstream().views.os("files", { description: "uploads" });

const blob = randomBytes(5 * 1024 * 1024); // 5 MiB, stored in 128 KiB chunks
const info = await os.putBlob({ name: "photos/cat.jpg", description: "a cat" }, blob);
console.log(`put: ${info.name} ${info.size} bytes in ${info.chunks} chunks, digest ${info.digest}`);

const back = await os.getBlob("photos/cat.jpg"); // the digest is verified while reading
const same = createHash("sha256").update(back).digest("hex") === createHash("sha256").update(blob).digest("hex");
console.log(`get: ${back.length} bytes, identical: ${same}`);

for await (const o of await os.list()) console.log(`list: ${o.name} (${o.size} bytes)`);
await os.delete("photos/cat.jpg");
console.log(`after delete: ${await os.getBlob("photos/cat.jpg")}`);
await nc.close();
