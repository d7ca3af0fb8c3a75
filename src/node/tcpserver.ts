/**
 * A non-blocking TCP server — Tornado's `tornado.tcpserver` on `node:net`.
 *
 * Subclass {@link TCPServer}, override `handleStream(stream, address)`, then either
 * `listen(port)` (one step), `addSockets(await bindSockets(port))` (sockets made
 * elsewhere), or `bind(port)` followed by `start()`. With `ssl` options every connection
 * is wrapped in TLS and handed over as an {@link SSLIOStream}.
 * @module
 */

import type net from "node:net";
import type tls from "node:tls";
import { appLog } from "../core/log.js";
import { IOStream, SSLIOStream } from "./iostream.js";
import {
  addAcceptHandler,
  bindSockets,
  loadSSLOptions,
  sslOptionsToContext,
  sslWrapSocket,
  type BindOptions,
  type ServerSSLOptions,
} from "./netutil.js";
import { forkProcesses } from "./process.js";

/** Options of {@link TCPServer}. */
export interface TCPServerOptions {
  /**
   * Serve TLS: Node's `tls.TlsOptions` (`cert`, `key`, `ca`, `requestCert`, `ALPNProtocols`,
   * `SNICallback`, `secureContext`, ...) or Tornado-style `certfile`/`keyfile` paths.
   */
  ssl?: ServerSSLOptions;
  /** `maxBufferSize` of every stream (default 100 MiB). */
  maxBufferSize?: number;
  /** `readChunkSize` of every stream (default 64 KiB). */
  readChunkSize?: number;
}

/** The peer of an accepted connection (`host` is `""` and `port` `0` on a Unix socket). */
export interface PeerAddress {
  host: string;
  port: number;
  family: string;
}

/**
 * Raised when `start` is called a second time.
 *
 * @example
 * await server.start();
 * await server.start(); // TCPServerStateError
 */
export class TCPServerStateError extends Error {
  override name = "TCPServerStateError";
}

interface PendingBind {
  port: number;
  address: string | undefined;
  options: BindOptions;
}

/**
 * A non-blocking, single-process TCP server. Override {@link TCPServer.handleStream}.
 *
 * `handleStream` may be async; its errors are logged to the application log
 * ("Exception in callback ...") and never stop the server from accepting.
 *
 * @example
 * class EchoServer extends TCPServer {
 *   override async handleStream(stream: IOStream): Promise<void> {
 *     try {
 *       for (;;) await stream.write(await stream.readUntil("\n"));
 *     } catch (e) {
 *       if (!(e instanceof StreamClosedError)) throw e;
 *     }
 *   }
 * }
 * await new EchoServer().listen(8888);
 */
export class TCPServer {
  /** The TLS options connections are served with, if any. */
  readonly sslOptions: ServerSSLOptions | undefined;
  /** `maxBufferSize` given to every stream. */
  maxBufferSize: number | undefined;
  /** `readChunkSize` given to every stream. */
  readChunkSize: number | undefined;

  #tls: tls.TLSSocketOptions | undefined;
  #servers = new Map<net.Server, () => void>();
  #pendingBinds: PendingBind[] = [];
  #started = false;
  #stopped = false;

  constructor(options: TCPServerOptions = {}) {
    this.sslOptions = options.ssl;
    this.maxBufferSize = options.maxBufferSize;
    this.readChunkSize = options.readChunkSize;
    if (options.ssl) {
      // Load files and build the context now: a bad path or PEM fails here, at start-up,
      // and connections share one context instead of building one each.
      this.#tls = { ...(loadSSLOptions(options.ssl) as tls.TLSSocketOptions), secureContext: sslOptionsToContext(options.ssl, true) };
    }
  }

  /**
   * Binds `port` on `address` (every interface when omitted) and starts accepting; resolves
   * with the listening servers once bound (useful with port 0). May be called more than
   * once. Options are those of {@link bindSockets}.
   *
   * @example
   * const [server] = await new EchoServer().listen(0, "127.0.0.1");
   * const port = (server!.address() as net.AddressInfo).port;
   */
  async listen(port: number, address?: string, options: BindOptions = {}): Promise<net.Server[]> {
    const servers = await bindSockets(port, address, options);
    this.addSockets(servers);
    return servers;
  }

  /**
   * Starts accepting connections on listening servers, such as those {@link bindSockets}
   * returns.
   *
   * @example
   * server.addSockets(await bindSockets(8888, "127.0.0.1"));
   */
  addSockets(servers: Iterable<net.Server>): void {
    for (const server of servers) {
      if (this.#servers.has(server)) continue;
      this.#servers.set(server, addAcceptHandler(server, this.#handleConnection));
    }
  }

  /**
   * Singular form of {@link TCPServer.addSockets}.
   *
   * @example
   * server.addSocket(await bindUnixSocket("/tmp/echo.sock"));
   */
  addSocket(server: net.Server): void {
    this.addSockets([server]);
  }

  /**
   * Records a port (and address) to listen on once {@link TCPServer.start} runs; may be
   * called several times. After `start`, binds at once. Binding is deferred because with
   * several processes each one must create its own listening socket.
   *
   * @example
   * server.bind(8888, "127.0.0.1");
   * await server.start();
   */
  bind(port: number, address?: string, options: BindOptions = {}): Promise<void> {
    if (this.#started) return this.listen(port, address, options).then(() => undefined);
    this.#pendingBinds.push({ port, address, options });
    return Promise.resolve();
  }

  /**
   * Binds what {@link TCPServer.bind} recorded and starts accepting; resolves once
   * listening. With `numProcesses` other than 1 (0 or null: one per core) it forks first,
   * as Tornado's: the primary supervises the children (restarting crashed ones, at most
   * `maxRestarts` times) and its promise never settles; each child listens on the shared
   * addresses and goes on.
   *
   * @example
   * server.bind(8888);
   * await server.start(0); // from here on, in each child
   * @throws {TCPServerStateError} when called twice.
   */
  async start(numProcesses: number | null = 1, maxRestarts?: number | null): Promise<void> {
    if (this.#started) throw new TCPServerStateError("TCPServer.start() was already called");
    this.#started = true;
    // Several processes: the primary forks and supervises (and never gets past this line);
    // each child goes on to listen on the recorded addresses, sharing them (node:cluster).
    if (numProcesses !== 1) await forkProcesses(numProcesses, maxRestarts);
    const binds = this.#pendingBinds;
    this.#pendingBinds = [];
    for (const b of binds) await this.listen(b.port, b.address, b.options);
  }


  /**
   * Stops listening. Connections already handed to `handleStream` carry on. Calling it
   * again does nothing.
   *
   * @example
   * server.stop();
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const [server, remove] of this.#servers) {
      remove();
      server.close();
    }
    this.#servers.clear();
  }

  /**
   * Override to handle a new connection. May return a promise; a rejection is logged.
   * With TLS, this runs before the handshake completes: await
   * `stream.waitForHandshake()` to inspect the client certificate or ALPN protocol.
   *
   * @example
   * override async handleStream(stream: IOStream, address: PeerAddress) {
   *   await stream.write(`hello ${address.host}\n`);
   *   stream.close();
   * }
   */
  handleStream(stream: IOStream, address: PeerAddress): void | Promise<void> {
    void address;
    stream.close();
    throw new TypeError(`${this.constructor.name} must override handleStream(stream, address)`);
  }

  #handleConnection = (connection: net.Socket): void => {
    // A connection reset while it waited to be accepted has nothing to hand over.
    if (connection.destroyed) return;
    const address: PeerAddress = {
      host: connection.remoteAddress ?? "",
      port: connection.remotePort ?? 0,
      family: connection.remoteFamily ?? "unix",
    };
    const options = {
      ...(this.maxBufferSize !== undefined ? { maxBufferSize: this.maxBufferSize } : {}),
      ...(this.readChunkSize !== undefined ? { readChunkSize: this.readChunkSize } : {}),
    };
    try {
      const stream = this.#tls
        ? new SSLIOStream(sslWrapSocket(connection, this.#tls, { serverSide: true }), options)
        : new IOStream(connection, options);
      const result: unknown = this.handleStream(stream, address);
      if (result !== undefined) {
        Promise.resolve(result).catch((e: unknown) => appLog.exception("Exception in callback %r", e, "handleStream"));
      }
    } catch (e) {
      appLog.exception("Error in connection callback", e);
    }
  };
}
