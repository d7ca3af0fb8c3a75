// Specification of the host-free parts of static files (src/core/static.ts,
// src/core/static-util.ts): the helpers checked against what Python 3.11 / Tornado 6.2
// answer (values below produced by them), and StaticFileHandler driven through app.fetch
// with an in-memory source that hands out ReadableStreams and hashes asynchronously —
// the shape a Workers Static Assets source has.
import { describe, expect, it } from "vitest";
import { captureLog } from "./capture-log.js";
import { Application, type RuleSpec } from "../../src/core/index.js";
import {
  contentTypeFor,
  getContentRange,
  guessType,
  parseHttpDate,
  parseRequestRange,
  getDefaultStaticFileSource,
  setDefaultStaticFileSource,
  StaticFileError,
  StaticFileHandler,
  type StaticFileSource,
  staticHandlerRules,
  staticUrl,
} from "../../src/core/static.js";
import { isInsideRoot, joinPath, normalizePath } from "../../src/core/static-util.js";

describe("parseRequestRange and getContentRange (Tornado's _parse_request_range)", () => {
  // From tornado.httputil._parse_request_range in Tornado 6.2.
  const tornado: Record<string, [number | null, number | null] | null> = {
    "bytes=1-2": [1, 3], "bytes=6-": [6, null], "bytes=-6": [-6, null], "bytes=-0": [null, 0], "bytes=": [null, null],
    "foo=42": null, "bytes=1-2,6-10": null, "bytes = 3 - 5 ": [3, 6], "bytes=+3-4": [3, 5], "bytes=1_0-2_0": [10, 21],
    "bytes=1--5": [1, -4], "bytes=a-": null, "Bytes=1-2": null, "bytes=0-0": [0, 1], "bytes=-": [null, null], bytes: [null, null],
  };
  it.each(Object.entries(tornado))("%j → %j", (header, expected) => {
    expect(parseRequestRange(header)).toEqual(expected);
  });

  it("formats Content-Range as Tornado's _get_content_range", () => {
    expect(getContentRange(null, 1, 4)).toBe("bytes 0-0/4");
    expect(getContentRange(1, 3, 4)).toBe("bytes 1-2/4");
    expect(getContentRange(null, null, 4)).toBe("bytes 0-3/4");
  });
});

describe("parseHttpDate (email.utils.parsedate_to_datetime)", () => {
  // Unix seconds from Python 3.11; null where Python raises.
  const python: Record<string, number | null> = {
    "Sun, 06 Nov 1994 08:49:37 GMT": 784111777, "Sunday, 06-Nov-94 08:49:37 GMT": 784111777,
    "Sun Nov  6 08:49:37 1994": 784111777, "06 Nov 1994 08:49 +0200": 784104540,
    "Sun, 06 Nov 1994 08:49:37 -0000": 784111777, "Sun, 06 Nov 94 08:49:37 EST": 784129777,
    "Sun, 06 Nov 1994 08:49:37": 784111777, "6 November 1994 08:49:37 PST": 784140577,
    "Mon, 29 Feb 2016 00:00:00 GMT": 1456704000, "Thu, 01 Jan 1970 00:00:00 GMT": 0,
    "Sun, 06 Nov 1994 08:49:37 +0530": 784091977, "Sun, 06 Nov 1994 08:49:37+0100": 784108177,
    garbage: null, "": null, "Sun, 31 Feb 1994 08:49:37 GMT": null, "Sun, 06 Nov 1994 25:49:37 GMT": null,
    "Sun, 06 Foo 1994 08:49:37 GMT": null,
  };
  it.each(Object.entries(python))("%j → %j", (text, seconds) => {
    const d = parseHttpDate(text);
    expect(d === null ? null : d.getTime() / 1000).toBe(seconds);
  });
});

describe("paths", () => {
  // From posixpath.normpath.
  const normpath: Record<string, string> = {
    "/a/./b/../c//d": "/a/c/d", "/../etc": "/etc", "//a//b": "//a/b", "///a": "/a", "a/../../b": "../b", "": ".",
    ".": ".", "/": "/", "a/b/..": "a", "./a": "a", "/srv/static/../static-evil": "/srv/static-evil",
  };
  it.each(Object.entries(normpath))("normalizes %j to %j", (p, n) => {
    expect(normalizePath(p)).toBe(n);
  });

  it("joins as posixpath.join: an absolute part replaces the root", () => {
    expect(joinPath("/srv/static", "a.css")).toBe("/srv/static/a.css");
    expect(joinPath("/srv/static/", "a.css")).toBe("/srv/static/a.css");
    expect(joinPath("/srv/static", "/etc/passwd")).toBe("/etc/passwd");
    expect(StaticFileHandler.getAbsolutePath("/srv/static", "css/../../x")).toBe("/srv/x");
  });

  it("keeps a path inside its root only when it is the root or below it", () => {
    expect(isInsideRoot("/srv/static", "/srv/static")).toBe(true);
    expect(isInsideRoot("/srv/static/", "/srv/static/a")).toBe(true);
    expect(isInsideRoot("/srv/static", "/srv/static-evil/a")).toBe(false);
    expect(isInsideRoot("/srv/static", "/srv")).toBe(false);
    expect(isInsideRoot("/", "/etc/passwd")).toBe(true);
    expect(isInsideRoot("static", "static/a")).toBe(true);
    expect(isInsideRoot("static", "other/a")).toBe(false);
    expect(isInsideRoot(".", "a/b")).toBe(true);
    expect(isInsideRoot(".", "../a")).toBe(false);
    expect(isInsideRoot(".", "/a")).toBe(false);
  });
});

describe("content types (Tornado 6.2's get_content_type over mimetypes)", () => {
  it.each([
    ["a.html", "text/html"], ["a.HTML", "text/html"], ["a.css", "text/css"], ["a.js", "text/javascript"],
    ["a.mjs", "text/javascript"], ["a.json", "application/json"], ["a.png", "image/png"], ["a.jpg", "image/jpeg"],
    ["a.gif", "image/gif"], ["a.svg", "image/svg+xml"], ["a.webp", "image/webp"], ["a.ico", "image/vnd.microsoft.icon"],
    ["a.txt", "text/plain"], ["a.xml", "application/xml"], ["a.pdf", "application/pdf"], ["a.wasm", "application/wasm"],
    ["a.woff", "font/woff"], ["a.woff2", "font/woff2"], ["a.mp4", "video/mp4"],
    ["a.map", "application/json"],
    ["a.tar.gz", "application/gzip"], ["a.svgz", "application/gzip"], ["a.txt.bz2", "application/octet-stream"],
    ["a.tar.xz", "application/octet-stream"], ["a.js.br", "application/octet-stream"],
    ["noext", "application/octet-stream"], [".hidden", "application/octet-stream"], ["dir.d/noext", "application/octet-stream"],
    ["a.unknown", "application/octet-stream"],
  ])("%s → %s", (p, type) => {
    expect(contentTypeFor("/root/" + p)).toBe(type);
  });

  it("reports type and compression separately, as mimetypes.guess_type", () => {
    expect(guessType("x.tar.gz")).toEqual(["application/x-tar", "gzip"]);
    expect(guessType("x.tgz")).toEqual(["application/x-tar", "gzip"]);
    expect(guessType("x.gz")).toEqual([null, "gzip"]);
    expect(guessType("x.GZ")).toEqual([null, null]);
  });
});

/** Assets held in memory, read as ReadableStreams, hashed asynchronously. */
class MemorySource implements StaticFileSource {
  reads = 0;
  constructor(readonly files: Map<string, Uint8Array>) {}
  resolve(_root: string, absolutePath: string): string {
    return absolutePath;
  }
  stat(path: string) {
    const b = this.files.get(path);
    if (b !== undefined) return { size: b.length, mtime: new Date("2024-01-02T03:04:05.678Z"), isFile: true, isDirectory: false };
    const dir = path.endsWith("/") ? path : path + "/";
    return [...this.files.keys()].some((k) => k.startsWith(dir)) ? { size: 0, mtime: new Date(0), isFile: false, isDirectory: true } : null;
  }
  read(path: string, start = 0, end?: number): ReadableStream<Uint8Array> {
    this.reads++;
    const bytes = this.files.get(path)!.subarray(start, end);
    let offset = 0;
    return new ReadableStream({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(offset, offset + 3));
        offset += 3;
      },
    });
  }
  async hash(path: string): Promise<string | null> {
    const b = this.files.get(path);
    if (b === undefined) throw new Error(`no ${path}`);
    await new Promise((r) => setTimeout(r, 5));
    return `len${b.length}`;
  }
}

const enc = new TextEncoder();


describe("StaticFileHandler through app.fetch, with an in-memory ReadableStream source", () => {
  const source = new MemorySource(
    new Map([
      ["/assets/hello.txt", enc.encode("Hello, world\n")],
      ["/assets/docs/index.html", enc.encode("<p>docs</p>")],
    ]),
  );
  const app = new Application([["/a/(.*)", StaticFileHandler, { path: "/assets", source, defaultFilename: "index.html" }]]);
  const get = (path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`http://x${path}`, { headers }));

  it("streams the file in the source's chunks, with an ETag from the async hash", async () => {
    StaticFileHandler.reset();
    const res = await get("/a/hello.txt");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Hello, world\n");
    expect(res.headers.get("Etag")).toBe('"len13"');
    expect(res.headers.get("Last-Modified")).toBe("Tue, 02 Jan 2024 03:04:05 GMT");
    expect(res.headers.get("Content-Type")).toBe("text/plain");
  });

  it("serves a range from the stream", async () => {
    const res = await get("/a/hello.txt", { Range: "bytes=7-11" });
    expect(res.status).toBe(206);
    expect(await res.text()).toBe("world");
  });

  it("answers 304 without reading the content", async () => {
    const before = source.reads;
    const res = await get("/a/hello.txt", { "If-None-Match": '"len13"' });
    expect(res.status).toBe(304);
    expect(source.reads).toBe(before);
  });

  it("serves the default file of a directory, and 404s what is missing", async () => {
    expect((await get("/a/docs", {})).status).toBe(301);
    expect(await (await get("/a/docs/")).text()).toBe("<p>docs</p>");
    expect((await get("/a/missing.txt")).status).toBe(404);
    const log = await captureLog(async () => {
      expect((await get("/a/..%2fsecret")).status).toBe(403);
    });
    expect(log).toContain("WARNING 403 GET /a/..%2fsecret (127.0.0.1): ../secret is not in root static directory");
  });

  it("versions URLs once an async hash has settled", async () => {
    StaticFileHandler.reset();
    const settings = { staticPath: "/assets", staticFileSource: source };
    expect(staticUrl(settings, "hello.txt")).toBe("/static/hello.txt");
    await new Promise((r) => setTimeout(r, 30));
    expect(staticUrl(settings, "hello.txt")).toBe("/static/hello.txt?v=len13");
  });

  it("falls back to the host's default source", async () => {
    StaticFileHandler.reset();
    setDefaultStaticFileSource(source);
    try {
      const plain = new Application([["/s/(.*)", StaticFileHandler, { path: "/assets" }]]);
      expect(await (await plain.fetch(new Request("http://x/s/hello.txt"))).text()).toBe("Hello, world\n");
      expect(getDefaultStaticFileSource()).toBe(source);
      await new Promise((r) => setTimeout(r, 30));
      expect(staticUrl({ staticPath: "/assets" }, "hello.txt")).toBe("/static/hello.txt?v=len13");
    } finally {
      setDefaultStaticFileSource(undefined);
    }
  });

  it("refuses to start without a source, with a clear error (500)", async () => {
    const bare = new Application([["/s/(.*)", StaticFileHandler, { path: "/assets" }]]);
    const log = await captureLog(async () => {
      expect((await bare.fetch(new Request("http://x/s/hello.txt"))).status).toBe(500);
    });
    expect(log.some((m) => m.includes("StaticFileError: StaticFileHandler has no source"))).toBe(true);
    expect(() => staticUrl({ staticPath: "/assets" }, "hello.txt")).toThrow(StaticFileError);
  });
});

describe("staticHandlerRules", () => {
  it("adds nothing without staticPath", () => {
    expect(staticHandlerRules({})).toEqual([]);
  });

  it("gives Tornado's three rules, in the order Tornado's Application ends up with", () => {
    class MyStatic extends StaticFileHandler {}
    const rules = staticHandlerRules({
      staticPath: "/srv/s",
      staticUrlPrefix: "/st.atic+/",
      staticHandlerClass: MyStatic,
      staticHandlerArgs: { defaultFilename: "index.html" },
    });
    expect(rules).toEqual([
      ["/(robots\\.txt)", MyStatic, { defaultFilename: "index.html", path: "/srv/s" }],
      ["/(favicon\\.ico)", MyStatic, { defaultFilename: "index.html", path: "/srv/s" }],
      ["/st\\.atic\\+/(.*)", MyStatic, { defaultFilename: "index.html", path: "/srv/s" }],
    ]);
  });

  it("routes with the escaped prefix", async () => {
    const source = new MemorySource(new Map([["/srv/s/x.css", enc.encode("x{}")]]));
    const settings = { staticPath: "/srv/s", staticUrlPrefix: "/st.atic/", staticFileSource: source };
    const app = new Application([...staticHandlerRules(settings)] as RuleSpec[], settings);
    expect(await (await app.fetch(new Request("http://x/st.atic/x.css"))).text()).toBe("x{}");
    expect((await app.fetch(new Request("http://x/stXatic/x.css"))).status).toBe(404);
  });
});
