/**
 * The behaviour suite: one set of specifications, run against every host. Each host's
 * test file supplies a client that reaches the app from test/behaviour/app.ts — over real
 * sockets on Node, through workerd on the edge — so the hosts cannot drift apart.
 */
import { describe, expect, test } from "vitest";

/** How the suite reaches the app under test. */
export interface BehaviourClient {
  /** Sends a request for `path` (with query) to the app; `host` sets the Host. */
  fetch(path: string, init?: RequestInit & { host?: string }): Promise<Response>;
  /** Which host this is, for the rare difference the suite must allow for. */
  readonly hostKind: "node" | "edge";
}

export function defineBehaviourSuite(client: () => BehaviourClient): void {
  const get = (path: string, init: RequestInit & { host?: string } = {}) =>
    client().fetch(path, { redirect: "manual", ...init });

  describe("basics", () => {
    test("hello world answers 200 with Tornado's default headers", async () => {
      const r = await get("/");
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("Hello, world");
      expect(r.headers.get("content-type")).toBe("text/html; charset=UTF-8");
      expect(r.headers.get("server")).toMatch(/^CycloneServer\/\d+\.\d+\.\d+$/);
      expect(r.headers.get("content-length")).toBe("12");
      expect(r.headers.get("date")).toMatch(/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/);
      expect(r.headers.get("etag")).toMatch(/^"[0-9a-f]{40}"$/);
    });

    test("an ETag the client already has gives 304 with no body", async () => {
      const first = await get("/hello");
      const etag = first.headers.get("etag")!;
      await first.text();
      const r = await get("/hello", { headers: { "If-None-Match": etag } });
      expect(r.status).toBe(304);
      expect(await r.text()).toBe("");
      const weak = await get("/hello", { headers: { "If-None-Match": `W/${etag}, "other"` } });
      expect(weak.status).toBe(304);
      await weak.text();
      const star = await get("/hello", { headers: { "If-None-Match": "*" } });
      expect(star.status).toBe(304);
      await star.text();
    });

    test("unmatched paths are 404 with a plain error page", async () => {
      const r = await get("/no/such/path");
      expect(r.status).toBe(404);
      expect(await r.text()).toBe("<html><title>404: Not Found</title><body>404: Not Found</body></html>");
    });

    test("rules match in declaration order", async () => {
      const r = await get("/first-match");
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("Hello, world");
      const r2 = await get("/first-other");
      expect(r2.status).toBe(500);
      await r2.text();
    });

    test("text is sent as UTF-8 with the right Content-Length", async () => {
      const r = await get("/unicode");
      const bytes = new Uint8Array(await r.arrayBuffer());
      expect(new TextDecoder().decode(bytes)).toBe("héllo ☃ 😀");
      expect(Number(r.headers.get("content-length"))).toBe(bytes.length);
    });

    test("bytes are sent as they are", async () => {
      const r = await get("/bytes");
      expect(r.headers.get("content-type")).toBe("application/octet-stream");
      expect([...new Uint8Array(await r.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    });

    test("the request model: method, uri, path, query, host, protocol, cookies", async () => {
      const r = await get("/info?x=1&y=2", { headers: { Cookie: 'c="quoted value"; d=2' } });
      const info = (await r.json()) as Record<string, string>;
      expect(info["method"]).toBe("GET");
      expect(info["uri"]).toBe("/info?x=1&y=2");
      expect(info["path"]).toBe("/info");
      expect(info["query"]).toBe("x=1&y=2");
      expect(info["protocol"]).toBe("http");
      expect(info["version"]).toBe("HTTP/1.1");
      expect(info["cookie"]).toBe("quoted value");
      expect(info["fullUrl"]).toBe(`http://${info["host"]}/info?x=1&y=2`);
      expect(info["hostName"]).toBe(String(info["host"]).replace(/:\d+$/, ""));
    });
  });

  describe("status codes and headers", () => {
    test("setStatus with the standard reason", async () => {
      const r = await get("/status?code=201");
      expect(r.status).toBe(201);
      expect(r.statusText).toBe("Created");
      expect(await r.text()).toBe("status 201");
    });

    test("setStatus with a custom reason and an unknown code", async () => {
      const r = await get("/status?code=299&reason=Custom%20Reason");
      expect(r.status).toBe(299);
      expect(r.statusText).toBe("Custom Reason");
      await r.text();
      const u = await get("/status?code=599");
      expect(u.statusText).toBe("Unknown");
      await u.text();
    });

    test("204 drops the body and representation headers", async () => {
      const r = await get("/status?code=204");
      expect(r.status).toBe(204);
      expect(r.headers.get("content-type")).toBeNull();
      expect(await r.text()).toBe("");
    });

    test("set, add, clear and default headers", async () => {
      const r = await get("/headers", { headers: { "X-Client": "hi" } });
      expect(r.headers.get("x-single")).toBe("one");
      expect(r.headers.get("x-multi")).toBe("a, b");
      expect(r.headers.get("x-number")).toBe("42");
      expect(r.headers.get("x-default")).toBe("yes");
      expect(r.headers.get("server")).toBeNull();
      expect(await r.text()).toBe("hi");
    });

    test("a header value with CR/LF is refused, not sent", async () => {
      const r = await get("/bad-header");
      expect(await r.text()).toBe("refused: TypeError");
      expect(r.headers.get("injected")).toBeNull();
    });
  });

  describe("arguments", () => {
    test("query arguments: last wins, all kept, stripped, with defaults", async () => {
      const r = await get("/args?a=1&a=%20two%20&raw=%20x%20");
      expect(await r.json()).toEqual({ a: "two", all: ["1", "two"], q: "none", raw: " x " });
    });

    test("a missing required argument is 400", async () => {
      const r = await get("/required");
      expect(r.status).toBe(400);
      expect(await r.text()).toContain("400: Bad Request");
    });

    test("urlencoded body arguments and query arguments kept apart", async () => {
      const r = await get("/args?b=fromquery", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "b=from+body&b=%E2%98%83",
      });
      expect(await r.json()).toEqual({ body: "☃", query: "fromquery", both: ["fromquery", "from body", "☃"] });
    });

    test("an argument that is not UTF-8 is 400, not 500", async () => {
      const r = await get("/args?a=%FF%FE");
      expect(r.status).toBe(400);
      await r.text();
    });

    test("the raw body reaches the handler byte for byte", async () => {
      const body = new Uint8Array(70_000).map((_, i) => i % 251);
      const r = await get("/body", { method: "POST", body });
      expect(new Uint8Array(await r.arrayBuffer())).toEqual(body);
    });
  });

  describe("path arguments", () => {
    test("unnamed groups are positional arguments", async () => {
      const r = await get("/path/one/two");
      expect(await r.json()).toEqual({ a: "one", b: "two" });
    });

    test("named groups, Python's (?P<name>) included, arrive as one object", async () => {
      const r = await get("/named/alice/cyclone");
      expect(await r.json()).toEqual({ user: "alice", repo: "cyclone", fromThis: "alice" });
    });

    test(":name is a convenience for one path segment", async () => {
      const r = await get("/items/abc");
      expect(await r.text()).toBe("item abc");
      const miss = await get("/items/a/b");
      expect(miss.status).toBe(404);
      await miss.text();
    });

    test("path arguments are URL-unescaped", async () => {
      const r = await get("/story/a%20b%E2%98%83");
      expect(await r.json()).toEqual({ a: "a b☃" });
    });

    test("malformed percent-encoding in the path is 400 with a reason", async () => {
      const r = await get("/story/a%zzb");
      expect(r.status).toBe(400);
      expect(r.statusText).toBe("Malformed percent-encoding in path");
      await r.text();
    });

    test("a path argument that is not UTF-8 is 400", async () => {
      const r = await get("/story/%FF");
      expect(r.status).toBe(400);
      await r.text();
    });
  });

  describe("redirects", () => {
    test("redirect() is 302 by default, 301 when permanent, or the status given", async () => {
      const t = await get("/redirect");
      expect(t.status).toBe(302);
      expect(new URL(t.headers.get("location")!, "http://x").pathname).toBe("/hello");
      await t.text();
      const p = await get("/redirect?kind=perm");
      expect(p.status).toBe(301);
      await p.text();
      const s = await get("/redirect?kind=303");
      expect(s.status).toBe(303);
      await s.text();
    });

    test("RedirectHandler substitutes groups and keeps the query", async () => {
      const r = await get("/redirect-handler/abc?x=1");
      expect(r.status).toBe(301);
      expect(r.headers.get("location")).toBe("/path/abc/fixed?x=1");
      await r.text();
    });
  });

  describe("errors", () => {
    test("ErrorHandler answers its status", async () => {
      const r = await get("/gone");
      expect(r.status).toBe(410);
      expect(await r.text()).toContain("410: Gone");
    });

    test("an uncaught exception is a 500 page that does not leak the message", async () => {
      const r = await get("/throw");
      expect(r.status).toBe(500);
      const text = await r.text();
      expect(text).toBe("<html><title>500: Internal Server Error</title><body>500: Internal Server Error</body></html>");
      expect(text).not.toContain("secret detail");
    });

    test("the next request is served after an error", async () => {
      const r = await get("/throw");
      await r.text();
      const ok = await get("/hello");
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe("Hello, world");
    });

    test("HTTPError sets the status; a custom reason shows in the status line and page", async () => {
      const r = await get("/throw?kind=http");
      expect(r.status).toBe(403);
      await r.text();
      const t = await get("/throw?kind=reason");
      expect(t.status).toBe(418);
      expect(t.statusText).toBe("Short And Stout");
      expect(await t.text()).toContain("418: Short And Stout");
    });

    test("Finish ends the request with the status and body set so far", async () => {
      const r = await get("/throw?kind=finish");
      expect(r.status).toBe(401);
      expect(await r.text()).toBe("finished early");
    });

    test("with serveTraceback the error page is the stack, as plain text", async () => {
      const r = await get("/debug/throw");
      expect(r.status).toBe(500);
      expect(r.headers.get("content-type")).toBe("text/plain; charset=UTF-8");
      const text = await r.text();
      expect(text).toMatch(/^Error: boom: secret detail\n\s+at /);
      const http = await get("/debug/throw?kind=http");
      expect(http.status).toBe(403);
      expect(await http.text()).toMatch(/^HTTPError: HTTP 403: Forbidden \(forbidden for test\)\n\s+at /);
    });

    test("write() refuses arrays with a TypeError, as Tornado", async () => {
      const r = await get("/write-array");
      expect(await r.text()).toBe("TypeError: write() only accepts bytes, unicode, and dict objects. Lists");
    });
  });

  describe("methods", () => {
    test("a method the handler does not implement is 405 with Allow", async () => {
      const r = await get("/only-post");
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("POST");
      await r.text();
    });

    test("a method outside SUPPORTED_METHODS is 405 even if implemented", async () => {
      const r = await get("/limited", { method: "DELETE" });
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("GET");
      await r.text();
    });

    test("an unknown method is 405", async () => {
      const r = await get("/hello", { method: "PROPFIND" });
      expect(r.status).toBe(405);
      await r.text();
    });

    test("HEAD runs head() and sends headers without a body", async () => {
      const r = await get("/head", { method: "HEAD" });
      expect(r.status).toBe(200);
      expect(r.headers.get("x-head")).toBe("yes");
      expect(r.headers.get("content-length")).toBe(String("body that HEAD must not send".length));
      expect(await r.text()).toBe("");
    });

    test("HEAD without head() is 405, as Tornado", async () => {
      const r = await get("/hello", { method: "HEAD" });
      expect(r.status).toBe(405);
    });

    test("PUT with a body", async () => {
      const r = await get("/body", { method: "PUT", body: "12345" });
      expect(await r.text()).toBe("put 5");
    });
  });

  describe("async handlers", () => {
    test("async prepare and get both complete before finishing", async () => {
      const r = await get("/async");
      expect(r.headers.get("x-prepared")).toBe("async");
      expect(await r.text()).toBe("async done");
    });

    test("prepare() may finish the request; the method then does not run", async () => {
      const r = await get("/prepare-finishes");
      expect(r.status).toBe(200);
      expect(await r.text()).toBe("from prepare");
    });

    test("flush() streams the response in chunks", async () => {
      const r = await get("/flush");
      expect(r.headers.get("content-length")).toBeNull();
      expect(await r.text()).toBe("part1;part2");
    });
  });

  describe("body limits", () => {
    const mib = (n: number) => new Uint8Array(n * 1024 * 1024).fill(7);

    test("a body over maxBodySize is 413", async () => {
      const r = await get("/limits/plain", { method: "PUT", body: mib(2) }).catch((e: unknown) => e as Error);
      // The server may close before the client has sent it all; either way nothing is accepted.
      if (r instanceof Response) {
        expect(r.status).toBe(413);
        await r.text();
      }
      const ok = await get("/limits/plain", { method: "PUT", body: mib(1) });
      expect(await ok.json()).toEqual({ bytes: 1024 * 1024 });
    });

    test("a streaming handler is held to maxBodySize too", async () => {
      const r = await get("/limits/small", { method: "PUT", body: mib(2) }).catch((e: unknown) => e as Error);
      if (r instanceof Response) {
        expect(r.status).toBe(413);
        await r.text();
      }
    });

    test("a streaming handler may raise its limit in prepare() and take a body several times larger", async () => {
      const r = await get("/limits/big", { method: "PUT", body: mib(5) });
      expect(await r.json()).toEqual({ bytes: 5 * 1024 * 1024 });
    });
  });

  describe("environment", () => {
    test("env holds the Worker's bindings, typed; undefined on Node", async () => {
      const r = (await (await get("/env")).json()) as { greeting: string | null };
      expect(r.greeting).toBe(client().hostKind === "edge" ? "hello from env" : null);
    });

    test("waitUntil runs work after the response", async () => {
      await (await get("/env?background=1")).text();
      let n = 0;
      for (let i = 0; i < 50 && n === 0; i++) {
        await new Promise((res) => setTimeout(res, 10));
        n = ((await (await get("/env")).json()) as { backgroundTasks: number }).backgroundTasks;
      }
      expect(n).toBeGreaterThanOrEqual(1);
    });
  });

  describe("routing", () => {
    test("reverseUrl builds paths, escaping arguments, through nested apps too", async () => {
      const r = await get("/reverse");
      expect(await r.json()).toEqual({
        story: "/story/42",
        escaped: "/story/a%20b/c",
        home: "/",
        nested: "/nested/item/x",
      });
    });

    test("host rules apply to their host; others fall through to the wildcard rules", async () => {
      const r = await get("/", { host: "www.example.com" });
      expect(await r.text()).toBe("www host");
      const other = await get("/", { host: "other.example.com" });
      expect(await other.text()).toBe("Hello, world");
    });

    test("a nested Application routes with its own settings", async () => {
      const r = await get("/nested/item/abc");
      expect(await r.text()).toBe("nested abc (inner)");
      const miss = await get("/nested/none");
      expect(miss.status).toBe(404);
      await miss.text();
    });
  });
}
