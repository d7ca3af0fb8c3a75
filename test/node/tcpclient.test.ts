/**
 * TCPClient over real 127.0.0.1 sockets — translated from Tornado's tcpclient_test.py
 * (connect by address and by name, refused, source address and port, timeouts), plus TLS.
 * The connect timeout uses a listener on 127.0.0.1 whose accept queue is full, so the
 * kernel drops further connection attempts and nothing leaves the machine.
 */

import net from "node:net";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, test } from "vitest";
import { genLog } from "../../src/core/log.js";
import { TimeoutError } from "../../src/core/timeout.js";
import { IOStream, SSLIOStream, StreamClosedError } from "../../src/node/iostream.js";
import { OverrideResolver, DefaultResolver, Resolver, type ResolvedAddress } from "../../src/node/netutil.js";
import { TCPClient } from "../../src/node/tcpclient.js";
import { TCPServer } from "../../src/node/tcpserver.js";
import { CERT, KEY, captureLog, portOf, refusingPort, sleep, within } from "./tcp-helpers.js";

/** Queues each accepted stream for the test to pick up. */
class QueueServer extends TCPServer {
  readonly streams: IOStream[] = [];
  #waiters: ((s: IOStream) => void)[] = [];
  override handleStream(stream: IOStream): void {
    this.streams.push(stream);
    this.#waiters.shift()?.(stream);
  }
  next(): Promise<IOStream> {
    const ready = this.streams.find((s) => !taken.has(s));
    if (ready) {
      taken.add(ready);
      return Promise.resolve(ready);
    }
    return new Promise((resolve) =>
      this.#waiters.push((s) => {
        taken.add(s);
        resolve(s);
      }),
    );
  }
  override stop(): void {
    super.stop();
    for (const s of this.streams) s.close();
  }
}
const taken = new WeakSet<IOStream>();

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function startServer(ssl = false): Promise<[QueueServer, number]> {
  const server = new QueueServer(ssl ? { ssl: { cert: CERT, key: KEY } } : {});
  cleanups.push(() => server.stop());
  const [listener] = await server.listen(0, "127.0.0.1");
  return [server, portOf(listener!)];
}

function keep<T extends IOStream>(s: T): T {
  cleanups.push(() => s.close());
  return s;
}

async function roundTrip(server: QueueServer, stream: IOStream): Promise<void> {
  const serverStream = await within(server.next(), 2000);
  stream.write("hello");
  expect((await within(serverStream.readBytes(5), 2000)).toString()).toBe("hello");
}

/**
 * A listener on 127.0.0.1 that never accepts: it lives in a worker thread that blocks, with
 * a backlog of 1, and is filled with connections until the next attempt hangs.
 */
async function nonAcceptingPort(): Promise<number> {
  const sab = new SharedArrayBuffer(4);
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const net = require("node:net");
    const server = net.createServer(() => {});
    server.listen({ port: 0, host: "127.0.0.1", backlog: 1 }, () => {
      parentPort.postMessage(server.address().port);
      // Block this thread so nothing is ever accepted, until the test wakes it.
      setTimeout(() => { Atomics.wait(new Int32Array(workerData), 0, 0, 30000); process.exit(0); }, 0);
    });`;
  const worker = new Worker(code, { eval: true, workerData: sab });
  const port = await new Promise<number>((resolve) => worker.once("message", resolve));
  await sleep(50);
  const fillers: net.Socket[] = [];
  cleanups.push(() => {
    for (const f of fillers) f.destroy();
    Atomics.store(new Int32Array(sab), 0, 1);
    Atomics.notify(new Int32Array(sab), 0);
    void worker.terminate();
  });
  for (let i = 0; i < 16; i++) {
    const s = net.connect(port, "127.0.0.1");
    s.on("error", () => {});
    fillers.push(s);
    const connected = await new Promise<boolean>((resolve) => {
      s.once("connect", () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    if (!connected) return port;
  }
  throw new Error("the accept queue never filled up");
}

describe("TCPClient.connect", () => {
  test("connects to an IPv4 address", async () => {
    const [server, port] = await startServer();
    const stream = keep(await new TCPClient().connect("127.0.0.1", port, { af: 4 }));
    await roundTrip(server, stream);
  });

  test("connects to a name, trying its addresses until one answers", async () => {
    const [server, port] = await startServer();
    const stream = keep(await new TCPClient().connect("localhost", port));
    expect(stream.socket.remoteAddress).toBe("127.0.0.1");
    await roundTrip(server, stream);
  });

  test("connects through an OverrideResolver", async () => {
    const [server, port] = await startServer();
    const resolver = new OverrideResolver(new DefaultResolver(), { "service.test": "127.0.0.1" });
    const stream = keep(await new TCPClient(resolver).connect("service.test", port));
    await roundTrip(server, stream);
  });

  test("a refused connection rejects with StreamClosedError carrying ECONNREFUSED", async () => {
    const port = await refusingPort();
    const err = await new TCPClient().connect("127.0.0.1", port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamClosedError);
    expect(((err as StreamClosedError).realError as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });

  test("connects from a given source IP", async () => {
    const [server, port] = await startServer();
    const stream = keep(await new TCPClient().connect("127.0.0.1", port, { sourceIp: "127.0.0.1" }));
    await roundTrip(server, stream);
    expect(stream.socket.localAddress).toBe("127.0.0.1");
  });

  test("connects from a given source port", async () => {
    const [server, port] = await startServer();
    const sourcePort = await refusingPort();
    const stream = keep(await new TCPClient().connect("127.0.0.1", port, { sourcePort }));
    await roundTrip(server, stream);
    expect(server.streams[0]!.socket.remotePort).toBe(sourcePort);
  });

  test("a source port that cannot be bound rejects with the bind error itself", async () => {
    const [, port] = await startServer();
    // The server's own port is taken by its listener on the same address.
    const err = await new TCPClient().connect("127.0.0.1", port, { sourceIp: "127.0.0.1", sourcePort: port }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(StreamClosedError);
    expect((err as NodeJS.ErrnoException).syscall).toBe("bind");
    expect((err as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
  });

  test("passes maxBufferSize to the stream", async () => {
    const [, port] = await startServer();
    const stream = keep(await new TCPClient().connect("127.0.0.1", port, { maxBufferSize: 4096 }));
    expect(stream.maxBufferSize).toBe(4096);
  });
});

describe("TCPClient timeouts", () => {
  test("a resolver that never answers times out with TimeoutError", async () => {
    class NeverResolver extends Resolver {
      override resolve(): Promise<ResolvedAddress[]> {
        return new Promise(() => {});
      }
    }
    const started = Date.now();
    const err = await within(new TCPClient(new NeverResolver()).connect("127.0.0.1", 12345, { timeout: 0.05 }), 2000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("a connection the listener never accepts times out with TimeoutError", async () => {
    const port = await nonAcceptingPort();
    const started = Date.now();
    const err = await within(new TCPClient().connect("127.0.0.1", port, { timeout: 0.2 }), 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  test("a TLS handshake the server never answers times out", async () => {
    // A plain server that reads and says nothing: the client's ClientHello goes unanswered.
    const [, port] = await startServer();
    const err = await within(new TCPClient().connect("127.0.0.1", port, { ssl: { ca: CERT }, timeout: 0.2 }), 3000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });

  test("a connection made in time is returned and the timer does not fire later", async () => {
    const [server, port] = await startServer();
    const stream = keep(await new TCPClient().connect("127.0.0.1", port, { timeout: 0.1 }));
    await sleep(150);
    expect(stream.closed()).toBe(false);
    await roundTrip(server, stream);
  });
});

describe("TCPClient with TLS", () => {
  test("returns an SSLIOStream with the handshake done", async () => {
    const [server, port] = await startServer(true);
    const stream = keep(await within(new TCPClient().connect("localhost", port, { ssl: { ca: CERT }, af: 4 }), 5000));
    expect(stream).toBeInstanceOf(SSLIOStream);
    expect((stream as SSLIOStream).socket.authorized).toBe(true);
    await roundTrip(server, stream);
  });

  test("verifies the certificate against an IP address host", async () => {
    const [server, port] = await startServer(true);
    const stream = keep(await within(new TCPClient().connect("127.0.0.1", port, { ssl: { ca: CERT } }), 5000));
    await roundTrip(server, stream);
  });

  test("rejects a certificate it does not trust with the TLS error", async () => {
    const [, port] = await startServer(true);
    const log = captureLog(genLog);
    try {
      const err = await within(new TCPClient().connect("localhost", port, { ssl: {}, af: 4 }), 5000).catch((e: unknown) => e);
      expect(err).not.toBeInstanceOf(StreamClosedError);
      expect((err as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    } finally {
      log.stop();
    }
  });

  test("rejectUnauthorized: false turns verification off, as Tornado's CERT_NONE", async () => {
    const [server, port] = await startServer(true);
    const stream = keep(await within(new TCPClient().connect("127.0.0.1", port, { ssl: { rejectUnauthorized: false } }), 5000));
    await roundTrip(server, stream);
  });
});
