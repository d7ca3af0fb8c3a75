/**
 * A non-blocking TCP connection factory — Tornado's `tornado.tcpclient` on `node:net`.
 *
 * {@link TCPClient.connect} resolves the host with a {@link Resolver}, tries its addresses
 * (those of the first family answered, then the others) until one connects, optionally
 * starts TLS, and returns an {@link IOStream}. A `timeout` covers the whole sequence.
 * @module
 */

import net from "node:net";
import { TimeoutError } from "../core/timeout.js";
import { IOStream, StreamClosedError } from "./iostream.js";
import { DefaultResolver, type AddressFamily, type ClientSSLOptions, type ResolvedAddress, type Resolver } from "./netutil.js";

/** Options of {@link TCPClient.connect}. */
export interface TCPClientConnectOptions {
  /** Only use addresses of this family (`4` or `6`); `0` (default) uses any. */
  af?: AddressFamily;
  /**
   * Connect with TLS. Node's `tls.ConnectionOptions` (`ca`, `cert`, `key`,
   * `rejectUnauthorized`, `ALPNProtocols`, `servername`, ...) or Tornado-style
   * `certfile`/`keyfile`/`caCerts` paths; `{}` means TLS with default verification.
   * The host name is used for SNI and for checking the certificate.
   */
  ssl?: ClientSSLOptions;
  /** `maxBufferSize` of the stream (default 100 MiB). */
  maxBufferSize?: number;
  /** Local IP address to connect from. */
  sourceIp?: string;
  /** Local port to connect from (with no `sourceIp`, the loopback address of the family). */
  sourcePort?: number;
  /** Seconds allowed for resolving, connecting and the TLS handshake together. */
  timeout?: number;
}

// Tornado's happy-eyeballs split: the family of the first answer is tried first.
function orderAddresses(addrs: ResolvedAddress[]): ResolvedAddress[] {
  if (addrs.length === 0) return addrs;
  const primary = addrs[0]!.family;
  return [...addrs.filter((a) => a.family === primary), ...addrs.filter((a) => a.family !== primary)];
}

/**
 * Opens TCP (and TLS) connections as {@link IOStream}s.
 *
 * A refused connection rejects with {@link StreamClosedError} whose `realError` is the
 * `ECONNREFUSED` system error; a `timeout` that passes rejects with `TimeoutError`; a
 * source address that cannot be bound rejects with the bind error itself, as Tornado.
 *
 * @example
 * const client = new TCPClient();
 * const stream = await client.connect("localhost", 8888, { timeout: 5 });
 * await stream.write("ping\n");
 * console.log((await stream.readUntil("\n")).toString());
 */
export class TCPClient {
  /** The resolver host names go through. */
  readonly resolver: Resolver;
  #ownResolver: boolean;

  constructor(resolver?: Resolver) {
    this.resolver = resolver ?? new DefaultResolver();
    this.#ownResolver = resolver === undefined;
  }

  /**
   * Releases the resolver, if this client created it.
   *
   * @example
   * client.close();
   */
  close(): void {
    if (this.#ownResolver) this.resolver.close();
  }

  /**
   * Connects to `host` and `port`; resolves with an {@link IOStream}, or an `SSLIOStream`
   * whose handshake is done when `ssl` is given.
   *
   * @example
   * const stream = await new TCPClient().connect("127.0.0.1", port, { ssl: { ca }, timeout: 2 });
   */
  connect(host: string, port: number, options: TCPClientConnectOptions = {}): Promise<IOStream> {
    const { timeout } = options;
    let timedOut = false;
    let socket: net.Socket | undefined;
    const work = this.#connect(host, port, options, {
      isTimedOut: () => timedOut,
      setSocket: (s) => {
        socket = s;
      },
    });
    if (timeout === undefined) return work;
    return new Promise<IOStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        timedOut = true;
        // Destroying the TCP socket also ends a TLS handshake running over it.
        socket?.destroy();
        reject(new TimeoutError());
      }, Math.max(0, timeout * 1000));
      work.then(
        (stream) => {
          if (timedOut) {
            stream.close();
            return;
          }
          clearTimeout(timer);
          resolve(stream);
        },
        (err: unknown) => {
          if (timedOut) return;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  async #connect(
    host: string,
    port: number,
    options: TCPClientConnectOptions,
    control: { isTimedOut: () => boolean; setSocket: (s: net.Socket) => void },
  ): Promise<IOStream> {
    const af = options.af ?? 0;
    const addrs = orderAddresses(await this.resolver.resolve(host, port, af));
    let lastError: unknown = new StreamClosedError(new Error(`no address found for ${host}`));
    let stream: IOStream | undefined;
    for (const addr of addrs) {
      if (control.isTimedOut()) break;
      const socket = new net.Socket();
      control.setSocket(socket);
      const candidate = new IOStream(socket, options.maxBufferSize !== undefined ? { maxBufferSize: options.maxBufferSize } : {});
      try {
        stream = await candidate.connect(this.#target(addr, options));
        break;
      } catch (err) {
        const real = err instanceof StreamClosedError ? (err.realError as NodeJS.ErrnoException | undefined) : undefined;
        // Tornado fails loudly with the bind error when the source address is unusable.
        if (real?.syscall === "bind") throw real;
        lastError = err;
      }
    }
    if (stream === undefined) throw lastError;
    if (options.ssl === undefined) return stream;
    return stream.startTls(false, options.ssl, host);
  }

  #target(addr: ResolvedAddress, options: TCPClientConnectOptions): net.TcpSocketConnectOpts {
    const target: net.TcpSocketConnectOpts = { host: addr.host, port: addr.port, family: addr.family };
    let sourceIp = options.sourceIp;
    if (options.sourcePort && !sourceIp) sourceIp = addr.family === 6 ? "::1" : "127.0.0.1";
    if (sourceIp !== undefined) target.localAddress = sourceIp;
    if (options.sourcePort) target.localPort = options.sourcePort;
    return target;
  }
}
