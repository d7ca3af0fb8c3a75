// The core's own cost per request, in-process, no sockets: build an HTTPServerRequest,
// `app.startRequest(request).finish()` through a connection that discards the response,
// and wait for it. This isolates what Cyclone adds on top of the host, so a change in
// src/core shows up here without the noise of the network stack and the load generator.
//
// Variants: the Hello world handler as written; the same with `computeEtag()` returning
// null (Tornado's documented way to turn ETags off), to price the SHA-1 ETag; and a
// handler that writes a plain object (JSON).
//
// Run `npm run build` first, then `node bench/handler.js`. Settings: BENCH_QUICK=1,
// BENCH_ROUNDS (default 3), BENCH_HANDLER_MS (measured milliseconds per variant, default 1000).
// Through the Node entry point, as Node users import it: it installs the host's native
// SHA-1 for ETags (the bare core falls back to a JavaScript one, as on Workers).
import { Application, HTTPHeaders, HTTPServerRequest, RequestHandler } from "../dist/node/index.js";
import { fixed, int, median, table } from "./lib/format.js";

const env = process.env;
const quick = env.BENCH_QUICK === "1";
const ROUNDS = Math.max(1, Math.round(Number(env.BENCH_ROUNDS) || (quick ? 1 : 3)));
const MEASURE_MS = Number(env.BENCH_HANDLER_MS) || (quick ? 300 : 1000);

const RESOLVED = Promise.resolve();
let bytesOut = 0;

/** An HTTPConnection that accepts everything and keeps nothing. */
class NullConnection {
  writeHeaders(startLine, headers, chunk) {
    if (chunk !== undefined) bytesOut += chunk.length;
    return RESOLVED;
  }
  write(chunk) {
    bytesOut += chunk.length;
    return RESOLVED;
  }
  finish() {}
  setCloseCallback() {}
  abort() {}
}

class Hello extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
}

class HelloNoEtag extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
  computeEtag() {
    return null;
  }
}

class Json extends RequestHandler {
  get() {
    this.write({ message: "Hello, world" });
  }
}

const VARIANTS = [
  { label: "Hello world (default: SHA-1 ETag)", app: new Application([["/", Hello]]) },
  { label: "Hello world, computeEtag() → null", app: new Application([["/", HelloNoEtag]]) },
  { label: "JSON object body", app: new Application([["/", Json]]) },
];

// The headers a typical load generator sends, as node:http hands them over (rawHeaders).
const RAW_HEADERS = ["Host", "127.0.0.1:8888", "Accept", "*/*"];

// The request as the Node host builds it (src/node/httpserver-connection.ts,
// nodeServerRequest): headers read in place from the raw array, not copied.
function request() {
  const headers = HTTPHeaders.fromRawHeaders(RAW_HEADERS);
  return new HTTPServerRequest({
    method: "GET",
    uri: "/",
    version: "HTTP/1.1",
    headers,
    remoteIp: "127.0.0.1",
    protocol: "http",
    host: headers.get("Host") ?? "127.0.0.1",
    connection: new NullConnection(),
  });
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// Runs for `ms` of wall time; the rate is per second of this process's CPU time, so other
// processes on a shared machine do not count against it.
async function time(app, ms) {
  const end = performance.now() + ms;
  const c0 = cpuMicros();
  let n = 0;
  do {
    // A batch between clock reads keeps the timer's own cost out of the figure.
    for (let i = 0; i < 64; i++) await app.startRequest(request()).finish();
    n += 64;
  } while (performance.now() < end);
  return (n * 1e6) / (cpuMicros() - c0);
}

async function main() {
  console.log(`# Core cost per request, in-process — ${new Date().toISOString()}`);
  console.log(`${MEASURE_MS} ms per variant after a warm-up; ${ROUNDS} interleaved round(s), medians reported.\n`);
  const results = VARIANTS.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (let v = 0; v < VARIANTS.length; v++) {
      await time(VARIANTS[v].app, MEASURE_MS / 4);
      results[v].push(await time(VARIANTS[v].app, MEASURE_MS));
    }
  }
  const rows = [["Variant", "requests per CPU-s", "µs per request"]];
  VARIANTS.forEach((v, i) => {
    const rps = median(results[i]);
    rows.push([v.label, int(rps), fixed(1e6 / rps, 2)]);
  });
  console.log(table(rows, ["l", "r", "r"]));
  if (bytesOut === 0) throw new Error("no response bytes reached the connection: the benchmark measured nothing");
}

await main();
