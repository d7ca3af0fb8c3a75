/**
 * TCPServer over real 127.0.0.1 sockets — translated from Tornado's tcpserver_test.py,
 * plus a line-protocol server and client, TLS, Unix sockets, and an echo server under
 * 1,000 concurrent clients with every byte checked.
 */

import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { appLog } from "../../src/core/log.js";
import { IOStream, SSLIOStream, StreamClosedError } from "../../src/node/iostream.js";
import { bindSockets, bindUnixSocket, SSLOptionsError } from "../../src/node/netutil.js";
import { TCPClient } from "../../src/node/tcpclient.js";
import { TCPServer, TCPServerStateError, type PeerAddress } from "../../src/node/tcpserver.js";
import { CERT, CERT_FILE, KEY, KEY_FILE, captureLog, portOf, sleep, within } from "./tcp-helpers.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function track<T extends TCPServer | IOStream>(x: T): T {
  cleanups.push(() => (x instanceof TCPServer ? x.stop() : x.close()));
  return x;
}

async function connect(port: number): Promise<IOStream> {
  return track(await new IOStream(new net.Socket()).connect({ host: "127.0.0.1", port }));
}

/** A line protocol: each "COMMAND arg\n" gets one reply line. */
class LineServer extends TCPServer {
  override async handleStream(stream: IOStream): Promise<void> {
    try {
      for (;;) {
        const line = (await stream.readUntil("\n", { maxBytes: 1024 })).toString().trimEnd();
        const [cmd, ...rest] = line.split(" ");
        if (cmd === "ECHO") await stream.write(rest.join(" ") + "\n");
        else if (cmd === "UPPER") await stream.write(rest.join(" ").toUpperCase() + "\n");
        else if (cmd === "QUIT") {
          await stream.write("BYE\n");
          stream.close();
          return;
        } else await stream.write(`ERR unknown command ${JSON.stringify(cmd)}\n`);
      }
    } catch (e) {
      if (!(e instanceof StreamClosedError)) throw e;
    }
  }
}

class EchoServer extends TCPServer {
  override async handleStream(stream: IOStream): Promise<void> {
    try {
      for (;;) await stream.write(await stream.readUntil("\n"));
    } catch (e) {
      if (!(e instanceof StreamClosedError)) throw e;
    }
  }
}

describe("TCPServer", () => {
  test("a line protocol server answers a line protocol client", async () => {
    const server = track(new LineServer());
    const [listener] = await server.listen(0, "127.0.0.1");
    const client = await connect(portOf(listener!));
    const ask = async (line: string): Promise<string> => {
      await client.write(line + "\n");
      return (await within(client.readUntil("\n"), 2000)).toString();
    };
    expect(await ask("ECHO hello world")).toBe("hello world\n");
    expect(await ask("UPPER shout")).toBe("SHOUT\n");
    expect(await ask("NOPE")).toBe('ERR unknown command "NOPE"\n');
    expect(await ask("QUIT")).toBe("BYE\n");
    expect((await within(client.readUntilClose(), 2000)).length).toBe(0);
  });

  test("handleStream receives the peer's address", async () => {
    let seen: PeerAddress | undefined;
    const server = track(
      new (class extends TCPServer {
        override handleStream(stream: IOStream, address: PeerAddress): void {
          seen = address;
          stream.close();
        }
      })(),
    );
    const [listener] = await server.listen(0, "127.0.0.1");
    const client = await connect(portOf(listener!));
    const localPort = client.socket.localPort;
    await within(client.readUntilClose(), 2000);
    expect(seen).toEqual({ host: "127.0.0.1", port: localPort, family: "IPv4" });
  });

  test("an async handleStream's error is logged and the server keeps accepting", async () => {
    const server = track(
      new (class extends TCPServer {
        override async handleStream(stream: IOStream): Promise<void> {
          await stream.readBytes(5);
          stream.close();
          throw new Error("handler failed");
        }
      })(),
    );
    const [listener] = await server.listen(0, "127.0.0.1");
    const log = captureLog(appLog);
    try {
      for (let i = 0; i < 2; i++) {
        const client = await connect(portOf(listener!));
        await client.write("hello");
        await within(client.readUntilClose(), 2000);
      }
      await sleep(10);
      const errors = log.records.filter((r) => r.message.startsWith("Exception in callback"));
      expect(errors.length).toBe(2);
      expect((errors[0]!.error as Error).message).toBe("handler failed");
    } finally {
      log.stop();
    }
  });

  test("a synchronous handleStream's error is logged", async () => {
    const server = track(
      new (class extends TCPServer {
        override handleStream(stream: IOStream): void {
          stream.close();
          throw new Error("sync failure");
        }
      })(),
    );
    const [listener] = await server.listen(0, "127.0.0.1");
    const log = captureLog(appLog);
    try {
      const client = await connect(portOf(listener!));
      await within(client.readUntilClose(), 2000);
      expect(log.records.some((r) => r.message === "Error in connection callback" && (r.error as Error).message === "sync failure")).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("an async handleStream may write and close", async () => {
    const server = track(
      new (class extends TCPServer {
        override async handleStream(stream: IOStream): Promise<void> {
          stream.write("data");
          stream.close();
        }
      })(),
    );
    const [listener] = await server.listen(0, "127.0.0.1");
    const client = await connect(portOf(listener!));
    expect((await within(client.readUntilClose(), 2000)).toString()).toBe("data");
  });

  test("a server that does not override handleStream closes connections and logs why", async () => {
    const server = track(new TCPServer());
    const [listener] = await server.listen(0, "127.0.0.1");
    const log = captureLog(appLog);
    try {
      const client = await connect(portOf(listener!));
      await within(client.readUntilClose(), 2000);
      expect(log.records.some((r) => /must override handleStream/.test(String((r.error as Error).message)))).toBe(true);
    } finally {
      log.stop();
    }
  });

  test("addSockets serves sockets from bindSockets, including connections made before it", async () => {
    const servers = await bindSockets(0, "127.0.0.1");
    const port = portOf(servers[0]!);
    const early = await connect(port);
    await early.write("early\n");
    const server = track(new EchoServer());
    server.addSockets(servers);
    expect((await within(early.readUntil("\n"), 2000)).toString()).toBe("early\n");
  });

  test("stop stops accepting, and calling it twice is harmless", async () => {
    const server = new EchoServer();
    const [listener] = await server.listen(0, "127.0.0.1");
    const port = portOf(listener!);
    server.stop();
    server.stop();
    await sleep(10);
    const stream = new IOStream(new net.Socket());
    const err = await stream.connect({ host: "127.0.0.1", port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamClosedError);
  });

  test("stop called from handleStream while other connections arrive does not break anything", async () => {
    const server = new (class extends TCPServer {
      override async handleStream(stream: IOStream): Promise<void> {
        this.stop();
        await stream.readUntilClose().catch(() => undefined);
      }
    })();
    cleanups.push(() => server.stop());
    const [listener] = await server.listen(0, "127.0.0.1");
    const port = portOf(listener!);
    const results = await within(
      Promise.all(
        Array.from({ length: 40 }, async () => {
          const s = new IOStream(new net.Socket());
          try {
            await s.connect({ host: "127.0.0.1", port });
            return "connected";
          } catch {
            return "refused";
          } finally {
            s.close();
          }
        }),
      ),
      10_000,
    );
    expect(results.length).toBe(40);
    expect(results).toContain("connected");
    expect(listener!.listening).toBe(false);
  });

  test("bind records addresses and start(1) listens on them", async () => {
    const server = track(new EchoServer());
    const [probe] = await bindSockets(0, "127.0.0.1");
    const port = portOf(probe!);
    await new Promise((r) => probe!.close(r));
    await server.bind(port, "127.0.0.1");
    await server.start(1);
    const client = await connect(port);
    await client.write("after start\n");
    expect((await within(client.readUntil("\n"), 2000)).toString()).toBe("after start\n");
    await expect(server.start(1)).rejects.toThrow(TCPServerStateError);
  });

  test("listen rejects when the port is taken", async () => {
    const first = track(new EchoServer());
    const [listener] = await first.listen(0, "127.0.0.1");
    const second = track(new EchoServer());
    await expect(second.listen(portOf(listener!), "127.0.0.1")).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  test("serves a Unix socket from bindUnixSocket", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cyclone-unix-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "echo.sock");
    const server = track(new EchoServer());
    server.addSocket(await bindUnixSocket(file));
    const client = track(await new IOStream(new net.Socket()).connect({ path: file }));
    await client.write("over unix\n");
    expect((await within(client.readUntil("\n"), 2000)).toString()).toBe("over unix\n");
  });
});

describe("TCPServer with TLS", () => {
  test("serves TLS from Tornado-style certfile and keyfile", async () => {
    const server = track(new EchoServer({ ssl: { certfile: CERT_FILE, keyfile: KEY_FILE } }));
    const [listener] = await server.listen(0, "127.0.0.1");
    const client = new TCPClient();
    const stream = track(await within(client.connect("localhost", portOf(listener!), { ssl: { ca: CERT }, af: 4 }), 5000));
    expect(stream).toBeInstanceOf(SSLIOStream);
    await stream.write("secret\n");
    expect((await within(stream.readUntil("\n"), 2000)).toString()).toBe("secret\n");
  });

  test("hands over an SSLIOStream whose handshake can be awaited", async () => {
    let handshake: Promise<unknown> | undefined;
    const server = track(
      new (class extends TCPServer {
        override handleStream(stream: IOStream): void {
          handshake = (stream as SSLIOStream).waitForHandshake().then((s) => (s as SSLIOStream).socket.alpnProtocol);
        }
      })({ ssl: { cert: CERT, key: KEY, ALPNProtocols: ["cyclone/1"] } }),
    );
    const [listener] = await server.listen(0, "127.0.0.1");
    const stream = track(
      await within(new TCPClient().connect("127.0.0.1", portOf(listener!), { ssl: { ca: CERT, ALPNProtocols: ["cyclone/1"] } }), 5000),
    );
    expect((stream as SSLIOStream).socket.alpnProtocol).toBe("cyclone/1");
    expect(await within(handshake!, 2000)).toBe("cyclone/1");
  });

  test("a missing certificate file is reported when the server is created", () => {
    expect(() => new TCPServer({ ssl: { certfile: "/nonexistent/cert.pem" } })).toThrow(SSLOptionsError);
    expect(() => new TCPServer({ ssl: { certfile: "/nonexistent/cert.pem" } })).toThrow('certfile "/nonexistent/cert.pem" does not exist');
    expect(() => new TCPServer({ ssl: { certfile: CERT_FILE, keyfile: "/nonexistent/key.pem" } })).toThrow('keyfile "/nonexistent/key.pem" does not exist');
  });

  test("TLS options without a certificate are refused", () => {
    expect(() => new TCPServer({ ssl: { requestCert: false } })).toThrow(SSLOptionsError);
  });
});

describe("an echo server under load", () => {
  test("1,000 concurrent clients each get every byte back", async () => {
    const server = track(new EchoServer());
    const [listener] = await server.listen(0, "127.0.0.1", { backlog: 1024 });
    const port = portOf(listener!);
    const CLIENTS = 1000;
    const LINES = 5;
    const client = new TCPClient();
    const runClient = async (id: number): Promise<number> => {
      const stream = await client.connect("127.0.0.1", port, { timeout: 20 });
      try {
        let checked = 0;
        for (let i = 0; i < LINES; i++) {
          // Each line is distinct per client and round, so a crossed wire cannot pass.
          const line = `${id}:${i}:${"x".repeat((id * 7 + i * 13) % 200)}\n`;
          await stream.write(line);
          const back = await stream.readUntil("\n");
          expect(back.toString()).toBe(line);
          checked += back.length;
        }
        return checked;
      } finally {
        stream.close();
      }
    };
    const totals = await within(Promise.all(Array.from({ length: CLIENTS }, (_, id) => runClient(id))), 18_000, "1,000 echo clients");
    let expected = 0;
    for (let id = 0; id < CLIENTS; id++) {
      for (let i = 0; i < LINES; i++) expected += `${id}:${i}:${"x".repeat((id * 7 + i * 13) % 200)}\n`.length;
    }
    expect(totals.reduce((a, b) => a + b, 0)).toBe(expected);
  }, 20_000);
});
