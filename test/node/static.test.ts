// Specification of StaticFileHandler (src/core/static.ts) served from disk by NodeFileSource
// (src/node/static.ts), over real sockets on 127.0.0.1: Tornado's StaticFileHandler
// semantics, the traversal corpus, and a 1 GiB file streamed in constant memory.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Application, formatTimestamp, genLog, type LogRecord, RequestHandler } from "../../src/core/index.js";
import { staticHandlerRules, StaticFileHandler, staticUrl } from "../../src/core/static.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { NodeFileSource } from "../../src/node/static.js";

const FIXTURES = fileURLToPath(new URL("../fixtures/static/", import.meta.url));
const SECRET = "TOP-SECRET-7f3a9c-never-serve-me";
const GIB = 1024 * 1024 * 1024;

let tmp = "";
let root = "";
let server: HTTPServer;
let base = "";
let port = 0;

/** A NodeFileSource that counts the bytes it hands out (for the disconnect test). */
class CountingSource extends NodeFileSource {
  bytesRead = 0;
  override read(path: string, start?: number, end?: number): AsyncIterable<Uint8Array> {
    const inner = super.read(path, start, end);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of inner) {
          self.bytesRead += chunk.length;
          yield chunk;
        }
      },
    };
  }
}
const counting = new CountingSource();

class PageHandler extends RequestHandler {
  override get() {
    this.write(staticUrl(this.settings, this.getArgument("p")));
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(nodePath.join(os.tmpdir(), "cyclone-static-"));
  root = nodePath.join(tmp, "static");
  fs.cpSync(FIXTURES, root, { recursive: true });
  fs.writeFileSync(nodePath.join(tmp, "secret.txt"), SECRET);
  fs.mkdirSync(nodePath.join(tmp, "static-evil"));
  fs.writeFileSync(nodePath.join(tmp, "static-evil", "x.txt"), SECRET);
  fs.symlinkSync(nodePath.join(tmp, "secret.txt"), nodePath.join(root, "link-out"));
  fs.symlinkSync("../secret.txt", nodePath.join(root, "rel-link-out.txt"));
  fs.symlinkSync(tmp, nodePath.join(root, "dir-out"));
  fs.symlinkSync("hello.txt", nodePath.join(root, "link-in.txt"));
  // Sparse: 1 GiB of size, no disk blocks; a marker at the very end.
  const big = nodePath.join(root, "big.bin");
  fs.closeSync(fs.openSync(big, "w"));
  fs.truncateSync(big, GIB - 8);
  fs.appendFileSync(big, "THE-END!");
  // Fixed times, so Last-Modified is known.
  const mtime = new Date("2020-05-17T10:20:30.750Z");
  fs.utimesSync(nodePath.join(root, "hello.txt"), mtime, mtime);

  const source = new NodeFileSource();
  const settings = { staticPath: root, staticFileSource: source };
  const app = new Application(
    [
      ...staticHandlerRules(settings),
      ["/page", PageHandler],
      ["/root/(.*)", StaticFileHandler, { path: root, defaultFilename: "index.html" }],
      ["/counted/(.*)", StaticFileHandler, { path: root, source: counting }],
      ["/relative/(.*)", StaticFileHandler, { path: nodePath.relative(process.cwd(), root) }],
    ],
    settings,
  );
  server = new HTTPServer(app);
  await server.listen(0, "127.0.0.1");
  port = server.address()!.port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const sha512 = (b: string | Uint8Array) => createHash("sha512").update(b).digest("hex");
const fileBytes = (p: string) => fs.readFileSync(nodePath.join(root, p));

/** One request written as raw bytes (no client-side URL normalisation); status and body. */
function raw(target: string, headers = ""): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const parts: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer for ${target}`));
    }, 5000);
    sock.on("data", (d) => parts.push(d));
    sock.on("error", reject);
    sock.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(parts).toString("latin1");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
    sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`);
  });
}

describe("serving files", () => {
  it("serves a file with its type, length, Accept-Ranges, Last-Modified and a SHA-512 ETag", async () => {
    const res = await fetch(`${base}/static/hello.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Hello, world\n");
    expect(res.headers.get("Content-Type")).toBe("text/plain");
    expect(res.headers.get("Content-Length")).toBe("13");
    expect(res.headers.get("Accept-Ranges")).toBe("bytes");
    expect(res.headers.get("Last-Modified")).toBe("Sun, 17 May 2020 10:20:30 GMT");
    expect(res.headers.get("Etag")).toBe(`"${sha512("Hello, world\n")}"`);
    expect(res.headers.get("Cache-Control")).toBeNull();
    expect(res.headers.get("Expires")).toBeNull();
  });

  it("serves binary files byte for byte", async () => {
    const res = await fetch(`${base}/static/pixel.png`);
    expect(res.headers.get("Content-Type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).equals(fileBytes("pixel.png"))).toBe(true);
  });

  it.each([
    ["css/site.css", "text/css"],
    ["app.js", "text/javascript"],
    ["data.json", "application/json"],
    ["dir/index.html", "text/html"],
    ["favicon.ico", "image/vnd.microsoft.icon"],
    ["notes.txt.gz", "application/gzip"],
    ["thing.unknownext", "application/octet-stream"],
    ["README", "application/octet-stream"],
  ])("answers %s as %s", async (p, type) => {
    const res = await fetch(`${base}/static/${p}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe(type);
    expect(Buffer.from(await res.arrayBuffer()).equals(fileBytes(p))).toBe(true);
  });

  it("serves an empty file", async () => {
    const res = await fetch(`${base}/static/empty.txt`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe("0");
    expect(await res.text()).toBe("");
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    const res = await fetch(`${base}/static/hello.txt`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe("13");
    expect(res.headers.get("Etag")).toBe(`"${sha512("Hello, world\n")}"`);
    expect(await res.text()).toBe("");
  });

  it("serves /robots.txt and /favicon.ico from the static path, as Tornado's Application", async () => {
    expect(await (await fetch(`${base}/robots.txt`)).text()).toBe(fileBytes("robots.txt").toString());
    const ico = await fetch(`${base}/favicon.ico`);
    expect(Buffer.from(await ico.arrayBuffer()).equals(fileBytes("favicon.ico"))).toBe(true);
  });

  it("answers 404 for a missing file and 403 for a directory", async () => {
    expect((await fetch(`${base}/static/nope.txt`)).status).toBe(404);
    expect((await fetch(`${base}/static/css`)).status).toBe(403);
    expect((await fetch(`${base}/static/`)).status).toBe(403);
  });

  it("follows a symbolic link that stays inside the root", async () => {
    const res = await fetch(`${base}/static/link-in.txt`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Hello, world\n");
  });

  it("serves from a root given as a relative path", async () => {
    expect(await (await fetch(`${base}/relative/sub/nested.txt`)).text()).toBe("nested\n");
    expect((await raw("/relative/../secret.txt")).status).toBe(403);
  });
});

describe("defaultFilename", () => {
  it("redirects a directory URL without its slash (301), then serves the default file", async () => {
    const res = await fetch(`${base}/root/dir`, { redirect: "manual" });
    expect(res.status).toBe(301);
    expect(res.headers.get("Location")).toBe("/root/dir/");
    const page = await fetch(`${base}/root/dir/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toBe("text/html");
    expect(await page.text()).toBe(fileBytes("dir/index.html").toString());
  });

  it("answers 404 for a directory without the default file", async () => {
    expect((await fetch(`${base}/root/sub/`)).status).toBe(404);
  });

  it("refuses to redirect a path starting with two slashes (open redirect)", async () => {
    // "//dir" → "//dir/" would be a protocol-relative URL to the host "dir".
    const app = new Application([["/+(.*)", StaticFileHandler, { path: root, defaultFilename: "index.html", source: new NodeFileSource() }]]);
    const messages: string[] = [];
    const handler = (r: LogRecord) => messages.push(r.message);
    genLog.addHandler(handler);
    try {
      const res = await app.fetch(new Request("http://x//dir"));
      expect(res.status).toBe(403);
      expect(res.headers.get("Location")).toBeNull();
      expect((await app.fetch(new Request("http://x/dir"), {})).status).toBe(301);
    } finally {
      genLog.removeHandler(handler);
    }
    expect(messages).toContain("403 GET //dir (127.0.0.1): cannot redirect path with two initial slashes");
  });
});

describe("conditional requests", () => {
  const etag = () => `"${sha512("Hello, world\n")}"`;

  it("answers 304 for a matching If-None-Match, without a body or Content-Type", async () => {
    const res = await fetch(`${base}/static/hello.txt`, { headers: { "If-None-Match": etag() } });
    expect(res.status).toBe(304);
    expect(res.headers.get("Etag")).toBe(etag());
    expect(res.headers.get("Content-Type")).toBeNull();
    expect(await res.text()).toBe("");
  });

  it("matches weak tags, lists and *", async () => {
    for (const inm of [`W/${etag()}`, `"other", ${etag()}`, "*"]) {
      expect((await fetch(`${base}/static/hello.txt`, { headers: { "If-None-Match": inm } })).status).toBe(304);
    }
    expect((await fetch(`${base}/static/hello.txt`, { headers: { "If-None-Match": '"other"' } })).status).toBe(200);
  });

  it("answers 304 when If-Modified-Since is at or after Last-Modified", async () => {
    for (const ims of ["Sun, 17 May 2020 10:20:30 GMT", "Sunday, 17-May-20 10:20:31 GMT", "Sun May 17 10:20:30 2020", "Sun, 17 May 2020 12:20:30 +0200"]) {
      expect((await fetch(`${base}/static/hello.txt`, { headers: { "If-Modified-Since": ims } })).status, ims).toBe(304);
    }
  });

  it("answers 200 when If-Modified-Since is earlier or unreadable", async () => {
    for (const ims of ["Sun, 17 May 2020 10:20:29 GMT", "yesterday", "Sun, 31 Feb 2020 10:20:30 GMT"]) {
      expect((await fetch(`${base}/static/hello.txt`, { headers: { "If-Modified-Since": ims } })).status, ims).toBe(200);
    }
  });

  it("lets If-None-Match decide when both are sent", async () => {
    const res = await fetch(`${base}/static/hello.txt`, {
      headers: { "If-None-Match": '"other"', "If-Modified-Since": "Sun, 17 May 2020 10:20:30 GMT" },
    });
    expect(res.status).toBe(200);
  });
});

describe("ranges", () => {
  const get = (range: string) => fetch(`${base}/static/hello.txt`, { headers: { Range: range } });

  it.each([
    ["bytes=0-4", "Hello", "bytes 0-4/13"],
    ["bytes=7-", "world\n", "bytes 7-12/13"],
    ["bytes=-6", "world\n", "bytes 7-12/13"],
    ["bytes=7-11", "world", "bytes 7-11/13"],
    ["bytes=12-12", "\n", "bytes 12-12/13"],
    ["bytes=5-100", ", world\n", "bytes 5-12/13"],
  ])("answers %s with 206 and the slice", async (range, body, contentRange) => {
    const res = await get(range);
    expect(res.status).toBe(206);
    expect(res.headers.get("Content-Range")).toBe(contentRange);
    expect(res.headers.get("Content-Length")).toBe(String(body.length));
    expect(res.headers.get("Etag")).toBe(`"${sha512("Hello, world\n")}"`);
    expect(await res.text()).toBe(body);
  });

  it.each(["bytes=0-", "bytes=0-12", "bytes=0-1000", "bytes=-100", "bytes=", "bytes=1-2,6-10", "items=0-4", "bytes=a-b"])(
    "answers %s with the whole file (200)",
    async (range) => {
      const res = await get(range);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Range")).toBeNull();
      expect(await res.text()).toBe("Hello, world\n");
    },
  );

  it.each(["bytes=13-", "bytes=100-200", "bytes=5-2", "bytes=-0"])("answers %s with 416", async (range) => {
    const res = await get(range);
    expect(res.status).toBe(416);
    expect(res.headers.get("Content-Range")).toBe("bytes */13");
    expect(res.headers.get("Content-Type")).toBe("text/plain");
    expect(await res.text()).toBe("");
  });

  it("answers a range on HEAD with the 206 headers only", async () => {
    const res = await fetch(`${base}/static/hello.txt`, { method: "HEAD", headers: { Range: "bytes=0-4" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("Content-Length")).toBe("5");
    expect(await res.text()).toBe("");
  });
});

describe("versioned URLs", () => {
  it("staticUrl adds ?v=<SHA-512 of the content>, and the prefix from the settings", async () => {
    const url = await (await fetch(`${base}/page?p=css/site.css`)).text();
    expect(url).toBe(`/static/css/site.css?v=${sha512(fileBytes("css/site.css"))}`);
    const settings = { staticPath: root, staticFileSource: new NodeFileSource(), staticUrlPrefix: "/assets/" };
    expect(staticUrl(settings, "app.js", { includeVersion: false })).toBe("/assets/app.js");
    expect(staticUrl(settings, "app.js", { base: "https://cdn.example.com" })).toBe(`https://cdn.example.com/assets/app.js?v=${sha512(fileBytes("app.js"))}`);
  });

  it("leaves the version off for a file it cannot read", () => {
    expect(staticUrl({ staticPath: root, staticFileSource: new NodeFileSource() }, "missing.css")).toBe("/static/missing.css");
  });

  it("refuses staticUrl without a staticPath setting", () => {
    expect(() => staticUrl({}, "a.css")).toThrow(/staticPath/);
  });

  it("caches a versioned URL for ten years", async () => {
    const res = await fetch(`${base}/static/hello.txt?v=abc`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("max-age=315360000");
    const expires = Date.parse(res.headers.get("Expires")!);
    expect(Math.abs(expires - (Date.now() + 315360000 * 1000))).toBeLessThan(10_000);
  });

  it("keeps a file's hash until reset(), as Tornado's class cache", async () => {
    const p = nodePath.join(root, "changing.txt");
    fs.writeFileSync(p, "one");
    const first = (await fetch(`${base}/static/changing.txt`)).headers.get("Etag");
    fs.writeFileSync(p, "two");
    const stale = await fetch(`${base}/static/changing.txt`);
    expect(stale.headers.get("Etag")).toBe(first);
    expect(await stale.text()).toBe("two");
    StaticFileHandler.reset();
    expect((await fetch(`${base}/static/changing.txt`)).headers.get("Etag")).toBe(`"${sha512("two")}"`);
  });

  it("recomputes the hash on every request when staticHashCache is off (debug)", async () => {
    const p = nodePath.join(root, "live.txt");
    fs.writeFileSync(p, "one");
    const app = new Application([["/s/(.*)", StaticFileHandler, { path: root }]], { debug: true, staticFileSource: new NodeFileSource() });
    expect((await app.fetch(new Request("http://x/s/live.txt"))).headers.get("Etag")).toBe(`"${sha512("one")}"`);
    fs.writeFileSync(p, "two");
    expect((await app.fetch(new Request("http://x/s/live.txt"))).headers.get("Etag")).toBe(`"${sha512("two")}"`);
  });
});

describe("traversal is impossible", () => {
  // Each target is written raw, so neither client nor server tidies the path first.
  const corpus: Array<[string, number[]]> = [
    ["/static/../secret.txt", [403]],
    ["/static/./../secret.txt", [403]],
    ["/static/sub/../../secret.txt", [403]],
    ["/static/%2e%2e/secret.txt", [403]],
    ["/static/%2E%2E/secret.txt", [403]],
    ["/static/.%2e/secret.txt", [403]],
    ["/static/%2e./secret.txt", [403]],
    ["/static/..%2fsecret.txt", [403]],
    ["/static/..%2Fsecret.txt", [403]],
    ["/static/%2e%2e%2fsecret.txt", [403]],
    ["/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", [403]],
    ["/static//etc/passwd", [403]],
    ["/static/%2fetc%2fpasswd", [403]],
    ["/static/%2F..%2Fsecret.txt", [403]],
    ["/static/{tmp}%2fsecret.txt", [403]],
    ["/static/../static-evil/x.txt", [403]],
    ["/static/%2e%2e/static-evil/x.txt", [403]],
    ["/static/..\\secret.txt", [404]],
    ["/static/..%5csecret.txt", [404]],
    ["/static/%5c..%5csecret.txt", [404]],
    ["/static/%2e%2e%5csecret.txt", [404]],
    ["/static/hello.txt%00.png", [404]],
    ["/static/..%00/secret.txt", [404]],
    ["/static/%00", [404]],
    ["/static/%252e%252e/secret.txt", [404]],
    ["/static/..%252fsecret.txt", [404]],
    ["/static/....//secret.txt", [404]],
    ["/static/%c0%ae%c0%ae/secret.txt", [400]],
    ["/static/link-out", [403]],
    ["/static/rel-link-out.txt", [403]],
    ["/static/dir-out/secret.txt", [403]],
    ["/static/dir-out", [403]],
    ["/static/dir-out/static-evil/x.txt", [403]],
    ["/root/dir-out/", [403]],
    ["/root/%2e%2e/", [403]],
    ["/favicon.ico/../secret.txt", [404]],
  ];

  it(`holds for ${corpus.length} hostile paths: 403/404, never the secret`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    const seen: string[] = [];
    const messages: string[] = [];
    const handler = (r: LogRecord) => messages.push(r.message);
    genLog.addHandler(handler);
    try {
      for (const [pattern, statuses] of corpus) {
        // The absolute-path case needs the temporary directory, known only once it exists.
        const target = pattern.replace("{tmp}", encodeURIComponent(tmp));
        const { status, text } = await raw(target);
        expect(text, target).not.toContain(SECRET);
        expect(statuses, `${target} answered ${status}`).toContain(status);
        seen.push(target);
      }
    } finally {
      genLog.removeHandler(handler);
    }
    expect(seen).toHaveLength(corpus.length);
    // Every 403 says why, in Tornado's words.
    const forbidden = messages.filter((m) => m.startsWith("403 "));
    expect(forbidden.length).toBeGreaterThan(15);
    for (const m of forbidden) expect(m).toMatch(/is not in root static directory$/);
  });

  it("logs Tornado's reason: not in root static directory", async () => {
    const messages: string[] = [];
    const handler = (r: LogRecord) => messages.push(r.message);
    genLog.addHandler(handler);
    try {
      const { text } = await raw("/static/%2e%2e/secret.txt");
      expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    } finally {
      genLog.removeHandler(handler);
    }
    expect(messages).toContain("403 GET /static/%2e%2e/secret.txt (127.0.0.1): ../secret.txt is not in root static directory");
  });
});

describe("a 1 GiB file", () => {
  it("serves a range from the end of a sparse 1 GiB file", { timeout: 60_000 }, async () => {
    const res = await fetch(`${base}/static/big.bin`, { headers: { Range: "bytes=-8" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("Content-Range")).toBe(`bytes ${GIB - 8}-${GIB - 1}/${GIB}`);
    expect(await res.text()).toBe("THE-END!");
    const mid = await fetch(`${base}/static/big.bin`, { headers: { Range: `bytes=${GIB / 2}-${GIB / 2 + 99999}` } });
    const body = new Uint8Array(await mid.arrayBuffer());
    expect(body.length).toBe(100000);
    expect(body.every((b) => b === 0)).toBe(true);
  });

  it("streams the whole file without holding it in memory", { timeout: 120_000 }, async () => {
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    try {
      const res = await fetch(`${base}/static/big.bin`);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Length")).toBe(String(GIB));
      const reader = res.body!.getReader();
      let total = 0;
      let tail = new Uint8Array(0);
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        tail = value.length >= 8 ? value.subarray(value.length - 8) : tail;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      expect(total).toBe(GIB);
      expect(Buffer.from(tail).toString()).toBe("THE-END!");
    } finally {
      clearInterval(sampler);
    }
    // Client and server share this process; both together stay far below the file size.
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
  });

  it("stops reading the file when the client goes away", { timeout: 60_000 }, async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/counted/big.bin`, { signal: controller.signal });
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 4 * 1024 * 1024) got += (await reader.read()).value!.length;
    controller.abort();
    await new Promise((r) => setTimeout(r, 500));
    const afterAbort = counting.bytesRead;
    await new Promise((r) => setTimeout(r, 500));
    expect(counting.bytesRead).toBe(afterAbort);
    expect(afterAbort).toBeLessThan(256 * 1024 * 1024);
    // The server is still fine.
    expect((await fetch(`${base}/static/hello.txt`)).status).toBe(200);
  });
});

describe("Last-Modified", () => {
  it("is the file's modification time in whole seconds", async () => {
    const p = nodePath.join(root, "timed.txt");
    fs.writeFileSync(p, "t");
    const t = new Date("2001-02-03T04:05:06.999Z");
    fs.utimesSync(p, t, t);
    const res = await fetch(`${base}/static/timed.txt`);
    expect(res.headers.get("Last-Modified")).toBe(formatTimestamp(new Date("2001-02-03T04:05:06Z")));
  });
});
