// harness.mjs — what the nats.js interop tests share: start the server named by WEIR_SERVER on a
// free port with a temporary store, run named cases printing "PASS name" / "FAIL name: why",
// stop the server with SIGINT, and end the process with a global timeout if anything hangs.
//
//   import { startServer, finish, run, check } from "./harness.mjs";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, openSync, readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const serverBin = process.env.WEIR_SERVER || path.resolve(here, "../../bin/weir-server");

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

// Starts the server with JetStream on; resolves to "127.0.0.1:PORT".
export async function startServer(extraArgs = []) {
  const port = await freePort();
  tmpdir = mkdtempSync(path.join(os.tmpdir(), "weir-js-"));
  const out = openSync(path.join(tmpdir, "server.out"), "a");
  const args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", path.join(tmpdir, "store"), ...extraArgs];
  server = spawn(serverBin, args, { stdio: ["ignore", out, out] });
  let exited = null;
  server.on("exit", (code, sig) => (exited = `exited (code ${code}, signal ${sig})`));
  server.on("error", (e) => (exited = `could not start: ${e.message}`));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${serverBin} ${exited}`);
    if (await answersInfo(port)) return `127.0.0.1:${port}`;
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

export function check(cond, why) {
  if (!cond) throw new Error(why);
}

// Runs one case; a thrown error or a timeout is a FAIL line.
export async function run(name, fn, timeoutMs = 10_000) {
  try {
    await withTimeout(Promise.resolve().then(fn), timeoutMs, name);
    console.log(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${String(e && e.message ? e.message : e).replace(/\n/g, " ")}`);
  }
}

// Runs main (which starts the server and the cases), then stops the server, cleans up and exits
// with status 1 if anything failed. The whole run is bounded by globalTimeoutMs.
export async function finish(main, globalTimeoutMs = 60_000) {
  const globalTimer = setTimeout(async () => {
    console.log(`FAIL global_timeout: run did not finish within ${globalTimeoutMs} ms`);
    dumpServerLog();
    await stopServer().catch(() => {});
    process.exit(2);
  }, globalTimeoutMs);
  globalTimer.unref();
  try {
    await main();
  } catch (e) {
    console.log(`FAIL setup: ${String(e && e.message ? e.message : e).replace(/\n/g, " ")}`);
    failed++;
  }
  if (failed) dumpServerLog();
  await stopServer();
  if (tmpdir && !process.env.WEIR_TEST_KEEP) rmSync(tmpdir, { recursive: true, force: true });
  clearTimeout(globalTimer);
  process.exit(failed ? 1 : 0);
}
