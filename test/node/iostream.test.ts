/**
 * IOStream and SSLIOStream over real 127.0.0.1 sockets — translated from Tornado's
 * iostream_test.py (TestReadWriteMixin, TestIOStreamMixin, TestIOStreamStartTLS,
 * WaitForHandshakeTest), run for plain TCP and for TLS where the behaviour is the same.
 */

import { createHash } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, test } from "vitest";
import { genLog, appLog } from "../../src/core/log.js";
import {
  IOStream,
  IOStreamStateError,
  SSLIOStream,
  StreamBufferFullError,
  StreamClosedError,
  UnsatisfiableReadError,
} from "../../src/node/iostream.js";
import { addAcceptHandler, bindSockets } from "../../src/node/netutil.js";
import { CERT, KEY, captureLog, portOf, refusingPort, sleep, streamPair, whenClosed, within, type PairKind } from "./tcp-helpers.js";

const open: IOStream[] = [];
async function pair(kind: PairKind, options = {}): Promise<[IOStream, IOStream]> {
  const p = await streamPair(kind, options);
  open.push(...p);
  return p;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function expectClosedError(p: Promise<unknown>): Promise<StreamClosedError> {
  const err = await within(p, 5000).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StreamClosedError);
  return err as StreamClosedError;
}

describe.each<PairKind>(["plain", "tls"])("reading and writing (%s)", (kind) => {
  test("readUntil returns each line with its delimiter", async () => {
    const [rs, ws] = await pair(kind);
    ws.write("hello\nworld\n");
    expect((await rs.readUntil("\n")).toString()).toBe("hello\n");
    expect((await rs.readUntil("\n")).toString()).toBe("world\n");
  });

  test("a multi-byte delimiter split across writes is found", async () => {
    const [rs, ws] = await pair(kind);
    const line = rs.readUntil("\r\n");
    await ws.write("abc\r");
    await sleep(20);
    ws.write("\nrest");
    expect((await line).toString()).toBe("abc\r\n");
    expect((await rs.readBytes(4)).toString()).toBe("rest");
  });

  test("writing zero bytes resolves", async () => {
    const [, ws] = await pair(kind);
    await within(ws.write(new Uint8Array(0)), 2000);
  });

  test("readBytes waits for the full count unless partial", async () => {
    const [rs, ws] = await pair(kind);
    const full = rs.readBytes(10);
    await ws.write("hello");
    await sleep(30);
    expect(rs.reading()).toBe(true);
    ws.write("world!!");
    expect((await full).toString()).toBe("helloworld");
    expect(rs.reading()).toBe(false);
    expect((await rs.readBytes(2)).toString()).toBe("!!");
  });

  test("readBytes partial returns what is available, never more than asked", async () => {
    const [rs, ws] = await pair(kind);
    let fut = rs.readBytes(50, { partial: true });
    ws.write("hello");
    expect((await fut).toString()).toBe("hello");
    fut = rs.readBytes(3, { partial: true });
    ws.write("world");
    expect((await fut).toString()).toBe("wor");
    expect((await rs.readBytes(0, { partial: true })).length).toBe(0);
  });

  test("readUntilRegex returns through the end of the match", async () => {
    const [rs, ws] = await pair(kind);
    ws.write("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody");
    expect((await rs.readUntilRegex(/\r?\n\r?\n/)).toString()).toBe("HTTP/1.1 200 OK\r\nA: b\r\n\r\n");
    expect((await rs.readBytes(4)).toString()).toBe("body");
  });

  test("readUntil maxBytes: room to spare, just enough, then too little closes the stream", async () => {
    const [rs, ws] = await pair(kind);
    const closed = whenClosed(rs);
    let fut = rs.readUntil("def", { maxBytes: 50 });
    ws.write("abcdef");
    expect((await fut).toString()).toBe("abcdef");
    fut = rs.readUntil("def", { maxBytes: 6 });
    ws.write("abcdef");
    expect((await fut).toString()).toBe("abcdef");
    const log = captureLog(genLog);
    try {
      fut = rs.readUntil("def", { maxBytes: 5 });
      ws.write("123456");
      const err = await expectClosedError(fut);
      expect(err.realError).toBeInstanceOf(UnsatisfiableReadError);
      expect(err.realError?.message).toBe('delimiter "def" not found within 5 bytes');
      await within(closed, 2000);
      expect(log.messages().some((m) => m.startsWith("Unsatisfiable read, closing connection"))).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("readUntil maxBytes fails the same way when the data is already buffered", async () => {
    const [rs, ws] = await pair(kind);
    await ws.write("123456");
    await sleep(30);
    const log = captureLog(genLog);
    try {
      const err = await expectClosedError(rs.readUntil("def", { maxBytes: 5 }));
      expect(err.realError).toBeInstanceOf(UnsatisfiableReadError);
      expect(rs.closed()).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("readUntil maxBytes fails even when the delimiter arrives in the packet that passes the limit", async () => {
    const [rs, ws] = await pair(kind);
    const closed = whenClosed(rs);
    await ws.write("abcdef");
    const log = captureLog(genLog);
    try {
      await expectClosedError(rs.readUntil("def", { maxBytes: 5 }));
      await within(closed, 2000);
    } finally {
      log.stop();
    }
  });

  test("readUntilRegex maxBytes behaves as readUntil's", async () => {
    const [rs, ws] = await pair(kind);
    let fut = rs.readUntilRegex("def", { maxBytes: 50 });
    ws.write("abcdef");
    expect((await fut).toString()).toBe("abcdef");
    fut = rs.readUntilRegex(/def/, { maxBytes: 6 });
    ws.write("abcdef");
    expect((await fut).toString()).toBe("abcdef");
    const log = captureLog(genLog);
    try {
      fut = rs.readUntilRegex(/def/, { maxBytes: 5 });
      ws.write("123456");
      const err = await expectClosedError(fut);
      expect(err.realError?.message).toBe("delimiter /def/ not found within 5 bytes");
    } finally {
      log.stop();
    }
  });

  test("buffered data is still readable after the peer closes", async () => {
    const [rs, ws] = await pair(kind);
    ws.write("12");
    expect((await rs.readBytes(1)).toString()).toBe("1");
    ws.close();
    expect((await within(rs.readBytes(1), 2000)).toString()).toBe("2");
  });

  test("data held back by a small chunk size is delivered after the peer closes", async () => {
    const [rs, ws] = await pair(kind, { readChunkSize: 256 });
    ws.write("A".repeat(512));
    expect((await rs.readBytes(256)).toString()).toBe("A".repeat(256));
    ws.close();
    await sleep(20);
    expect((await within(rs.readBytes(256), 2000)).toString()).toBe("A".repeat(256));
  });

  test("data written just before close() still reaches the peer", async () => {
    const [rs, ws] = await pair(kind);
    const size = 8 * 1024 * 1024;
    ws.write(Buffer.alloc(size, 1));
    ws.close();
    expect(ws.closed()).toBe(true);
    const got = await within(rs.readUntilClose(), 10_000);
    expect(got.length).toBe(size);
  });

  test("readUntilClose after the peer closed returns the rest", async () => {
    const [rs, ws] = await pair(kind);
    ws.write("1234");
    expect((await rs.readBytes(1)).toString()).toBe("1");
    ws.close();
    expect((await within(rs.readUntilClose(), 2000)).toString()).toBe("234");
  });

  test("a 4 MiB readUntil completes promptly", async () => {
    const [rs, ws] = await pair(kind);
    const kb = Buffer.alloc(1024, "A");
    for (let i = 0; i < 4096; i++) ws.write(kb);
    ws.write("\r\n");
    const data = await within(rs.readUntil("\r\n"), 10_000);
    expect(data.length).toBe(4096 * 1024 + 2);
  });

  test("readUntil completes when the stream closes right after the delimiter arrives", async () => {
    const [rs, ws] = await pair(kind);
    const rf = rs.readUntil("done");
    await sleep(50);
    await ws.write("x".repeat(2048));
    ws.write("done");
    ws.close();
    expect((await within(rf, 2000)).toString()).toBe("x".repeat(2048) + "done");
  });

  test("a read still unsatisfied when the peer closes rejects with StreamClosedError", async () => {
    const [rs, ws] = await pair(kind);
    const rf = rs.readUntil("done");
    await ws.write("x".repeat(2048));
    ws.write("foo");
    ws.close();
    const err = await expectClosedError(rf);
    expect(err.message).toBe("Stream is closed");
  });

  test("the close callback runs when the peer closes during a pending read", async () => {
    const [rs, ws] = await pair(kind);
    const closed = whenClosed(rs);
    ws.write("OK\r\n");
    expect((await rs.readUntil("\r\n")).toString()).toBe("OK\r\n");
    ws.close();
    rs.readUntil("\r\n");
    await within(closed, 2000, "close callback");
  });

  test("the close callback runs when the peer closes an idle stream", async () => {
    const [rs, ws] = await pair(kind);
    let called = false;
    const closed = new Promise<void>((r) =>
      rs.setCloseCallback(() => {
        called = true;
        r();
      }),
    );
    ws.write("a");
    expect((await rs.readBytes(1)).toString()).toBe("a");
    expect(called).toBe(false);
    ws.close();
    await within(closed, 2000, "close callback");
    expect(rs.closed()).toBe(true);
  });

  test("small reads from a stream with a small maxBufferSize do not overflow it", async () => {
    const [rs, ws] = await pair(kind, { maxBufferSize: 10 * 1024 });
    ws.write(Buffer.alloc(100 * 1024, "a"));
    for (let i = 0; i < 100; i++) {
      expect((await within(rs.readBytes(1024), 2000)).equals(Buffer.alloc(1024, "a"))).toBe(true);
    }
  });

  test("small readUntils from a stream with a small maxBufferSize do not overflow it", async () => {
    const [rs, ws] = await pair(kind, { maxBufferSize: 10 * 1024 });
    const line = "a".repeat(1023) + "\n";
    ws.write(line.repeat(100));
    for (let i = 0; i < 100; i++) {
      expect((await within(rs.readUntil("\n", { maxBytes: 4096 }), 2000)).toString()).toBe(line);
    }
  });

  test("a writer faster than the reader is held back, and everything arrives", async () => {
    const MB = 1024 * 1024;
    const [rs, ws] = await pair(kind, { maxBufferSize: 5 * MB });
    const done = ws.write(Buffer.alloc(10 * MB, "a"));
    await rs.readBytes(MB);
    await sleep(100);
    for (let i = 0; i < 9; i++) expect((await within(rs.readBytes(MB), 5000)).length).toBe(MB);
    await within(done, 5000);
  });

  test("readInto fills the caller's buffer, using buffered data first", async () => {
    const [rs, ws] = await pair(kind);
    let buf = new Uint8Array(10);
    let fut = rs.readInto(buf);
    ws.write("hello");
    await sleep(50);
    expect(rs.reading()).toBe(true);
    ws.write("world!!");
    expect(await fut).toBe(10);
    expect(rs.reading()).toBe(false);
    expect(Buffer.from(buf).toString()).toBe("helloworld");

    fut = rs.readInto(buf);
    await sleep(50);
    expect(rs.reading()).toBe(true);
    ws.write("1234567890");
    expect(await fut).toBe(10);
    expect(Buffer.from(buf).toString()).toBe("!!12345678");

    buf = new Uint8Array(4);
    ws.write("abcdefghi");
    await sleep(30);
    expect(await rs.readInto(buf)).toBe(4);
    expect(Buffer.from(buf).toString()).toBe("90ab");
    expect((await rs.readBytes(7)).toString()).toBe("cdefghi");
  });

  test("readInto partial resolves with what is available", async () => {
    const [rs, ws] = await pair(kind);
    const buf = new Uint8Array(10);
    const fut = rs.readInto(buf, { partial: true });
    ws.write("hello");
    expect(await fut).toBe(5);
    expect(Buffer.from(buf).toString()).toBe("hello\0\0\0\0\0");
    ws.write("world!1234567890");
    await sleep(30);
    expect(await rs.readInto(buf, { partial: true })).toBe(10);
    expect(Buffer.from(buf).toString()).toBe("world!1234");
    expect(await rs.readInto(buf, { partial: true })).toBe(6);
    expect(Buffer.from(buf).toString()).toBe("5678901234");
  });

  test("readInto an empty buffer resolves with 0", async () => {
    const [rs] = await pair(kind);
    expect(await within(rs.readInto(new Uint8Array(0)), 1000)).toBe(0);
  });

  test("many mixed readBytes and readInto calls see every byte in order", async () => {
    const [rs, ws] = await pair(kind);
    // A small seeded generator keeps the sizes reproducible.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % n);
    };
    const total = 1_000_000;
    const produced = createHash("sha1");
    const consumed = createHash("sha1");
    const produce = async (): Promise<void> => {
      for (let left = total; left > 0; ) {
        const size = Math.min(rand(1000), left);
        const data = Buffer.alloc(size, left % 251);
        produced.update(data);
        await ws.write(data);
        left -= size;
      }
    };
    const consume = async (): Promise<void> => {
      for (let left = total; left > 0; ) {
        const size = Math.min(rand(1000), left);
        if (rand(2) === 1) {
          consumed.update(await rs.readBytes(size));
        } else {
          const buf = new Uint8Array(size);
          expect(await rs.readInto(buf)).toBe(size);
          consumed.update(buf);
        }
        left -= size;
      }
    };
    await within(Promise.all([produce(), consume()]), 15_000);
    expect(consumed.digest("hex")).toBe(produced.digest("hex"));
  });

  test("concurrent writers' promises all resolve and every byte arrives", async () => {
    const m = 5000;
    const n = 100;
    const producers = 10;
    const [server, client] = await pair(kind, { maxBufferSize: m * n * producers });
    const produce = async (): Promise<void> => {
      const data = Buffer.alloc(m, "x");
      for (let i = 0; i < n; i++) await server.write(data);
    };
    const consume = async (): Promise<void> => {
      for (let read = 0; read < m * n * producers; ) read += (await client.readBytes(m)).length;
    };
    await within(Promise.all([...Array.from({ length: producers }, produce), consume()]), 15_000);
  });
});

describe("IOStream", () => {
  test("a second read while one is pending throws 'Already reading'", async () => {
    const [rs] = await pair("plain");
    rs.readBytes(1);
    expect(() => rs.readUntil("\n")).toThrow(IOStreamStateError);
    expect(() => rs.readUntil("\n")).toThrow("Already reading");
  });

  test("reads on a closed stream reject with StreamClosedError; readUntilClose resolves with the rest", async () => {
    const [rs, ws] = await pair("plain");
    await ws.write("tail");
    await sleep(30);
    rs.close();
    await expectClosedError(rs.readBytes(10));
    expect((await rs.readUntilClose()).toString()).toBe("tail");
    await expectClosedError(rs.readBytes(1));
  });

  test("a pending readUntilClose resolves with everything when the peer closes", async () => {
    const [rs, ws] = await pair("plain");
    const all = rs.readUntilClose();
    ws.write("abc");
    await ws.write("def");
    ws.close();
    expect((await within(all, 2000)).toString()).toBe("abcdef");
  });

  test("write on a closed stream throws StreamClosedError", async () => {
    const [, ws] = await pair("plain");
    ws.close();
    expect(() => ws.write("x")).toThrow(StreamClosedError);
  });

  test("a pending read carries the reset as realError when the peer resets", async () => {
    const [rs, ws] = await pair("plain");
    const fut = rs.readBytes(1);
    ws.socket.resetAndDestroy();
    const err = await expectClosedError(fut);
    expect((err.realError as NodeJS.ErrnoException | undefined)?.code).toBe("ECONNRESET");
    expect(rs.error).toBe(err.realError);
  });

  test("a read needing more than maxBufferSize closes the stream with StreamBufferFullError", async () => {
    const [rs, ws] = await pair("plain", { maxBufferSize: 1024 });
    const log = captureLog(genLog);
    try {
      const fut = rs.readUntil("\n");
      ws.write(Buffer.alloc(4096, "z"));
      const err = await expectClosedError(fut);
      expect(err.realError).toBeInstanceOf(StreamBufferFullError);
      expect(log.messages()).toContain("Reached maximum read buffer size");
      expect(rs.closed()).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("readUntilClose past maxBufferSize rejects instead of returning truncated data", async () => {
    const [rs, ws] = await pair("plain", { maxBufferSize: 1024 });
    const log = captureLog(genLog);
    try {
      const all = rs.readUntilClose();
      await ws.write(Buffer.alloc(4000, "x"));
      ws.close();
      const err = await expectClosedError(all);
      expect(err.realError).toBeInstanceOf(StreamBufferFullError);
    } finally {
      log.stop();
    }
  });

  test("reads and writes left unawaited do not surface as unhandled rejections", async () => {
    const [rs, ws] = await pair("plain");
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      rs.readUntil("never");
      ws.write(Buffer.alloc(16 * 1024 * 1024));
      ws.close();
      rs.close();
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("writes beyond maxWriteBufferSize throw StreamBufferFullError", async () => {
    const [rs, ws] = await pair("plain", { maxWriteBufferSize: 1024 * 1024 });
    ws.write(Buffer.alloc(1024 * 1024));
    // Until the reader drains, more than the limit is waiting in the socket.
    let threw: unknown;
    for (let i = 0; i < 64 && threw === undefined; i++) {
      try {
        ws.write(Buffer.alloc(1024 * 1024));
      } catch (e) {
        threw = e;
      }
    }
    expect(threw).toBeInstanceOf(StreamBufferFullError);
    expect((threw as Error).message).toBe("Reached maximum write buffer size");
    rs.close();
  });

  test("write's promise waits while the peer does not read, then resolves", async () => {
    const [rs, ws] = await pair("plain");
    let done = false;
    const big = ws.write(Buffer.alloc(32 * 1024 * 1024, 7)).then(() => {
      done = true;
    });
    await sleep(100);
    expect(done).toBe(false);
    expect(ws.writing()).toBe(true);
    const got = await within(rs.readBytes(32 * 1024 * 1024), 15_000);
    expect(got.every((b) => b === 7)).toBe(true);
    await within(big, 5000);
    expect(ws.writing()).toBe(false);
  });

  test("pending writes reject with StreamClosedError when the stream closes", async () => {
    const [, ws] = await pair("plain");
    const big = ws.write(Buffer.alloc(32 * 1024 * 1024));
    await sleep(20);
    ws.close();
    await expectClosedError(big);
  });

  test("connect to a refusing port rejects with StreamClosedError carrying ECONNREFUSED", async () => {
    const port = await refusingPort();
    const stream = new IOStream(new net.Socket());
    const closed = whenClosed(stream);
    const err = await expectClosedError(stream.connect({ host: "127.0.0.1", port }));
    expect((err.realError as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    expect((stream.error as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
    await within(closed, 2000);
  });

  test("writes made while connecting are sent once connected", async () => {
    const [listener] = await bindSockets(0, "127.0.0.1");
    const got = new Promise<Buffer>((resolve) =>
      addAcceptHandler(listener!, (conn) => {
        const s = new IOStream(conn);
        open.push(s);
        resolve(s.readBytes(5));
      }),
    );
    const client = new IOStream(new net.Socket());
    open.push(client);
    const connected = client.connect({ host: "127.0.0.1", port: portOf(listener!) });
    const written = client.write("hello");
    expect(await within(connected, 2000)).toBe(client);
    await written;
    expect((await within(got, 2000)).toString()).toBe("hello");
    listener!.close();
  });

  test("an exception in the close callback is logged", async () => {
    const [rs] = await pair("plain");
    const log = captureLog(appLog);
    try {
      rs.setCloseCallback(function boom() {
        throw new Error("boom");
      });
      rs.close();
      await sleep(20);
      expect(log.records.some((r) => r.message.startsWith("Exception in callback") && (r.error as Error).message === "boom")).toBe(true);
    } finally {
      log.stop();
    }
  });
});

describe("startTls and SSLIOStream", () => {
  async function plainPair(): Promise<[IOStream, IOStream]> {
    return pair("plain");
  }
  async function sendLine(from: IOStream, to: IOStream, line: string): Promise<void> {
    from.write(line);
    expect((await within(to.readUntil("\r\n"), 2000)).toString()).toBe(line);
  }

  test("an SMTP-style exchange upgrades to TLS and keeps talking", async () => {
    const [server, client] = await plainPair();
    await sendLine(server, client, "220 mail.example.com ready\r\n");
    await sendLine(client, server, "EHLO mail.example.com\r\n");
    await sendLine(server, client, "250-mail.example.com welcome\r\n");
    await sendLine(server, client, "250 STARTTLS\r\n");
    await sendLine(client, server, "STARTTLS\r\n");
    await sendLine(server, client, "220 Go ahead\r\n");
    const clientTls = client.startTls(false, { ca: CERT }, "localhost");
    const serverTls = server.startTls(true, { cert: CERT, key: KEY });
    const [c, s] = await within(Promise.all([clientTls, serverTls]), 5000);
    open.push(c, s);
    expect(c).toBeInstanceOf(SSLIOStream);
    expect(s).toBeInstanceOf(SSLIOStream);
    expect(c.socket.encrypted).toBe(true);
    await sendLine(c, s, "EHLO mail.example.com\r\n");
    await sendLine(s, c, "250 mail.example.com welcome\r\n");
  });

  test("a certificate the client does not trust fails both handshakes", async () => {
    const [server, client] = await plainPair();
    const log = captureLog(genLog);
    try {
      const serverTls = server.startTls(true, { cert: CERT, key: KEY });
      const clientTls = client.startTls(false, {}, "localhost");
      const cErr = await within(clientTls, 5000).then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect(cErr?.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
      await expect(within(serverTls, 5000)).rejects.toBeInstanceOf(Error);
      expect(log.messages().some((m) => m.startsWith("SSL Error"))).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("the server hostname given to startTls is checked against the certificate", async () => {
    const [server, client] = await plainPair();
    const log = captureLog(genLog);
    try {
      const serverTls = server.startTls(true, { cert: CERT, key: KEY });
      const clientTls = client.startTls(false, { ca: CERT }, "example.com");
      const cErr = await within(clientTls, 5000).then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect(cErr?.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
      await expect(within(serverTls, 5000)).rejects.toBeInstanceOf(Error);
    } finally {
      log.stop();
    }
  });

  test("startTls on a stream with a pending read throws", async () => {
    const [server] = await plainPair();
    server.readBytes(1);
    expect(() => server.startTls(true, { cert: CERT, key: KEY })).toThrow("IOStream is not idle; cannot convert to SSL");
  });

  test("the close callback moves to the TLS stream", async () => {
    const [server, client] = await plainPair();
    const closed = whenClosed(server);
    const [s, c] = await within(Promise.all([server.startTls(true, { cert: CERT, key: KEY }), client.startTls(false, { ca: CERT }, "127.0.0.1")]), 5000);
    open.push(s, c);
    c.close();
    await within(closed, 2000, "close callback of the TLS stream");
    expect(s.closed()).toBe(true);
  });

  test("waitForHandshake resolves on a server stream, once at a time", async () => {
    const [listener] = await bindSockets(0, "127.0.0.1");
    const accepted = new Promise<SSLIOStream>((resolve) =>
      addAcceptHandler(listener!, (conn) => resolve(new SSLIOStream(new tls.TLSSocket(conn, { isServer: true, cert: CERT, key: KEY })))),
    );
    const client = new SSLIOStream(tls.connect({ host: "127.0.0.1", port: portOf(listener!), ca: CERT }));
    open.push(client);
    const server = await within(accepted, 2000);
    open.push(server);
    const waiting = server.waitForHandshake();
    expect(() => server.waitForHandshake()).toThrow("Already waiting");
    expect(await within(waiting, 5000)).toBe(server);
    // Already done: resolves straight away.
    expect(await within(server.waitForHandshake(), 1000)).toBe(server);
    expect(await within(client.waitForHandshake(), 1000)).toBe(client);
    listener!.close();
  });

  test("SSLIOStream.connect explains how to connect instead", async () => {
    const [listener] = await bindSockets(0, "127.0.0.1");
    const s = new SSLIOStream(tls.connect({ host: "127.0.0.1", port: portOf(listener!), ca: CERT }));
    open.push(s);
    expect(() => s.connect({ host: "127.0.0.1", port: 1 })).toThrow(/TCPClient\.connect/);
    listener!.close();
  });
});
