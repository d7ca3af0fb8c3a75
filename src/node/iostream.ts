/**
 * Reading and writing a socket with promises — Tornado's `tornado.iostream` on `node:net`
 * and `node:tls`.
 *
 * An {@link IOStream} wraps a `net.Socket` and offers Tornado's read family
 * (`readBytes`, `readUntil`, `readUntilRegex`, `readInto`, `readUntilClose`), each returning
 * a promise, and a `write` whose promise resolves once the data has been handed to the
 * kernel. One read may be pending at a time. Data that arrives while no read is pending is
 * kept in the stream's buffer; once a chunk's worth (`readChunkSize`) is waiting the socket
 * is paused, so a peer that sends faster than the application reads is slowed down by TCP
 * instead of filling memory. A pending read that would need more than `maxBufferSize` bytes
 * closes the stream with a {@link StreamBufferFullError}.
 *
 * When the stream closes, pending reads and writes reject with {@link StreamClosedError},
 * whose `realError` holds the cause; data already buffered can still be read.
 * {@link SSLIOStream} is the same over TLS; `startTls` turns a plain stream into one.
 * @module
 */

import { Buffer } from "node:buffer";
import type net from "node:net";
import type tls from "node:tls";
import { appLog, genLog } from "../core/log.js";
import { ReadBuffer } from "./iostream-buffer.js";
import { IOStreamStateError, StreamBufferFullError, StreamClosedError, UnsatisfiableReadError } from "./iostream-errors.js";
import { sslWrapSocket, type ClientSSLOptions, type ServerSSLOptions } from "./netutil.js";

export { IOStreamStateError, StreamBufferFullError, StreamClosedError, UnsatisfiableReadError };

/** Options of {@link IOStream}. */
export interface IOStreamOptions {
  /** Most bytes a pending read may buffer; default 100 MiB (104857600), as Tornado. */
  maxBufferSize?: number;
  /** Bytes kept waiting before the socket is paused; default 64 KiB, at most half of `maxBufferSize`. */
  readChunkSize?: number;
  /** Most bytes of unsent writes; `write` throws beyond it. Default: unlimited. */
  maxWriteBufferSize?: number;
}

/** Where {@link IOStream.connect} connects: a TCP host and port, or a Unix socket path. */
export type ConnectAddress = net.TcpSocketConnectOpts | net.IpcSocketConnectOpts;

type ReadSpec =
  | { kind: "bytes"; n: number; partial: boolean }
  | { kind: "into"; target: Uint8Array; partial: boolean }
  | { kind: "until"; delimiter: Buffer; maxBytes: number | undefined; searchFrom: number }
  | { kind: "regex"; regex: RegExp; maxBytes: number | undefined }
  | { kind: "close" };

interface PendingRead {
  spec: ReadSpec;
  resolve: (value: Buffer | number) => void;
  reject: (error: Error) => void;
}

interface Settler {
  resolve: () => void;
  reject: (error: Error) => void;
}

// Errors that mean the peer went away: closed quietly, as Tornado's _ERRNO_CONNRESET.
const CONNRESET = new Set(["ECONNRESET", "ECONNABORTED", "EPIPE", "ETIMEDOUT"]);

const noop = (): void => {};

// How long a cleanly closed stream may keep flushing data its peer is slow to read.
const CLOSE_LINGER_MS = 30_000;

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function describe(value: Buffer | RegExp): string {
  return value instanceof RegExp ? String(value) : JSON.stringify(value.toString("latin1"));
}

/**
 * A socket with Tornado's promise-based reads and writes.
 *
 * Wrap a connected `net.Socket` (for example one a {@link TCPServer} hands over), or an
 * unconnected `new net.Socket()` and call {@link IOStream.connect}.
 *
 * @example
 * const stream = new IOStream(new net.Socket());
 * await stream.connect({ host: "127.0.0.1", port: 8888 });
 * await stream.write("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
 * const header = await stream.readUntil("\r\n\r\n");
 * const rest = await stream.readUntilClose();
 */
export class IOStream {
  /** Most bytes a pending read may buffer (default 100 MiB). */
  maxBufferSize: number;
  /** Bytes buffered ahead of the application before the socket is paused. */
  readChunkSize: number;
  /** Most bytes of unsent writes, or `undefined` for no limit. */
  maxWriteBufferSize: number | undefined;
  /** The error that closed the stream, if any. */
  error: Error | undefined = undefined;

  #socket: net.Socket;
  #buffer = new ReadBuffer();
  #pending: PendingRead | undefined = undefined;
  #writes = new Set<Settler>();
  #connectWaiter: Settler | undefined = undefined;
  #closeCallback: (() => unknown) | undefined = undefined;
  #closed = false;
  #paused = false;

  constructor(socket: net.Socket, options: IOStreamOptions = {}) {
    this.#socket = socket;
    this.maxBufferSize = options.maxBufferSize || 104857600;
    // A chunk size close to maxBufferSize would trip the limit spuriously.
    this.readChunkSize = Math.min(options.readChunkSize || 65536, Math.floor(this.maxBufferSize / 2));
    this.maxWriteBufferSize = options.maxWriteBufferSize;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
    socket.on("close", this.#onEnd);
    // A socket reset before we got it emits nothing more: notice it on the next turn.
    if (socket.destroyed) queueMicrotask(() => this.close());
  }

  /**
   * The underlying socket.
   *
   * @example
   * console.log(stream.socket.remoteAddress);
   */
  get socket(): net.Socket {
    return this.#socket;
  }

  /**
   * Connects an unconnected socket; resolves with the stream once connected. Writes made
   * meanwhile are sent after the connection is up. A failure rejects with
   * {@link StreamClosedError} whose `realError` is the cause (for example `ECONNREFUSED`).
   *
   * @example
   * const stream = await new IOStream(new net.Socket()).connect({ host: "127.0.0.1", port });
   */
  connect(address: ConnectAddress): Promise<this> {
    if (this.#closed) return this.#rejected(new StreamClosedError(this.error));
    const p = new Promise<this>((resolve, reject) => {
      this.#connectWaiter = { resolve: () => resolve(this), reject };
    });
    p.catch(noop);
    this.#socket.once("connect", () => {
      const w = this.#connectWaiter;
      this.#connectWaiter = undefined;
      w?.resolve();
    });
    this.#socket.connect(address);
    return p;
  }

  /**
   * Reads `numBytes` bytes. With `partial`, resolves as soon as any bytes are available
   * (never more than `numBytes`; `readBytes(0)` resolves with an empty buffer).
   *
   * @example
   * const header = await stream.readBytes(4);
   * const chunk = await stream.readBytes(65536, { partial: true });
   */
  readBytes(numBytes: number, options: { partial?: boolean } = {}): Promise<Buffer> {
    if (!Number.isSafeInteger(numBytes) || numBytes < 0) {
      throw new RangeError(`numBytes must be a non-negative integer, not ${numBytes}`);
    }
    return this.#startRead({ kind: "bytes", n: numBytes, partial: options.partial ?? false }) as Promise<Buffer>;
  }

  /**
   * Reads into `buffer`; resolves with the number of bytes written to it, which is
   * `buffer.length` unless `partial` is set (then any amount above zero).
   *
   * @example
   * const buf = new Uint8Array(1024);
   * const n = await stream.readInto(buf, { partial: true });
   */
  readInto(buffer: Uint8Array, options: { partial?: boolean } = {}): Promise<number> {
    return this.#startRead({ kind: "into", target: buffer, partial: options.partial ?? false }) as Promise<number>;
  }

  /**
   * Reads until `delimiter` (a string is UTF-8 encoded); the result ends with it. With
   * `maxBytes`, a delimiter not found within that many bytes closes the stream with an
   * {@link UnsatisfiableReadError} (the read rejects with {@link StreamClosedError}).
   *
   * @example
   * const line = await stream.readUntil("\r\n", { maxBytes: 65536 });
   */
  readUntil(delimiter: Uint8Array | string, options: { maxBytes?: number } = {}): Promise<Buffer> {
    const d = typeof delimiter === "string" ? Buffer.from(delimiter) : Buffer.from(delimiter.buffer, delimiter.byteOffset, delimiter.byteLength);
    return this.#startRead({ kind: "until", delimiter: d, maxBytes: options.maxBytes, searchFrom: 0 }) as Promise<Buffer>;
  }

  /**
   * Reads until `regex` matches; the result runs to the end of the match. The buffer is
   * matched as a Latin-1 string (one character per byte), so write byte patterns such as
   * `/\r?\n\r?\n/`. `maxBytes` works as in {@link IOStream.readUntil}.
   *
   * @example
   * const headers = await stream.readUntilRegex(/\r?\n\r?\n/);
   */
  readUntilRegex(regex: RegExp | string, options: { maxBytes?: number } = {}): Promise<Buffer> {
    const source = typeof regex === "string" ? new RegExp(regex) : regex;
    // A global or sticky regex carries lastIndex between calls; a plain copy does not.
    const r = new RegExp(source.source, source.flags.replace(/[gy]/g, ""));
    return this.#startRead({ kind: "regex", regex: r, maxBytes: options.maxBytes }) as Promise<Buffer>;
  }

  /**
   * Reads everything until the peer closes the connection (or the stream is closed), up to
   * `maxBufferSize`. On a closed stream it resolves with whatever is still buffered.
   *
   * @example
   * const body = await stream.readUntilClose();
   */
  readUntilClose(): Promise<Buffer> {
    return this.#startRead({ kind: "close" }) as Promise<Buffer>;
  }

  /**
   * Writes `data` (a string is UTF-8 encoded). The promise resolves once the data has been
   * handed to the kernel, so awaiting each write applies back-pressure. Throws
   * {@link StreamClosedError} if the stream is closed and {@link StreamBufferFullError}
   * past `maxWriteBufferSize`. The promise rejects with {@link StreamClosedError} if the
   * stream closes first; left unawaited, that rejection is not reported as unhandled.
   *
   * @example
   * await stream.write("HELLO\r\n");
   */
  write(data: Uint8Array | string): Promise<void> {
    if (this.#closed) throw new StreamClosedError(this.error);
    const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
    if (this.maxWriteBufferSize !== undefined && this.#socket.writableLength + size > this.maxWriteBufferSize) {
      throw new StreamBufferFullError("Reached maximum write buffer size");
    }
    const p = new Promise<void>((resolve, reject) => {
      const settler: Settler = { resolve, reject };
      this.#writes.add(settler);
      this.#socket.write(data, (err) => {
        this.#writes.delete(settler);
        if (err) reject(new StreamClosedError(this.error ?? err));
        else resolve();
      });
    });
    p.catch(noop);
    return p;
  }

  /**
   * Calls `callback` once the stream is closed, after the pending reads and writes have
   * been rejected. Exceptions it raises are logged. Replaces any earlier callback.
   *
   * @example
   * stream.setCloseCallback(() => clients.delete(stream));
   */
  setCloseCallback(callback: (() => unknown) | undefined): void {
    this.#closeCallback = callback;
  }

  /**
   * Closes the stream; `error`, if given, becomes {@link IOStream.error} and the
   * `realError` of the rejections. A pending `readUntilClose` resolves with the buffered
   * data; a pending read the buffer already satisfies resolves; others reject.
   *
   * @example
   * stream.close();
   */
  close(error?: unknown): void {
    if (!this.#closed) {
      if (error !== undefined && error !== null && error !== false) this.error = toError(error);
      this.#closed = true;
      const pending = this.#pending;
      if (pending?.spec.kind === "close") {
        this.#finishRead(this.#buffer.size);
      } else if (pending) {
        let pos: number | undefined;
        try {
          pos = this.#findReadPos(pending.spec);
        } catch {
          pos = undefined;
        }
        if (pos !== undefined) this.#finishRead(pos);
      }
      this.#release();
    }
    this.#signalClosed();
  }

  /**
   * Whether the stream is closed.
   *
   * @example
   * if (!stream.closed()) stream.write("bye\n");
   */
  closed(): boolean {
    return this.#closed;
  }

  /**
   * Whether a read is pending.
   *
   * @example
   * if (!stream.reading()) void stream.readUntil("\n");
   */
  reading(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Whether written data is still waiting to be handed to the kernel.
   *
   * @example
   * if (stream.writing()) console.log("peer is reading slowly");
   */
  writing(): boolean {
    return this.#writes.size > 0;
  }

  /**
   * Turns Nagle's algorithm off (`true`) or on, so small writes go out at once rather than
   * being held to fill a packet. Does nothing on a closed stream or a Unix socket.
   *
   * @example
   * stream.setNodelay(true);
   */
  setNodelay(value: boolean): void {
    if (!this.#closed) this.#socket.setNoDelay(value);
  }

  /**
   * Converts this stream to an {@link SSLIOStream}, for protocols that switch to TLS after
   * a clear-text exchange (SMTP's STARTTLS). The stream must be idle: no pending read or
   * write. Resolves once the handshake is done, and rejects with the TLS error (for
   * example a certificate that does not verify) if it fails. The close callback moves to
   * the new stream; this one must not be used afterwards.
   *
   * @example
   * await stream.write("220 Go ahead\r\n");
   * const secure = await stream.startTls(true, { certfile: "server.crt", keyfile: "server.key" });
   */
  startTls(serverSide: boolean, sslOptions?: ServerSSLOptions | ClientSSLOptions, serverHostname?: string): Promise<SSLIOStream> {
    if (this.#pending || this.#writes.size > 0 || this.#connectWaiter || this.#closed) {
      throw new IOStreamStateError("IOStream is not idle; cannot convert to SSL");
    }
    const raw = this.#socket;
    raw.pause();
    this.#detach();
    // Bytes we pulled ahead of the application belong to the TLS handshake now; Node's
    // TLSSocket reads what is queued on the socket before reading the handle.
    const early: Buffer[] = [];
    this.#buffer.drainTo((c) => early.push(c));
    for (let i = early.length - 1; i >= 0; i--) raw.unshift(early[i]!);
    const wrapped = sslWrapSocket(raw, sslOptions ?? {}, { serverSide, ...(serverHostname !== undefined ? { serverHostname } : {}) });
    const stream = new SSLIOStream(wrapped, {
      maxBufferSize: this.maxBufferSize,
      readChunkSize: this.readChunkSize,
      ...(this.maxWriteBufferSize !== undefined ? { maxWriteBufferSize: this.maxWriteBufferSize } : {}),
    });
    stream.setCloseCallback(this.#closeCallback);
    this.#closeCallback = undefined;
    this.#closed = true;
    return stream.waitForHandshake();
  }

  /** Called once when the stream closes, after pending operations were rejected. */
  protected onClose(): void {}

  /** Logs a socket error that is not a plain disconnect (overridden for TLS). */
  protected logSocketError(err: NodeJS.ErrnoException): void {
    if (err.syscall === "write") genLog.warning("Write error on %s: %s", this.#peer(), err.message);
    else if (err.syscall === "read" || err.syscall === undefined) genLog.warning("error on read: %s", err.message);
    // connect, bind and lookup failures reach the caller through connect()'s promise.
  }

  #peer(): string {
    const s = this.#socket;
    return s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : "(not connected)";
  }

  #rejected<T>(error: Error): Promise<T> {
    const p = Promise.reject(error);
    p.catch(noop);
    return p;
  }

  #startRead(spec: ReadSpec): Promise<Buffer | number> {
    if (this.#pending) {
      if (this.#closed) throw new StreamClosedError(this.error);
      throw new IOStreamStateError("Already reading");
    }
    const p = new Promise<Buffer | number>((resolve, reject) => {
      this.#pending = { spec, resolve, reject };
    });
    // Tornado silences unobserved read failures; an unawaited read must not crash Node.
    p.catch(noop);
    this.#service();
    return p;
  }

  // Completes the pending read if the buffer allows, otherwise makes sure data flows in.
  #service(): void {
    const pending = this.#pending;
    if (!pending) return;
    let pos: number | undefined;
    try {
      pos = this.#findReadPos(pending.spec);
    } catch (e) {
      if (!(e instanceof UnsatisfiableReadError)) throw e;
      genLog.info("Unsatisfiable read, closing connection: %s", e.message);
      this.close(e);
      return;
    }
    if (pos !== undefined) {
      this.#finishRead(pos);
    } else if (this.#closed) {
      this.#pending = undefined;
      pending.reject(new StreamClosedError(this.error));
    } else if (this.#buffer.size > this.maxBufferSize) {
      genLog.error("Reached maximum read buffer size");
      // Fail the read rather than let close() hand a readUntilClose truncated data.
      this.#pending = undefined;
      this.close(new StreamBufferFullError("Reached maximum read buffer size"));
      pending.reject(new StreamClosedError(this.error));
    } else {
      this.#flow(true);
    }
  }

  #findReadPos(spec: ReadSpec): number | undefined {
    const size = this.#buffer.size;
    switch (spec.kind) {
      case "bytes":
        return size >= spec.n || (spec.partial && size > 0) ? Math.min(spec.n, size) : undefined;
      case "into": {
        const n = spec.target.length;
        return size >= n || (spec.partial && size > 0) ? Math.min(n, size) : undefined;
      }
      case "until": {
        const loc = this.#buffer.indexOf(spec.delimiter, spec.searchFrom);
        if (loc !== -1) {
          this.#checkMaxBytes(spec.delimiter, spec.maxBytes, loc + spec.delimiter.length);
          return loc + spec.delimiter.length;
        }
        // Only bytes that arrive later can start a match past here.
        spec.searchFrom = Math.max(0, size - spec.delimiter.length + 1);
        this.#checkMaxBytes(spec.delimiter, spec.maxBytes, size);
        return undefined;
      }
      case "regex": {
        if (size === 0) return undefined;
        const m = spec.regex.exec(this.#buffer.latin1());
        if (m) {
          const end = m.index + m[0].length;
          this.#checkMaxBytes(spec.regex, spec.maxBytes, end);
          return end;
        }
        this.#checkMaxBytes(spec.regex, spec.maxBytes, size);
        return undefined;
      }
      case "close":
        return this.#closed ? size : undefined;
    }
  }

  #checkMaxBytes(delimiter: Buffer | RegExp, maxBytes: number | undefined, size: number): void {
    if (maxBytes !== undefined && size > maxBytes) {
      throw new UnsatisfiableReadError(`delimiter ${describe(delimiter)} not found within ${maxBytes} bytes`);
    }
  }

  #finishRead(pos: number): void {
    const { spec, resolve } = this.#pending!;
    this.#pending = undefined;
    if (spec.kind === "into") {
      this.#buffer.takeInto(spec.target, pos);
      resolve(pos);
    } else {
      resolve(this.#buffer.take(pos));
    }
    if (!this.#closed) this.#flow(this.#buffer.size < this.readChunkSize);
  }

  // Reading runs while a read waits or little is buffered (which also lets us notice the
  // peer closing while idle); otherwise TCP holds the peer back.
  #flow(on: boolean): void {
    if (on === !this.#paused) return;
    this.#paused = !on;
    if (on) this.#socket.resume();
    else this.#socket.pause();
  }

  #onData = (chunk: Buffer): void => {
    this.#buffer.append(chunk);
    if (this.#pending) this.#service();
    else if (this.#buffer.size >= this.readChunkSize) this.#flow(false);
  };

  #onEnd = (): void => {
    this.close();
  };

  #onError = (err: NodeJS.ErrnoException): void => {
    if (this.#closed) return;
    if (!CONNRESET.has(err.code ?? "")) this.logSocketError(err);
    this.close(err);
  };

  // Tornado's write() hands data to the kernel at once, so its close() loses nothing already
  // written. Node may still hold written data in user space (always briefly with TLS): on
  // a clean close, let that drain, then close, rather than drop it.
  #release(): void {
    const s = this.#socket;
    if (this.error !== undefined || s.destroyed || s.writableLength === 0) {
      s.destroy();
      return;
    }
    s.pause();
    s.destroySoon();
    // A peer that never reads must not keep the socket open for ever.
    const timer = setTimeout(() => s.destroy(), CLOSE_LINGER_MS);
    timer.unref();
    s.once("close", () => clearTimeout(timer));
  }

  #detach(): void {
    this.#socket.off("data", this.#onData);
    this.#socket.off("end", this.#onEnd);
    this.#socket.off("error", this.#onError);
    this.#socket.off("close", this.#onEnd);
  }

  #signalClosed(): void {
    const err = new StreamClosedError(this.error);
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.reject(err);
    const writes = [...this.#writes];
    this.#writes.clear();
    for (const w of writes) w.reject(err);
    const connect = this.#connectWaiter;
    this.#connectWaiter = undefined;
    connect?.reject(err);
    this.onClose();
    const cb = this.#closeCallback;
    this.#closeCallback = undefined;
    if (cb) {
      // Run after the rejections above have reached their awaiters, as Tornado schedules
      // the close callback on the next loop iteration.
      setImmediate(() => {
        try {
          const r = cb();
          if (r instanceof Promise) r.catch((e: unknown) => appLog.exception("Exception in callback %r", e, cb.name || "close callback"));
        } catch (e) {
          appLog.exception("Exception in callback %r", e, cb.name || "close callback");
        }
      });
    }
  }
}

/**
 * An {@link IOStream} over TLS (Node's `tls.TLSSocket`).
 *
 * Servers get one from a {@link TCPServer} with `ssl` options, possibly before the
 * handshake is done (reads and writes wait for it); clients get one from
 * `TCPClient.connect(host, port, { ssl })` or {@link IOStream.startTls}. Node creates a
 * client TLS connection in one step, so to connect by hand wrap the socket `tls.connect()`
 * returns; {@link SSLIOStream.connect} is not available.
 *
 * @example
 * const stream = new SSLIOStream(tls.connect({ host: "localhost", port, ca }));
 * await stream.waitForHandshake();
 * console.log(stream.socket.getPeerCertificate().subject);
 */
export class SSLIOStream extends IOStream {
  #handshakeDone: boolean;
  #handshakeWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined = undefined;

  constructor(socket: tls.TLSSocket, options: IOStreamOptions = {}) {
    super(socket, options);
    // Node exposes no public flag for "handshake already finished" on a TLSSocket.
    this.#handshakeDone = (socket as unknown as { _secureEstablished?: boolean })._secureEstablished === true;
    socket.on("secure", () => {
      // A client socket whose certificate failed verification is destroyed before this
      // listener runs: that is a failure, reported through the error that follows.
      if (socket.destroyed) return;
      this.#handshakeDone = true;
      const w = this.#handshakeWaiter;
      this.#handshakeWaiter = undefined;
      w?.resolve();
    });
  }

  /** The underlying TLS socket (peer certificate, ALPN protocol, cipher, ...). */
  override get socket(): tls.TLSSocket {
    return super.socket as tls.TLSSocket;
  }

  /**
   * Resolves with the stream once the TLS handshake is done (at once if it already is);
   * rejects with the TLS error if it fails, or {@link StreamClosedError} if the connection
   * closes first. Only one wait may be pending.
   *
   * @example
   * await stream.waitForHandshake();
   * stream.socket.alpnProtocol; // e.g. "h2"
   */
  waitForHandshake(): Promise<this> {
    if (this.#handshakeWaiter) throw new IOStreamStateError("Already waiting");
    if (this.closed() && !this.#handshakeDone) {
      const p = Promise.reject(this.error ?? new StreamClosedError());
      p.catch(noop);
      return p;
    }
    const p = new Promise<this>((resolve, reject) => {
      if (this.#handshakeDone) resolve(this);
      else this.#handshakeWaiter = { resolve: () => resolve(this), reject };
    });
    p.catch(noop);
    return p;
  }

  /** Not available on Node: see the class documentation. Always throws {@link IOStreamStateError}. */
  override connect(_address: ConnectAddress): Promise<this> {
    throw new IOStreamStateError(
      "SSLIOStream cannot connect a socket itself; use TCPClient.connect(host, port, { ssl }) or IOStream.startTls",
    );
  }

  protected override onClose(): void {
    const w = this.#handshakeWaiter;
    this.#handshakeWaiter = undefined;
    // As Tornado, the handshake waiter sees the real TLS error, not StreamClosedError.
    w?.reject(this.error ?? new StreamClosedError());
  }

  protected override logSocketError(err: NodeJS.ErrnoException): void {
    if (this.#handshakeDone) return super.logSocketError(err);
    const s = this.socket;
    const peer = s.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : "(not connected)";
    genLog.warning("SSL Error on %s: %s", peer, err.message);
  }
}
