/**
 * netutil over real 127.0.0.1 sockets and a temporary directory — translated from Tornado's
 * netutil_test.py (resolvers, is_valid_ip, port allocation, reuse_port), plus Unix sockets,
 * accept handlers and the TLS option helpers.
 */

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterEach, describe, expect, test } from "vitest";
import {
  addAcceptHandler,
  bindSockets,
  bindUnixSocket,
  DefaultResolver,
  isValidIp,
  loadSSLOptions,
  NotASocketError,
  OverrideResolver,
  Resolver,
  sslOptionsToContext,
  SSLOptionsError,
  UnsupportedPlatformError,
  type AddressFamily,
  type ResolvedAddress,
} from "../../src/node/netutil.js";
import { CERT, CERT_FILE, KEY, KEY_FILE, portOf, within } from "./tcp-helpers.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function closeAll(servers: net.Server[]): void {
  cleanups.push(() => {
    for (const s of servers) s.close();
  });
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cyclone-netutil-"));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function connectTo(options: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(options, () => resolve(s));
    s.once("error", reject);
    cleanups.push(() => s.destroy());
  });
}

describe("isValidIp", () => {
  // Expected values produced by Tornado 6.2's is_valid_ip on Linux.
  test.each([
    ["127.0.0.1", true],
    ["4.4.4.4", true],
    ["::1", true],
    ["2620:0:1cfe:face:b00c::3", true],
    ["www.google.com", false],
    ["localhost", false],
    ["4.4.4.4<", false],
    [" 127.0.0.1", false],
    ["1.2.3.4 ", false],
    ["", false],
    [" ", false],
    ["\n", false],
    ["\x00", false],
    ["a".repeat(100), false],
  ])("Tornado's cases: %j is %s", (ip, valid) => {
    expect(isValidIp(ip)).toBe(valid);
  });

  test.each([
    ["1", true],
    ["127.1", true],
    ["0x7f.1", true],
    ["010.0.0.1", true],
    ["0377.0.0.1", true],
    ["0378.0.0.1", false],
    ["09.1", false],
    ["1.2.3.256", false],
    ["4294967295", true],
    ["4294967296", false],
    ["1.16777215", true],
    ["1.16777216", false],
    ["1.2.65535", true],
    ["1.2.65536", false],
    ["0x", false],
    ["1.", false],
    [".1", false],
    ["1..2", false],
    ["1.2.3.4.5", false],
  ])("IPv4 in inet_aton's forms: %j is %s", (ip, valid) => {
    expect(isValidIp(ip)).toBe(valid);
  });

  test.each([
    ["::", true],
    ["::ffff:1.2.3.4", true],
    ["1:2:3:4:5:6:7:8", true],
    ["1:2:3:4:5:6:7:8:9", false],
    ["[::1]", false],
    ["fe80::1%lo", true],
    ["ff02::1%lo", true],
    ["ff05::1%lo", false],
    ["::1%lo", false],
    ["fe80::1%nosuchif9", false],
    ["::1%5", true],
    ["fe80::1%4294967295", true],
    ["fe80::1%4294967296", false],
    ["fe80::1%", false],
    ["1.2.3.4%lo", false],
  ])("IPv6 with and without zones: %j is %s", (ip, valid) => {
    expect(isValidIp(ip)).toBe(valid);
  });
});

describe("bindSockets", () => {
  test("binds a listening server on 127.0.0.1 with a fresh port", async () => {
    const servers = await bindSockets(0, "127.0.0.1");
    closeAll(servers);
    expect(servers.length).toBe(1);
    expect(servers[0]!.listening).toBe(true);
    expect(servers[0]!.address()).toMatchObject({ address: "127.0.0.1", family: "IPv4" });
    expect(portOf(servers[0]!)).toBeGreaterThan(0);
  });

  test("every server bound for a name shares one port", async () => {
    const servers = await bindSockets(0, "localhost");
    closeAll(servers);
    expect(servers.length).toBeGreaterThanOrEqual(1);
    const port = portOf(servers[0]!);
    expect(servers.every((s) => portOf(s) === port)).toBe(true);
  });

  test("family 4 keeps to IPv4 addresses", async () => {
    const servers = await bindSockets(0, "localhost", { family: 4 });
    closeAll(servers);
    expect(servers.map((s) => (s.address() as net.AddressInfo).family)).toEqual(["IPv4"]);
  });

  test("a port already bound is refused with EADDRINUSE", async () => {
    const first = await bindSockets(0, "127.0.0.1");
    closeAll(first);
    await expect(bindSockets(portOf(first[0]!), "127.0.0.1")).rejects.toMatchObject({ code: "EADDRINUSE" });
  });

  test("reusePort shares a port where Node supports it, and is refused clearly where it does not", async () => {
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
    if (!supported) {
      await expect(bindSockets(0, "127.0.0.1", { reusePort: true })).rejects.toBeInstanceOf(UnsupportedPlatformError);
      await expect(bindSockets(0, "127.0.0.1", { reusePort: true })).rejects.toThrow("the platform doesn't support SO_REUSEPORT");
      return;
    }
    const first = await bindSockets(0, "127.0.0.1", { reusePort: true });
    closeAll(first);
    const second = await bindSockets(portOf(first[0]!), "127.0.0.1", { reusePort: true });
    closeAll(second);
    expect(portOf(second[0]!)).toBe(portOf(first[0]!));
  });
});

describe("bindUnixSocket", () => {
  test("listens on a socket file with mode 0600 by default", async () => {
    const file = path.join(tempDir(), "a.sock");
    const server = await bindUnixSocket(file);
    closeAll([server]);
    const st = fs.statSync(file);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    const accepted = new Promise<net.Socket>((resolve) => addAcceptHandler(server, resolve));
    await connectTo({ path: file });
    const conn = await within(accepted, 2000);
    conn.destroy();
  });

  test("takes the requested mode", async () => {
    const file = path.join(tempDir(), "b.sock");
    closeAll([await bindUnixSocket(file, 0o660)]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o660);
  });

  test("replaces a stale socket file", async () => {
    const file = path.join(tempDir(), "c.sock");
    // A process killed while listening leaves its socket file behind.
    const child = spawnSync(
      process.execPath,
      ["-e", `require("node:net").createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, "SIGKILL"))`],
      { timeout: 10_000 },
    );
    expect(child.signal).toBe("SIGKILL");
    expect(fs.statSync(file).isSocket()).toBe(true);
    const server = await bindUnixSocket(file);
    closeAll([server]);
    await connectTo({ path: file });
  });

  test("refuses a path that is not a socket", async () => {
    const file = path.join(tempDir(), "plain.txt");
    fs.writeFileSync(file, "x");
    await expect(bindUnixSocket(file)).rejects.toBeInstanceOf(NotASocketError);
    await expect(bindUnixSocket(file)).rejects.toThrow(`File ${file} exists and is not a socket`);
    expect(fs.readFileSync(file, "utf8")).toBe("x");
  });
});

describe("addAcceptHandler", () => {
  test("hands over connections that arrived before it, then new ones, until removed", async () => {
    const [server] = await bindSockets(0, "127.0.0.1");
    closeAll([server!]);
    const port = portOf(server!);
    const early = await connectTo({ port, host: "127.0.0.1" });
    const got: net.Socket[] = [];
    let notify: () => void = () => {};
    const remove = addAcceptHandler(server!, (conn) => {
      got.push(conn);
      cleanups.push(() => conn.destroy());
      notify();
    });
    await within(
      new Promise<void>((resolve) => {
        notify = () => got.length >= 1 && resolve();
        notify();
      }),
      2000,
    );
    expect(got[0]!.remotePort).toBe(early.localPort);
    await connectTo({ port, host: "127.0.0.1" });
    await within(
      new Promise<void>((resolve) => {
        notify = () => got.length >= 2 && resolve();
        notify();
      }),
      2000,
    );
    remove();
    await connectTo({ port, host: "127.0.0.1" });
    await new Promise((r) => setTimeout(r, 50));
    expect(got.length).toBe(2);
  });
});

describe("resolvers", () => {
  test("DefaultResolver resolves localhost to a loopback address with the port", async () => {
    const addrs = await new DefaultResolver().resolve("localhost", 80);
    expect(addrs.length).toBeGreaterThan(0);
    expect(addrs.some((a) => (a.family === 4 && a.host === "127.0.0.1") || (a.family === 6 && a.host === "::1"))).toBe(true);
    expect(addrs.every((a) => a.port === 80)).toBe(true);
  });

  test("DefaultResolver returns a literal address as it is, in its family", async () => {
    expect(await new DefaultResolver().resolve("127.0.0.1", 8080)).toEqual([{ family: 4, host: "127.0.0.1", port: 8080 }]);
    expect(await new DefaultResolver().resolve("::1", 8080, 6)).toEqual([{ family: 6, host: "::1", port: 8080 }]);
  });

  /** Records what it is asked and answers with that. */
  class EchoResolver extends Resolver {
    closed = false;
    override async resolve(host: string, port: number, family: AddressFamily = 0): Promise<ResolvedAddress[]> {
      return [{ family: family === 6 ? 6 : 4, host, port }];
    }
    override close(): void {
      this.closed = true;
    }
  }

  test("OverrideResolver maps host, host and port, then host, port and family", async () => {
    const inner = new EchoResolver();
    const resolver = new OverrideResolver(inner, [
      ["google.com", "127.0.0.1"],
      [["fake.com", 80], ["localhost", 8080]],
      [["fake.com", 80, 6], ["::1", 8081]],
      [["fake.com", 80, 4], ["127.0.0.2", 8082]],
    ]);
    expect(await resolver.resolve("google.com", 80)).toEqual([{ family: 4, host: "127.0.0.1", port: 80 }]);
    expect(await resolver.resolve("fake.com", 80)).toEqual([{ family: 4, host: "localhost", port: 8080 }]);
    expect(await resolver.resolve("fake.com", 80, 6)).toEqual([{ family: 6, host: "::1", port: 8081 }]);
    expect(await resolver.resolve("fake.com", 80, 4)).toEqual([{ family: 4, host: "127.0.0.2", port: 8082 }]);
    expect(await resolver.resolve("fake.com", 443)).toEqual([{ family: 4, host: "fake.com", port: 443 }]);
    resolver.close();
    expect(inner.closed).toBe(true);
  });

  test("OverrideResolver accepts a plain object of host names", async () => {
    const resolver = new OverrideResolver(new EchoResolver(), { "api.test": "127.0.0.1" });
    expect(await resolver.resolve("api.test", 443)).toEqual([{ family: 4, host: "127.0.0.1", port: 443 }]);
  });
});

describe("TLS options", () => {
  test("loadSSLOptions reads Tornado-style files into Node's options", () => {
    const loaded = loadSSLOptions({ certfile: CERT_FILE, keyfile: KEY_FILE, caCerts: CERT_FILE, rejectUnauthorized: false });
    expect(loaded).toEqual({ cert: CERT, key: KEY, ca: CERT, rejectUnauthorized: false });
  });

  test("a certfile holding no separate keyfile is used as the key too, as Tornado", () => {
    expect(loadSSLOptions({ certfile: CERT_FILE })).toEqual({ cert: CERT, key: CERT });
  });

  test("sslOptionsToContext builds a context and reports missing files or certificates", () => {
    expect(sslOptionsToContext({ cert: CERT, key: KEY }, true)).toBeInstanceOf(Object);
    const ctx = tls.createSecureContext({ cert: CERT, key: KEY });
    expect(sslOptionsToContext({ secureContext: ctx }, true)).toBe(ctx);
    expect(() => sslOptionsToContext({ certfile: "/nonexistent.pem" }, true)).toThrow(SSLOptionsError);
    expect(() => sslOptionsToContext({}, true)).toThrow('missing key "certfile"');
    expect(sslOptionsToContext({}, false)).toBeInstanceOf(Object);
  });
});
