/**
 * What HTTP/1.1 (RFC 9112) says a server must refuse, written as raw bytes to a real
 * socket: each request must be answered with 400 (431 for oversized headers, 413 for an
 * oversized body) and the connection closed, and the server must go on serving.
 */
import * as net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Application, HTTPServer, RequestHandler } from "../../src/node/index.js";

class EchoHandler extends RequestHandler {
  override get() {
    this.write("ok");
  }
  override post() {
    this.write(`got ${this.request.body.length}`);
  }
}

let server: HTTPServer;
let port = 0;

beforeAll(async () => {
  server = new HTTPServer(new Application([["/", EchoHandler]]), { maxBodySize: 1024 });
  await server.listen(0, "127.0.0.1");
  port = server.address()!.port;
});

afterAll(async () => {
  server.closeAllConnections();
  await server.stop();
});

interface RawResult {
  text: string;
  closed: boolean;
}

/** Sends raw bytes and collects what comes back until the server closes or 2 s pass. */
function sendRaw(data: string | Buffer): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    const parts: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text: Buffer.concat(parts).toString("latin1"), closed });
    }, 2000);
    sock.on("data", (c: Buffer) => parts.push(c));
    sock.on("error", () => {});
    sock.on("close", () => {
      closed = true;
      clearTimeout(timer);
      resolve({ text: Buffer.concat(parts).toString("latin1"), closed });
    });
    sock.on("connect", () => sock.write(data));
    sock.on("timeout", reject);
  });
}

function statusOf(text: string): number {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return m ? Number(m[1]) : 0;
}

const H = "Host: 127.0.0.1\r\n";

const corpus: Array<[string, string | Buffer, number]> = [
  ["Content-Length with Transfer-Encoding", `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400],
  ["Transfer-Encoding whose last coding is not chunked", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`, 400],
  ["Transfer-Encoding: identity", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\nabc`, 400],
  ["two different Content-Lengths", `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, 400],
  ["two equal Content-Lengths", `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`, 400],
  ["a list in Content-Length", `POST / HTTP/1.1\r\n${H}Content-Length: 5, 5\r\n\r\nhello`, 400],
  ["non-numeric Content-Length", `POST / HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\n`, 400],
  ["signed Content-Length", `POST / HTTP/1.1\r\n${H}Content-Length: +5\r\n\r\nhello`, 400],
  ["negative Content-Length", `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400],
  ["a bad chunk size", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n`, 400],
  ["a chunk size with junk after it", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n`, 400],
  ["whitespace before a header's colon", `GET / HTTP/1.1\r\n${H}X-Test : 1\r\n\r\n`, 400],
  ["a control character in a header value", `GET / HTTP/1.1\r\n${H}X-Test: a\x01b\r\n\r\n`, 400],
  ["a NUL in a header value", `GET / HTTP/1.1\r\n${H}X-Test: a\x00b\r\n\r\n`, 400],
  ["a control character in a header name", `GET / HTTP/1.1\r\n${H}X-T\x01st: 1\r\n\r\n`, 400],
  ["obsolete line folding", `GET / HTTP/1.1\r\n${H}X-Test: a\r\n b\r\n\r\n`, 400],
  ["a garbage request line", `GARBAGE\r\n\r\n`, 400],
  ["a space in the target", `GET /a b HTTP/1.1\r\n${H}\r\n`, 400],
  ["an unknown HTTP version", `GET / HTTP/9.9\r\n${H}\r\n`, 400],
  ["headers over 64 KiB", `GET / HTTP/1.1\r\n${H}X-Big: ${"a".repeat(70 * 1024)}\r\n\r\n`, 431],
  ["a Content-Length over maxBodySize", `POST / HTTP/1.1\r\n${H}Content-Length: 2048\r\n\r\n${"a".repeat(2048)}`, 413],
  [
    "a chunked body over maxBodySize",
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n${"400\r\n" + "a".repeat(1024) + "\r\n"}${"400\r\n" + "a".repeat(1024) + "\r\n"}0\r\n\r\n`,
    413,
  ],
];

describe("requests RFC 9112 says to refuse", () => {
  for (const [name, data, status] of corpus) {
    test(`${name} → ${status}, connection closed, server still serving`, async () => {
      const r = await sendRaw(data);
      expect(statusOf(r.text)).toBe(status);
      expect(r.closed).toBe(true);
      const ok = await fetch(`http://127.0.0.1:${port}/`);
      expect(await ok.text()).toBe("ok");
    });
  }
});

describe("requests that are fine", () => {
  test("a chunked body at the limit is accepted", async () => {
    const r = await sendRaw(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n400\r\n${"a".repeat(1024)}\r\n0\r\n\r\n`);
    expect(statusOf(r.text)).toBe(200);
    expect(r.text.endsWith("got 1024")).toBe(true);
  });

  test("a body of exactly maxBodySize is accepted", async () => {
    const r = await sendRaw(`POST / HTTP/1.1\r\n${H}Content-Length: 1024\r\nConnection: close\r\n\r\n${"a".repeat(1024)}`);
    expect(statusOf(r.text)).toBe(200);
  });

  test("two pipelined requests on one connection are both answered, in order", async () => {
    const r = await sendRaw(`GET / HTTP/1.1\r\n${H}\r\nPOST / HTTP/1.1\r\n${H}Content-Length: 3\r\nConnection: close\r\n\r\nabc`);
    const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => m[1]);
    expect(statuses).toEqual(["200", "200"]);
    expect(r.text.endsWith("got 3")).toBe(true);
  });

  test("HTTP/1.0 without keep-alive is closed after the response", async () => {
    const r = await sendRaw(`GET / HTTP/1.0\r\n\r\n`);
    expect(statusOf(r.text)).toBe(200);
    expect(r.closed).toBe(true);
  });
});
