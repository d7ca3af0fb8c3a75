// Specification of the HTTP client (src/core/httpclient.ts) over the Node transport
// (src/node/httpclient.ts) and over fetch, against plain node:http servers on 127.0.0.1.
// Cases translated from Tornado's httpclient_test.py and simple_httpclient_test.py.
import * as http from "node:http";
import * as net from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AsyncHTTPClient,
  DEFAULT_USER_AGENT,
  type FetchOptions,
  HTTPClientError,
  HTTPRequest,
  HTTPResponse,
  HTTPStreamClosedError,
  HTTPTimeoutError,
  InvalidRequestError,
  UnsupportedOptionError,
  fetchTransport,
} from "../../src/core/httpclient.js";
import { nodeTransport } from "../../src/node/httpclient.js";

const encoder = new TextEncoder();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The test application: one route per behaviour, as Tornado's test handlers. */
function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const path = url.pathname;
  const q = (name: string): string => url.searchParams.get(name) ?? "";
  const countdown = /^\/countdown\/(\d+)$/.exec(path);
  if (countdown) {
    const n = Number(countdown[1]);
    if (n > 0) {
      res.writeHead(302, { Location: `/countdown/${n - 1}` }).end();
    } else res.end("Zero");
    return;
  }
  switch (path) {
    case "/hello":
      res.writeHead(200, { "Content-Type": "text/plain" }).end(`Hello ${q("name") || "world"}!`);
      return;
    case "/redirect":
      res.writeHead(Number(q("status") || 302), { Location: q("url") }).end();
      return;
    case "/redirect_endless_body":
      // A redirect whose body never ends: the client must drop it and move on.
      res.writeHead(302, { Location: "/hello" });
      res.write("x".repeat(65536));
      return;
    case "/redirect_without_location":
      res.writeHead(301).end();
      return;
    case "/auth":
      res.end(req.headers.authorization ?? "");
      return;
    case "/user_agent":
      res.end(req.headers["user-agent"] ?? "");
      return;
    case "/echo_headers": {
      const echoed: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) echoed[req.rawHeaders[i]!] = req.rawHeaders[i + 1]!;
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(echoed));
      return;
    }
    case "/all_methods":
      res.end(req.method === "HEAD" ? undefined : req.method);
      return;
    case "/put":
      res.end(`Put body: ${body.toString()}`);
      return;
    case "/echopost":
      res.end(body);
      return;
    case "/chunk":
      // Two writes with a pause between them arrive as two chunks.
      res.writeHead(200, { "Content-Type": "text/html; charset=UTF-8" });
      res.write("asdf");
      setTimeout(() => res.end("qwer"), 30);
      return;
    case "/gzip": {
      const accepts = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
      if (accepts) res.writeHead(200, { "Content-Encoding": "gzip" }).end(gzipSync("asdfqwer"));
      else res.end("asdfqwer");
      return;
    }
    case "/hang":
      return; // never answers
    case "/truncated":
      res.writeHead(200, { "Content-Length": "100" });
      res.write("only ten b");
      setTimeout(() => res.destroy(), 10);
      return;
    case "/see_other_post":
      res.writeHead(Number(body.toString()), { Location: "/see_other_get" }).end();
      return;
    case "/see_other_get":
      res.end(`${req.method} ${body.length}`);
      return;
    case "/latin1_header":
      res.setHeader("Foo", "\u00e9"); // node:http writes it as the single byte 0xE9
      res.end();
      return;
    case "/cookies":
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      res.end();
      return;
    default:
      res.writeHead(404).end("not found");
  }
}

let server: http.Server;
let server2: http.Server;
let base = "";
let base2 = "";
const sockets = new Set<net.Socket>();

function listen(s: http.Server): Promise<string> {
  s.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve) => {
    s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as net.AddressInfo).port}`));
  });
}

function makeServer(): http.Server {
  return http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(parts)));
  });
}

beforeAll(async () => {
  server = makeServer();
  server2 = makeServer();
  base = await listen(server);
  base2 = await listen(server2);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([server, server2].map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A port nothing listens on: bound, then closed. */
async function refusingPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

const transports = [
  ["node:http", nodeTransport],
  ["fetch", fetchTransport],
] as const;

describe.each(transports)("AsyncHTTPClient over %s", (_name, transport) => {
  const client = new AsyncHTTPClient({ transport });

  it("fetches a body with its code, reason and headers", async () => {
    const response = await client.fetch(`${base}/hello`);
    expect(response).toBeInstanceOf(HTTPResponse);
    expect(response.code).toBe(200);
    expect(response.reason).toBe("OK");
    expect(response.headers.get("Content-Type")).toBe("text/plain");
    expect(response.body).toBeInstanceOf(Uint8Array);
    expect(response.text()).toBe("Hello world!");
    expect(response.error).toBeNull();
    expect(response.effectiveUrl).toBe(`${base}/hello`);
    expect(response.requestTime).toBeGreaterThanOrEqual(0);
    expect(response.requestTime).toBeLessThan(1);
    expect(Math.abs(response.startTime! - Date.now() / 1000)).toBeLessThan(1);
    expect((await client.fetch(`${base}/hello?name=Ben`)).text()).toBe("Hello Ben!");
  });

  it("follows a redirect chain to the final response", async () => {
    const response = await client.fetch(`${base}/countdown/2`);
    expect(response.code).toBe(200);
    expect(response.effectiveUrl).toBe(`${base}/countdown/0`);
    expect(response.request.url).toBe(`${base}/countdown/2`);
    expect(response.text()).toBe("Zero");
  });

  it("returns the redirect itself with followRedirects false", async () => {
    const response = await client.fetch(`${base}/countdown/2`, { followRedirects: false, raiseError: false });
    expect(response.code).toBe(302);
    expect(response.headers.get("Location")).toBe("/countdown/1");
  });

  it("raises HTTPClientError for an unfollowed redirect by default", async () => {
    const error = await client.fetch(`${base}/countdown/2`, { followRedirects: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPClientError);
    expect((error as HTTPClientError).code).toBe(302);
    expect((error as HTTPClientError).response?.headers.get("Location")).toBe("/countdown/1");
  });

  it("stops after maxRedirects and returns the last redirect", async () => {
    const response = await client.fetch(`${base}/countdown/5`, { maxRedirects: 3, raiseError: false });
    expect(response.code).toBe(302);
    expect(response.request.url).toBe(`${base}/countdown/5`);
    expect(response.effectiveUrl).toBe(`${base}/countdown/2`);
    expect(response.headers.get("Location")).toBe("/countdown/1");
  });

  it("drops a redirect's body, even one that never ends", async () => {
    const response = await client.fetch(`${base}/redirect_endless_body`, { requestTimeout: 5 });
    expect(response.text()).toBe("Hello world!");
  });

  it("returns a redirect without Location as it is", async () => {
    const response = await client.fetch(`${base}/redirect_without_location`, { raiseError: false });
    expect(response.code).toBe(301);
  });

  it("turns POST into GET on 301, 302 and 303, dropping the body", async () => {
    for (const status of [301, 302, 303]) {
      const response = await client.fetch(`${base}/see_other_post`, { method: "POST", body: String(status) });
      expect(response.text()).toBe("GET 0");
      expect(response.effectiveUrl).toBe(`${base}/see_other_get`);
      expect(response.request.method).toBe("POST");
    }
  });

  it("keeps the method and body on 307 and 308", async () => {
    for (const status of [307, 308]) {
      const response = await client.fetch(`${base}/redirect?url=/put&status=${status}`, { method: "PUT", body: "hello" });
      expect(response.text()).toBe("Put body: hello");
    }
  });

  it("keeps other methods on 301 and 302", async () => {
    for (const method of ["GET", "OPTIONS", "DELETE"]) {
      const response = await client.fetch(`${base}/redirect?url=/all_methods&status=302`, { method });
      expect(response.text()).toBe(method);
    }
  });

  it("sends basic auth from authUsername and authPassword", async () => {
    const response = await client.fetch(`${base}/auth`, { authUsername: "Aladdin", authPassword: "open sesame" });
    expect(response.text()).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    const explicit = await client.fetch(`${base}/auth`, {
      authUsername: "Aladdin",
      authPassword: "open sesame",
      authMode: "basic",
    });
    expect(explicit.text()).toBe("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  });

  it("encodes basic auth as NFC UTF-8 (RFC 7617)", async () => {
    expect((await client.fetch(`${base}/auth`, { authUsername: "test", authPassword: "123£" })).text()).toBe(
      "Basic dGVzdDoxMjPCow==",
    );
    const username = "josé".normalize("NFD");
    expect((await client.fetch(`${base}/auth`, { authUsername: username, authPassword: "səcrət" })).text()).toBe(
      "Basic am9zw6k6c8mZY3LJmXQ=",
    );
  });

  it("sends credentials found in the URL as basic auth", async () => {
    const response = await client.fetch(`${base}/auth`.replace("http://", "http://me:secret@"));
    expect(response.text()).toBe(`Basic ${btoa("me:secret")}`);
  });

  it("refuses an unknown authMode", async () => {
    await expect(
      client.fetch(`${base}/auth`, { authUsername: "a", authPassword: "b", authMode: "asdf" }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it("strips Authorization and Cookie on a cross-origin redirect only", async () => {
    const cases: FetchOptions[] = [
      { headers: { Authorization: "secret" } },
      { authUsername: "me", authPassword: "secret" },
      { headers: { Cookie: "secret" } },
    ];
    for (const options of cases) {
      const cross = await client.fetch(`${base}/redirect?status=302&url=${base2}/echo_headers`, options);
      const crossEcho = cross.json() as Record<string, string>;
      expect(crossEcho["User-Agent"]).toBe(DEFAULT_USER_AGENT);
      expect(crossEcho).not.toHaveProperty("Authorization");
      expect(crossEcho).not.toHaveProperty("Cookie");
      const same = await client.fetch(`${base}/redirect?status=302&url=${base}/echo_headers`, options);
      const sameEcho = same.json() as Record<string, string>;
      expect("Authorization" in sameEcho || "Cookie" in sameEcho).toBe(true);
    }
  });

  it("strips URL credentials on a cross-origin redirect", async () => {
    const url = `${base}/redirect?status=302&url=${base2}/echo_headers`.replace("http://", "http://me:secret@");
    const echo = (await client.fetch(url)).json() as Record<string, string>;
    expect(echo).not.toHaveProperty("Authorization");
  });

  it("sends Cyclone's User-Agent unless one is given", async () => {
    expect((await client.fetch(`${base}/user_agent`)).text()).toBe(DEFAULT_USER_AGENT);
    expect((await client.fetch(`${base}/user_agent`, { userAgent: "MyAgent" })).text()).toBe("MyAgent");
    expect((await client.fetch(`${base}/user_agent`, { headers: { "User-Agent": "FromHeaders" } })).text()).toBe(
      "FromHeaders",
    );
  });

  it("applies the client's defaults to every request", async () => {
    const withDefaults = new AsyncHTTPClient({ transport, defaults: { userAgent: "TestDefaultUserAgent" } });
    expect((await withDefaults.fetch(`${base}/user_agent`)).text()).toBe("TestDefaultUserAgent");
  });

  it("does not modify the caller's headers object", async () => {
    const headers = { "User-Agent": "Foo" };
    await client.fetch(`${base}/hello`, { headers });
    expect(headers).toEqual({ "User-Agent": "Foo" });
  });

  it("sends a string body as UTF-8 and bytes as they are", async () => {
    const utf8 = await client.fetch(`${base}/echopost`, { method: "POST", body: "\u00e9" });
    expect([...utf8.body]).toEqual([0xc3, 0xa9]);
    const raw = await client.fetch(`${base}/echopost`, { method: "POST", body: new Uint8Array([0xe9]) });
    expect([...raw.body]).toEqual([0xe9]);
  });

  it("supports every standard method, and others when allowed", async () => {
    for (const method of ["GET", "DELETE", "OPTIONS"]) {
      expect((await client.fetch(`${base}/all_methods`, { method })).text()).toBe(method);
    }
    for (const method of ["POST", "PUT", "PATCH"]) {
      expect((await client.fetch(`${base}/all_methods`, { method, body: "" })).text()).toBe(method);
    }
    expect((await client.fetch(`${base}/all_methods`, { method: "HEAD" })).body.byteLength).toBe(0);
    // node:http servers know PROPFIND, which Tornado's client does not list as standard.
    const other = await client.fetch(`${base}/all_methods`, { method: "PROPFIND", allowNonstandardMethods: true });
    expect(other.text()).toBe("PROPFIND");
  });

  it("refuses a missing body on POST, PUT and PATCH unless allowNonstandardMethods", async () => {
    for (const method of ["POST", "PUT", "PATCH"]) {
      await expect(client.fetch(`${base}/all_methods`, { method })).rejects.toThrow("must not be undefined");
      const allowed = await client.fetch(`${base}/all_methods`, { method, allowNonstandardMethods: true });
      expect(allowed.code).toBe(200);
    }
  });

  it("refuses a body on GET, DELETE and OPTIONS unless allowNonstandardMethods", async () => {
    for (const method of ["GET", "DELETE", "OPTIONS"]) {
      const error = await client.fetch(`${base}/all_methods`, { method, body: "asdf" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as Error).message).toContain("must be undefined");
    }
    const allowed = await client.fetch(`${base}/all_methods`, {
      method: "DELETE",
      body: "asdf",
      allowNonstandardMethods: true,
    });
    expect(allowed.text()).toBe("DELETE");
  });

  it("refuses an unknown method", async () => {
    await expect(client.fetch(`${base}/all_methods`, { method: "PROPFIND" })).rejects.toThrow(
      "unknown method PROPFIND",
    );
  });

  it("refuses CR or LF in header names and values", async () => {
    for (const bad of ["foo\rbar:", "foo\nbar:", "foo\r\nbar:"]) {
      await expect(client.fetch(`${base}/hello`, { headers: { foo: bad } })).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(client.fetch(`${base}/hello`, { headers: { [bad]: "foo" } })).rejects.toBeInstanceOf(
        InvalidRequestError,
      );
    }
  });

  it("refuses a URL scheme other than http and https", async () => {
    await expect(client.fetch("ftp://127.0.0.1/")).rejects.toThrow("Unsupported url scheme: ftp://127.0.0.1/");
  });

  it("raises HTTPClientError with the response for a non-2xx code", async () => {
    const error = await client.fetch(`${base}/notfound`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPClientError);
    expect((error as HTTPClientError).code).toBe(404);
    expect((error as HTTPClientError).message).toBe("HTTP 404: Not Found");
    expect((error as HTTPClientError).response?.code).toBe(404);
  });

  it("returns a non-2xx response with raiseError false, and rethrow() raises it", async () => {
    const response = await client.fetch(`${base}/notfound`, { raiseError: false });
    expect(response.code).toBe(404);
    expect(response.error).toBeInstanceOf(HTTPClientError);
    expect(() => response.rethrow()).toThrow("HTTP 404: Not Found");
  });

  it("passes chunks to the streaming callback and leaves the body empty", async () => {
    const chunks: string[] = [];
    const response = await client.fetch(`${base}/chunk`, { streamingCallback: (c) => void chunks.push(text(c)) });
    expect(chunks).toEqual(["asdf", "qwer"]);
    expect(response.body.byteLength).toBe(0);
  });

  it("waits for an async streaming callback before the next chunk", async () => {
    const events: string[] = [];
    await client.fetch(`${base}/chunk`, {
      streamingCallback: async (c) => {
        events.push(`start ${text(c)}`);
        await sleep(20);
        events.push(`end ${text(c)}`);
      },
    });
    expect(events).toEqual(["start asdf", "end asdf", "start qwer", "end qwer"]);
  });

  it("passes a streaming callback's error to the caller", async () => {
    const failure = new SyntaxError("bad chunk");
    await expect(
      client.fetch(`${base}/chunk`, {
        streamingCallback: () => {
          throw failure;
        },
      }),
    ).rejects.toBe(failure);
  });

  it("runs the header callback for the status line, each header and a blank line first", async () => {
    const lines: string[] = [];
    const chunks: string[] = [];
    await client.fetch(`${base}/chunk`, {
      headerCallback: (line) => lines.push(line),
      streamingCallback: (c) => {
        // Every header line is delivered before any body chunk.
        expect(lines.at(-1)).toBe("\r\n");
        chunks.push(text(c));
      },
    });
    expect(lines[0]).toMatch(/^HTTP\/\d\.\d 200 OK\r\n$/);
    expect(lines).toContain("Content-Type: text/html; charset=UTF-8\r\n");
    expect(lines.slice(1, -1).every((l) => /^[^:]+: .*\r\n$/.test(l))).toBe(true);
    expect(chunks).toEqual(["asdf", "qwer"]);
  });

  it("asks for gzip and decompresses the body, recording the consumed encoding", async () => {
    const response = await client.fetch(`${base}/gzip`);
    expect(response.text()).toBe("asdfqwer");
    expect(response.headers.has("Content-Encoding")).toBe(false);
    expect(response.headers.get("X-Consumed-Content-Encoding")).toBe("gzip");
  });

  it("keeps every Set-Cookie header apart", async () => {
    const response = await client.fetch(`${base}/cookies`);
    expect(response.headers.getList("Set-Cookie")).toEqual(["a=1", "b=2"]);
  });

  it("raises HTTPTimeoutError (599) when the request timeout passes", async () => {
    const started = Date.now();
    const error = await client.fetch(`${base}/hang`, { requestTimeout: 0.1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPTimeoutError);
    expect((error as HTTPTimeoutError).code).toBe(599);
    expect((error as HTTPTimeoutError).message).toBe("Timeout during request");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("raises the timeout even with raiseError false", async () => {
    await expect(client.fetch(`${base}/hang`, { requestTimeout: 0.05, raiseError: false })).rejects.toBeInstanceOf(
      HTTPTimeoutError,
    );
  });

  it("treats zero timeouts as no limit", async () => {
    expect((await client.fetch(`${base}/hello`, { connectTimeout: 0 })).code).toBe(200);
    expect((await client.fetch(`${base}/hello`, { requestTimeout: 0 })).code).toBe(200);
    expect((await client.fetch(`${base}/hello`, { connectTimeout: 0, requestTimeout: 0 })).code).toBe(200);
  });

  it("raises HTTPClientError 599 when the connection is refused", async () => {
    const port = await refusingPort();
    const error = await client.fetch(`http://127.0.0.1:${port}/`, { raiseError: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPClientError);
    expect((error as HTTPClientError).code).toBe(599);
    expect((error as HTTPClientError).message).toContain("ECONNREFUSED");
    expect((error as HTTPClientError).cause).toBeDefined();
  });

  it("queues requests beyond maxClients and times out in the queue", async () => {
    const single = new AsyncHTTPClient({ transport, maxClients: 1 });
    const hanging = single.fetch(`${base}/hang`, { requestTimeout: 0.5 }).catch((e: unknown) => e);
    const queued = await single.fetch(`${base}/hello`, { requestTimeout: 0.1 }).catch((e: unknown) => e);
    expect(queued).toBeInstanceOf(HTTPTimeoutError);
    expect((queued as Error).message).toBe("Timeout in request queue");
    expect(await hanging).toBeInstanceOf(HTTPTimeoutError);
    expect((await single.fetch(`${base}/hello`)).code).toBe(200);
  });

  it("accepts an HTTPRequest and reuses the one on a response", async () => {
    const response = await client.fetch(new HTTPRequest(`${base}/hello`));
    expect(response.request).toBeInstanceOf(HTTPRequest);
    expect((await client.fetch(response.request)).text()).toBe("Hello world!");
  });

  it("refuses request options next to an HTTPRequest", async () => {
    await expect(client.fetch(new HTTPRequest(`${base}/hello`), { method: "GET" })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });

  it("refuses to fetch once closed", async () => {
    const closed = new AsyncHTTPClient({ transport });
    closed.close();
    await expect(closed.fetch(`${base}/hello`)).rejects.toThrow("fetch() called on closed AsyncHTTPClient");
  });
});

describe("AsyncHTTPClient over node:http only", () => {
  const client = new AsyncHTTPClient({ transport: nodeTransport });

  it("delivers the compressed body with decompressResponse false", async () => {
    const response = await client.fetch(`${base}/gzip`, {
      decompressResponse: false,
      headers: { "Accept-Encoding": "gzip" },
    });
    expect(response.headers.get("Content-Encoding")).toBe("gzip");
    expect([...response.body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(response.body).toEqual(new Uint8Array(gzipSync("asdfqwer")));
  });

  it("does not ask for gzip with decompressResponse false", async () => {
    const response = await client.fetch(`${base}/gzip`, { decompressResponse: false });
    expect(response.text()).toBe("asdfqwer");
  });

  it("raises HTTPTimeoutError while connecting when the TLS handshake never completes", async () => {
    // A TCP server that accepts and stays silent: the TLS handshake is part of connecting.
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const error = await client
        .fetch(`https://127.0.0.1:${port}/`, { connectTimeout: 0.1, requestTimeout: 3600 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HTTPTimeoutError);
      expect((error as Error).message).toBe("Timeout while connecting");
    } finally {
      for (const socket of sockets) if (socket.localPort === port) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("raises HTTPStreamClosedError when the body is cut short", async () => {
    const error = await client.fetch(`${base}/truncated`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPStreamClosedError);
    expect((error as HTTPStreamClosedError).code).toBe(599);
  });

  it("sends and reads non-ASCII header values as Latin-1", async () => {
    const response = await client.fetch(`${base}/latin1_header`);
    expect(response.headers.get("Foo")).toBe("\u00e9");
  });

  it("binds to a given local address and refuses one that is not an IP", async () => {
    expect((await client.fetch(`${base}/hello`, { networkInterface: "127.0.0.1" })).code).toBe(200);
    await expect(client.fetch(`${base}/hello`, { networkInterface: "not-interface-or-ip" })).rejects.toThrow(
      "not-interface-or-ip",
    );
  });

  it("sends Host, Connection: close and Content-Length as Tornado does", async () => {
    const echo = (await client.fetch(`${base}/echo_headers`)).json() as Record<string, string>;
    expect(echo["Host"]).toBe(base.slice("http://".length));
    expect(echo["Connection"]).toBe("close");
    expect(echo["Accept-Encoding"]).toBe("gzip");
    const posted = (await client.fetch(`${base}/echo_headers`, { method: "POST", body: "abc" })).json() as Record<
      string,
      string
    >;
    expect(posted["Content-Length"]).toBe("3");
    expect(posted["Content-Type"]).toBe("application/x-www-form-urlencoded");
  });
});

describe("AsyncHTTPClient over fetch only", () => {
  const client = new AsyncHTTPClient({ transport: fetchTransport });

  it("raises UnsupportedOptionError for decompressResponse false", async () => {
    const error = await client.fetch(`${base}/gzip`, { decompressResponse: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedOptionError);
    expect((error as UnsupportedOptionError).option).toBe("decompressResponse");
  });

  it("raises UnsupportedOptionError for a connect timeout shorter than the request timeout", async () => {
    await expect(client.fetch(`${base}/hello`, { connectTimeout: 1, requestTimeout: 20 })).rejects.toBeInstanceOf(
      UnsupportedOptionError,
    );
    // At or above the request timeout the request timer enforces it anyway.
    expect((await client.fetch(`${base}/hello`, { connectTimeout: 20, requestTimeout: 5 })).code).toBe(200);
  });

  it("raises UnsupportedOptionError for validateCert false and networkInterface", async () => {
    await expect(client.fetch(`${base}/hello`, { validateCert: false })).rejects.toBeInstanceOf(UnsupportedOptionError);
    await expect(client.fetch(`${base}/hello`, { networkInterface: "127.0.0.1" })).rejects.toBeInstanceOf(
      UnsupportedOptionError,
    );
  });
});

describe("HTTPRequest, HTTPResponse and HTTPClientError", () => {
  it("formats an error as Tornado's str()", () => {
    expect(new HTTPClientError(403).message).toBe("HTTP 403: Forbidden");
    expect(new HTTPTimeoutError("Timeout during request").message).toBe("Timeout during request");
    expect(new HTTPStreamClosedError().message).toBe("Stream closed");
  });

  it("gives a non-2xx response an error that rethrow() raises", () => {
    const response = new HTTPResponse(new HTTPRequest("http://example.com/"), 403);
    expect(response.reason).toBe("Forbidden");
    expect(() => response.rethrow()).toThrow("HTTP 403: Forbidden");
    expect(new HTTPResponse(new HTTPRequest("http://example.com/"), 200).error).toBeNull();
  });

  it("describes a response in toString", () => {
    const s = String(new HTTPResponse(new HTTPRequest("http://example.com/"), 200));
    expect(s.startsWith("HTTPResponse(")).toBe(true);
    expect(s).toContain("code=200");
  });

  it("sets If-Modified-Since from ifModifiedSince", () => {
    const request = new HTTPRequest("http://example.com/", { ifModifiedSince: new Date(Date.UTC(2014, 0, 1)) });
    expect(request.headers.get("If-Modified-Since")).toBe("Wed, 01 Jan 2014 00:00:00 GMT");
  });

  it("encodes a string body as UTF-8", () => {
    expect([...new HTTPRequest("http://example.com/", { body: "\u00e9" }).body!]).toEqual([0xc3, 0xa9]);
    expect(encoder.encode("x")).toEqual(new Uint8Array([0x78]));
  });
});
