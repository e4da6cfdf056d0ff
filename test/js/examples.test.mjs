// examples.test.mjs — runs the README's examples (examples/kv.mjs, examples/objects.mjs) against
// the server named by WEIR_SERVER and checks what they print, so the README cannot drift from
// what works.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startServer, run, check, finish } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function example(name, url) {
  return new Promise((resolve, reject) => {
    execFile("node", [path.join(root, "examples", name), `nats://${url}`], { timeout: 20_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

async function main() {
  const url = await startServer();

  await run("kv_example", async () => {
    const out = await example("kv.mjs", url);
    for (const want of [
      "watch: PUT app.color = blue (revision 1)",
      "watch: PUT app.color = green (revision 2)",
      "get: green",
      "watch: PUT app.color = red (revision 3)",
      "update with revision 1 refused: wrong last sequence: 3",
      "history: blue, green, red",
      "watch: DEL app.color =  (revision 4)",
      "keys: (none)",
    ])
      check(out.includes(want + "\n"), `missing "${want}" in:\n${out}`);
  }, 25_000);

  await run("objects_example", async () => {
    const out = await example("objects.mjs", url);
    check(/put: photos\/cat\.jpg 5242880 bytes in 40 chunks, digest SHA-256=[A-Za-z0-9_-]{43}=\n/.test(out), out);
    for (const want of ["get: 5242880 bytes, identical: true", "list: photos/cat.jpg (5242880 bytes)", "after delete: null"])
      check(out.includes(want + "\n"), `missing "${want}" in:\n${out}`);
  }, 25_000);
}

finish(main);
