/**
 * Miscellaneous network utilities — Tornado's `tornado.netutil` on `node:net`, `node:dns`
 * and `node:tls`.
 *
 * A listening socket in Node is a `net.Server`, so {@link bindSockets} and
 * {@link bindUnixSocket} return listening servers, and {@link addAcceptHandler} hands each
 * accepted `net.Socket` to a callback. Connections that arrive between binding and adding a
 * handler wait in a queue (as they would wait in the kernel's backlog for Tornado), so
 * nothing is lost in between. Name resolution goes through a {@link Resolver}; TLS options
 * in Tornado's style (`certfile`/`keyfile` paths) or Node's (`cert`/`key` contents) become
 * Node TLS objects through {@link sslOptionsToContext} and {@link sslWrapSocket}.
 * @module
 */

import dns from "node:dns";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import tls from "node:tls";
import { genLog } from "../core/log.js";

/** Default backlog for `listen()`, as Tornado's `_DEFAULT_BACKLOG`. */
export const DEFAULT_BACKLOG = 128;

/** An address family: `4` (IPv4), `6` (IPv6) or `0` (either, Tornado's `AF_UNSPEC`). */
export type AddressFamily = 0 | 4 | 6;

/** Options of {@link bindSockets}. */
export interface BindOptions {
  /** Restrict to IPv4 (`4`) or IPv6 (`6`); `0` (the default) binds every address found. */
  family?: AddressFamily;
  /** Length of the queue of connections not yet accepted (default 128). */
  backlog?: number;
  /** Set `SO_REUSEPORT` so several processes can bind the same port (Node 22.12+). */
  reusePort?: boolean;
}

/**
 * Raised for a setting the running platform cannot honour (Tornado raises `ValueError`).
 *
 * @example
 * await bindSockets(8888, "127.0.0.1", { reusePort: true }); // on Node 20: UnsupportedPlatformError
 */
export class UnsupportedPlatformError extends Error {
  override name = "UnsupportedPlatformError";
}

/**
 * Raised by {@link bindUnixSocket} when the path exists and is not a socket.
 *
 * @example
 * await bindUnixSocket("/etc/passwd"); // NotASocketError: File /etc/passwd exists and is not a socket
 */
export class NotASocketError extends Error {
  override name = "NotASocketError";
}

/**
 * Raised for TLS options that cannot work (a missing certificate file, no certificate).
 *
 * @example
 * new TCPServer({ ssl: { certfile: "missing.pem" } }); // SSLOptionsError: certfile "missing.pem" does not exist
 */
export class SSLOptionsError extends Error {
  override name = "SSLOptionsError";
}

// SO_REUSEPORT reached net.Server.listen in Node 22.12 (and 23.1); older versions ignore it
// silently, which would let two processes believe they share a port when they do not.
function reusePortSupported(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

interface Candidate {
  host: string;
  family: 4 | 6;
}

async function bindCandidates(address: string | undefined, family: AddressFamily): Promise<Candidate[]> {
  if (address === undefined) {
    // Tornado's getaddrinfo(None, AI_PASSIVE): every interface, one socket per family.
    const all: Candidate[] = [
      { host: "0.0.0.0", family: 4 },
      { host: "::", family: 6 },
    ];
    return all.filter((c) => family === 0 || c.family === family);
  }
  const found = await dns.promises.lookup(address, { all: true, family });
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const r of found) {
    const key = `${r.family}/${r.address}`;
    if (seen.has(key) || (r.family !== 4 && r.family !== 6)) continue;
    seen.add(key);
    out.push({ host: r.address, family: r.family });
  }
  // IPv4 first, as Tornado sorts getaddrinfo's answers by family.
  return out.sort((a, b) => a.family - b.family);
}

function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options);
  });
}

/**
 * Creates listening servers bound to `port` on every address `address` resolves to.
 *
 * Several servers come back when the name maps to several addresses (typically IPv4 and
 * IPv6). `address` may be an IP address or a host name; `undefined` or `""` means every
 * interface. With port `0` every server gets the same, freshly chosen port. IPv6 servers
 * accept IPv6 only, so IPv4 and IPv6 can be bound separately, as Tornado does.
 *
 * @example
 * const servers = await bindSockets(0, "127.0.0.1");
 * const port = (servers[0]!.address() as net.AddressInfo).port;
 * server.addSockets(servers);
 */
export async function bindSockets(port: number, address?: string, options: BindOptions = {}): Promise<net.Server[]> {
  const { family = 0, backlog = DEFAULT_BACKLOG, reusePort = false } = options;
  if (reusePort && !reusePortSupported()) {
    throw new UnsupportedPlatformError(
      `the platform doesn't support SO_REUSEPORT (Node ${process.versions.node}; it needs 22.12 or later)`,
    );
  }
  const servers: net.Server[] = [];
  let boundPort: number | undefined;
  try {
    for (const c of await bindCandidates(address === "" ? undefined : address, family)) {
      const server = net.createServer();
      installRouter(server, backlog);
      const listenOptions: net.ListenOptions & { reusePort?: boolean } = {
        host: c.host,
        port: port === 0 && boundPort !== undefined ? boundPort : port,
        backlog,
        ipv6Only: c.family === 6,
      };
      if (reusePort) listenOptions.reusePort = true;
      try {
        await listenOn(server, listenOptions);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // Containers often resolve localhost to ::1 without letting anyone bind it, and
        // hosts without IPv6 refuse the family outright: skip those, as Tornado does.
        if ((code === "EADDRNOTAVAIL" && address === "localhost" && c.host === "::1") || code === "EAFNOSUPPORT") {
          continue;
        }
        throw err;
      }
      boundPort = (server.address() as net.AddressInfo).port;
      servers.push(server);
    }
  } catch (err) {
    for (const s of servers) s.close();
    throw err;
  }
  return servers;
}

/**
 * Creates a listening Unix domain socket at `file` (mode `0o600` by default).
 *
 * A stale socket file at that path is removed first; any other kind of file there raises
 * {@link NotASocketError}. A name starting with `"\0"` is in Linux's abstract namespace and
 * touches no file.
 *
 * @example
 * const server = await bindUnixSocket("/tmp/app.sock");
 * tcpServer.addSocket(server);
 */
export async function bindUnixSocket(file: string, mode = 0o600, backlog = DEFAULT_BACKLOG): Promise<net.Server> {
  const abstract = file.startsWith("\0");
  if (!abstract) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    if (st !== undefined) {
      if (!st.isSocket()) throw new NotASocketError(`File ${file} exists and is not a socket`);
      fs.unlinkSync(file);
    }
  }
  const server = net.createServer();
  installRouter(server, backlog);
  await listenOn(server, { path: file, backlog });
  if (!abstract) fs.chmodSync(file, mode);
  return server;
}

interface AcceptState {
  handler: ((connection: net.Socket) => void) | undefined;
  waiting: net.Socket[];
  backlog: number;
}

const acceptStates = new WeakMap<net.Server, AcceptState>();

const quietError = (): void => {};

// One 'connection' listener per server routes sockets to the current handler, or parks them
// until a handler is added, so a server from bindSockets never drops or leaks a connection.
function installRouter(server: net.Server, backlog: number): AcceptState {
  let state = acceptStates.get(server);
  if (state) return state;
  const s: AcceptState = { handler: undefined, waiting: [], backlog };
  acceptStates.set(server, s);
  server.on("connection", (connection: net.Socket) => {
    if (s.handler) {
      s.handler(connection);
    } else if (server.listening && s.waiting.length < s.backlog) {
      // A parked socket has nobody listening for its errors yet; a reset must not crash us.
      connection.on("error", quietError);
      s.waiting.push(connection);
    } else {
      connection.destroy();
    }
  });
  server.on("error", (err: Error) => {
    // A failed listen() is reported to whoever called it; this is for accept() failures
    // (EMFILE and the like) on a running server, which Node would otherwise throw.
    if (server.listening) genLog.error("Error accepting a connection: %s", err.message);
  });
  state = s;
  return state;
}

/**
 * Calls `callback(connection)` for every connection accepted by `server`; returns a function
 * that stops doing so. Tornado's `add_accept_handler`.
 *
 * Connections that arrived before the handler was added are handed over first.
 *
 * @example
 * const remove = addAcceptHandler(server, (conn) => new IOStream(conn));
 * // later
 * remove();
 */
export function addAcceptHandler(server: net.Server, callback: (connection: net.Socket) => void): () => void {
  const state = installRouter(server, DEFAULT_BACKLOG);
  state.handler = callback;
  const waiting = state.waiting;
  state.waiting = [];
  for (const conn of waiting) {
    conn.off("error", quietError);
    if (conn.destroyed) continue;
    callback(conn);
  }
  return () => {
    if (state.handler === callback) state.handler = undefined;
  };
}

/**
 * Whether `ip` is a well-formed IPv4 or IPv6 address, as Tornado's `is_valid_ip`.
 *
 * Like the `getaddrinfo(AI_NUMERICHOST)` call Tornado relies on, IPv4 accepts the classic
 * `inet_aton` forms (`127.1`, `0x7f.0.0.1`, `2130706433`), and IPv6 may carry a zone that is
 * a number or a local interface name (`fe80::1%lo`).
 *
 * @example
 * isValidIp("127.0.0.1"); // true
 * isValidIp("::1");       // true
 * isValidIp("localhost"); // false
 */
export function isValidIp(ip: string): boolean {
  if (!ip || ip.includes("\0")) return false;
  if (ip.includes(":")) return isValidIpv6(ip);
  return parseInetAton(ip) !== undefined;
}

// getaddrinfo takes a numeric zone on any IPv6 address, and an interface name only on a
// link-local one (fe80::/10, or multicast with link scope, ffx2::/16).
function isValidIpv6(ip: string): boolean {
  const pct = ip.indexOf("%");
  if (pct === -1) return net.isIPv6(ip);
  const addr = ip.slice(0, pct);
  const zone = ip.slice(pct + 1);
  if (!net.isIPv6(addr) || zone === "") return false;
  if (/^[0-9]+$/.test(zone)) return Number(zone) < 2 ** 32;
  const first = parseInt(addr.split(":")[0] || "0", 16);
  const linkLocal = (first & 0xffc0) === 0xfe80 || (first & 0xff0f) === 0xff02;
  return linkLocal && Object.hasOwn(os.networkInterfaces(), zone);
}

// inet_aton: one to four parts in decimal, octal (leading 0) or hex (0x); the last part
// fills the remaining bytes. Returns the 32-bit value, or undefined when malformed.
function parseInetAton(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) v = parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return undefined;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return undefined;
  if (last >= 2 ** (8 * (4 - values.length))) return undefined;
  return values.reduce((acc, v, i) => acc + v * 2 ** (8 * (3 - i)), 0) + last;
}

/** One resolved address: where to connect, and in which family. */
export interface ResolvedAddress {
  family: 4 | 6;
  host: string;
  port: number;
}

/**
 * Asynchronous name resolution, as Tornado's `Resolver` interface.
 *
 * `resolve` returns the addresses for a host name or literal IP, in the order to try them;
 * it rejects with the underlying lookup error (a Node system error such as `ENOTFOUND`).
 *
 * @example
 * class StaticResolver extends Resolver {
 *   async resolve(host: string, port: number): Promise<ResolvedAddress[]> {
 *     return [{ family: 4, host: "127.0.0.1", port }];
 *   }
 * }
 */
export abstract class Resolver {
  /** Resolves `host` to a list of addresses, optionally restricted to one family. */
  abstract resolve(host: string, port: number, family?: AddressFamily): Promise<ResolvedAddress[]>;

  /**
   * Releases anything the resolver holds.
   *
   * @example
   * resolver.close();
   */
  close(): void {}
}

/**
 * The default resolver: the system's `getaddrinfo` through `dns.lookup`, run on libuv's
 * thread pool so the loop never blocks (Tornado's `DefaultLoopResolver`).
 *
 * @example
 * const addrs = await new DefaultResolver().resolve("localhost", 8888);
 * // [{ family: 4, host: "127.0.0.1", port: 8888 }, ...]
 */
export class DefaultResolver extends Resolver {
  override async resolve(host: string, port: number, family: AddressFamily = 0): Promise<ResolvedAddress[]> {
    const found = await dns.promises.lookup(host, { all: true, family, verbatim: true });
    return found
      .filter((r) => r.family === 4 || r.family === 6)
      .map((r) => ({ family: r.family as 4 | 6, host: r.address, port }));
  }
}

/** A key of an {@link OverrideResolver} mapping: a host, a host and port, or those and a family. */
export type OverrideKey = string | readonly [host: string, port: number] | readonly [host: string, port: number, family: AddressFamily];
/** A target of an {@link OverrideResolver} mapping: a host, or a host and port. */
export type OverrideTarget = string | readonly [host: string, port: number];

function keyString(key: OverrideKey): string {
  return typeof key === "string" ? JSON.stringify([key]) : JSON.stringify(key);
}

/**
 * Wraps a resolver with a mapping of overrides, for local DNS changes (tests, staging)
 * without touching system settings. Tornado's `OverrideResolver`.
 *
 * The mapping is checked most specific first: `[host, port, family]`, then `[host, port]`,
 * then `host`. A plain object maps host names only.
 *
 * @example
 * const resolver = new OverrideResolver(new DefaultResolver(), [
 *   ["example.com", "127.0.1.1"],
 *   [["login.example.com", 443], ["localhost", 1443]],
 *   [["login.example.com", 443, 6], ["::1", 1443]],
 * ]);
 */
export class OverrideResolver extends Resolver {
  /** The resolver that does the actual lookups. */
  readonly resolver: Resolver;
  #mapping = new Map<string, OverrideTarget>();

  constructor(resolver: Resolver, mapping: Record<string, string> | Iterable<readonly [OverrideKey, OverrideTarget]>) {
    super();
    this.resolver = resolver;
    const entries = Symbol.iterator in mapping ? mapping : Object.entries(mapping);
    for (const [k, v] of entries as Iterable<readonly [OverrideKey, OverrideTarget]>) this.#mapping.set(keyString(k), v);
  }

  override resolve(host: string, port: number, family: AddressFamily = 0): Promise<ResolvedAddress[]> {
    const target =
      this.#mapping.get(keyString([host, port, family])) ??
      this.#mapping.get(keyString([host, port])) ??
      this.#mapping.get(keyString(host));
    if (typeof target === "string") host = target;
    else if (target !== undefined) [host, port] = target;
    return this.resolver.resolve(host, port, family);
  }

  override close(): void {
    this.resolver.close();
  }
}

/** Tornado-style file options accepted next to Node's own TLS options. */
export interface SSLFileOptions {
  /** Path of a PEM certificate chain (Tornado's `certfile`); may also hold the key. */
  certfile?: string;
  /** Path of the PEM private key (Tornado's `keyfile`). */
  keyfile?: string;
  /** Path of PEM CA certificates to trust (Tornado's `ca_certs`). */
  caCerts?: string;
}

/** Server TLS options: Node's `tls.TlsOptions` (`cert`, `key`, `requestCert`, ...) or file paths. */
export type ServerSSLOptions = tls.TlsOptions & SSLFileOptions;
/** Client TLS options: Node's `tls.ConnectionOptions` (`ca`, `rejectUnauthorized`, ...) or file paths. */
export type ClientSSLOptions = Omit<tls.ConnectionOptions, "socket" | "host" | "port" | "path"> & SSLFileOptions;

function readPem(path: string, what: string): Buffer {
  if (!fs.existsSync(path)) throw new SSLOptionsError(`${what} "${path}" does not exist`);
  return fs.readFileSync(path);
}

/**
 * Replaces Tornado-style file options with Node's in-memory ones (`certfile` → `cert`,
 * `keyfile` → `key`, `caCerts` → `ca`), checking the files exist as Tornado does.
 *
 * @example
 * loadSSLOptions({ certfile: "server.crt", keyfile: "server.key" }); // { cert: <Buffer>, key: <Buffer> }
 */
export function loadSSLOptions<T extends SSLFileOptions>(options: T): Omit<T, keyof SSLFileOptions> {
  const { certfile, keyfile, caCerts, ...rest } = options;
  const out: Record<string, unknown> = rest;
  if (certfile !== undefined) {
    const cert = readPem(certfile, "certfile");
    out["cert"] = cert;
    // Tornado lets certfile hold the key as well.
    if (keyfile === undefined && out["key"] === undefined) out["key"] = cert;
  }
  if (keyfile !== undefined) out["key"] = readPem(keyfile, "keyfile");
  if (caCerts !== undefined) out["ca"] = readPem(caCerts, "caCerts");
  return out as Omit<T, keyof SSLFileOptions>;
}

/**
 * Builds a `tls.SecureContext` from TLS options, as Tornado's `ssl_options_to_context`.
 * A server context must have a certificate (or `pfx`, a `secureContext` or an
 * `SNICallback`); that is checked here so a mistake shows at start-up, not at the first
 * connection.
 *
 * @example
 * const ctx = sslOptionsToContext({ certfile: "server.crt", keyfile: "server.key" }, true);
 */
export function sslOptionsToContext(options: ServerSSLOptions | ClientSSLOptions, serverSide: boolean): tls.SecureContext {
  if (options.secureContext) return options.secureContext;
  const loaded = loadSSLOptions(options) as tls.SecureContextOptions & { SNICallback?: unknown };
  if (serverSide && loaded.cert === undefined && loaded.pfx === undefined && loaded.SNICallback === undefined) {
    throw new SSLOptionsError('missing key "certfile" in ssl options (or cert, pfx, secureContext, SNICallback)');
  }
  return tls.createSecureContext(loaded);
}

/** Options of {@link sslWrapSocket}. */
export interface WrapOptions {
  /** Wrap as the server end (default false). */
  serverSide?: boolean;
  /** Name to send by SNI and to check the certificate against (client end). */
  serverHostname?: string;
}

/**
 * Starts TLS on a connected socket and returns the `tls.TLSSocket` carrying it. The
 * handshake runs in the background; the socket emits `secure` when it is done. Tornado's
 * `ssl_wrap_socket`.
 *
 * On the client end, certificates are verified by default (as Tornado): pass
 * `rejectUnauthorized: false` to turn that off, or `ca` to trust a private CA. An IP
 * address as `serverHostname` is checked against the certificate but not sent by SNI,
 * which RFC 6066 forbids.
 *
 * @example
 * const secure = sslWrapSocket(socket, { ca: caPem }, { serverHostname: "localhost" });
 */
export function sslWrapSocket(
  socket: net.Socket,
  options: ServerSSLOptions | ClientSSLOptions,
  { serverSide = false, serverHostname }: WrapOptions = {},
): tls.TLSSocket {
  if (serverSide) {
    const o = options as ServerSSLOptions;
    return new tls.TLSSocket(socket, {
      ...(loadSSLOptions(o) as tls.TLSSocketOptions),
      isServer: true,
      secureContext: sslOptionsToContext(o, true),
    });
  }
  const o = loadSSLOptions(options as ClientSSLOptions) as tls.ConnectionOptions;
  const connectOptions: tls.ConnectionOptions = { ...o, socket };
  if (serverHostname !== undefined) {
    connectOptions.host = serverHostname;
    if (net.isIP(serverHostname) === 0) connectOptions.servername ??= serverHostname;
  }
  return tls.connect(connectOptions);
}
