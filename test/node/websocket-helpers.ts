/**
 * Shared fixtures for the WebSocket tests: a bounded wait, a signal that buffers values
 * until a test takes them, raw HTTP exchanges, and a raw WebSocket handshake over `net`.
 * @module
 */

import { randomBytes } from "node:crypto";
import net from "node:net";

// The same timing helpers as the TCP tests.
import { sleep, within } from "./tcp-helpers.js";

export { sleep, within };

/** Values pushed by server-side handlers, taken in order by the test (bounded wait). */
export class Signal<T> {
  readonly #values: T[] = [];
  readonly #waiters: Array<(v: T) => void> = [];

  push(value: T): void {
    const w = this.#waiters.shift();
    if (w !== undefined) w(value);
    else this.#values.push(value);
  }

  next(ms = 5000): Promise<T> {
    if (this.#values.length > 0) return Promise.resolve(this.#values.shift()!);
    let waiter: ((v: T) => void) | undefined;
    const p = within(new Promise<T>((resolve) => this.#waiters.push((waiter = resolve))), ms, "signal");
    // A waiter that timed out must not swallow the next value.
    p.catch(() => {
      const i = this.#waiters.indexOf(waiter!);
      if (i !== -1) this.#waiters.splice(i, 1);
    });
    return p;
  }

  clear(): void {
    this.#values.length = 0;
  }
}

/** Sends raw bytes and reads until the server closes (or `ms` passes): the whole answer. */
export function rawExchange(port: number, text: string, ms = 5000): Promise<string> {
  return within(
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, "127.0.0.1");
      const parts: Buffer[] = [];
      sock.on("data", (c: Buffer) => parts.push(c));
      sock.on("error", reject);
      sock.on("close", () => resolve(Buffer.concat(parts).toString("latin1")));
      sock.write(text);
    }),
    ms,
    "raw exchange",
  );
}

/** The status code of a raw HTTP answer. */
export function statusOf(answer: string): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
  return m === null ? -1 : Number(m[1]);
}

/** The body of a raw HTTP answer. */
export function bodyOf(answer: string): string {
  const i = answer.indexOf("\r\n\r\n");
  return i === -1 ? "" : answer.slice(i + 4);
}

/** A WebSocket upgrade request for `path`, with a valid key and version 13. */
export function upgradeRequest(path: string, port: number, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  let s = `GET ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) if (v !== "") s += `${k}: ${v}\r\n`;
  return s + "\r\n";
}

/** A frame parsed from the server's side of a raw connection. */
export interface RawFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/**
 * A WebSocket spoken by hand over a `net` socket after a real handshake: the test writes
 * any bytes it likes (malformed frames included) and reads the server's frames.
 */
export class RawWebSocket {
  readonly socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: net.Socket, rest: Buffer) {
    this.socket = socket;
    this.#buf = rest;
    socket.on("data", (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => {});
  }

  /** Connects and completes the opening handshake; rejects on a non-101 answer. */
  static connect(port: number, path: string): Promise<RawWebSocket> {
    return within(
      new Promise<RawWebSocket>((resolve, reject) => {
        const sock = net.connect(port, "127.0.0.1");
        let buf = Buffer.alloc(0);
        const onData = (c: Buffer) => {
          buf = Buffer.concat([buf, c]);
          const end = buf.indexOf("\r\n\r\n");
          if (end === -1) return;
          sock.off("data", onData);
          const head = buf.subarray(0, end).toString("latin1");
          if (!head.startsWith("HTTP/1.1 101")) {
            sock.destroy();
            reject(new Error(`handshake refused: ${head.split("\r\n")[0]}`));
            return;
          }
          resolve(new RawWebSocket(sock, buf.subarray(end + 4)));
        };
        sock.on("data", onData);
        sock.on("error", reject);
        sock.write(upgradeRequest(path, port));
      }),
      5000,
      "raw handshake",
    );
  }

  /** Builds a frame; masked with a random key unless `mask` is false. */
  static frame(opcode: number, payload: Uint8Array, options: { fin?: boolean; mask?: boolean; rsv?: number; length?: number } = {}): Buffer {
    const fin = options.fin ?? true;
    const mask = options.mask ?? true;
    const len = options.length ?? payload.length;
    const head: number[] = [(fin ? 0x80 : 0) | (options.rsv ?? 0) | opcode];
    const m = mask ? 0x80 : 0;
    if (len < 126) head.push(m | len);
    else if (len <= 0xffff) head.push(m | 126, len >> 8, len & 0xff);
    else {
      head.push(m | 127);
      const b = Buffer.alloc(8);
      b.writeBigUInt64BE(BigInt(len));
      head.push(...b);
    }
    const key = mask ? randomBytes(4) : Buffer.alloc(0);
    const body = Buffer.from(payload);
    if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
    return Buffer.concat([Buffer.from(head), key, body]);
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame from the server, or `null` once the socket closed without one. */
  async readFrame(ms = 5000): Promise<RawFrame | null> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.#parse();
      if (f !== undefined) return f;
      if (this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no frame within the time limit");
      await within(new Promise<void>((r) => (this.#wake = r)), left, "frame").catch(() => {});
      this.#wake = null;
    }
  }

  /** Reads frames until a close frame; answers the close code it carried (null: none). */
  async readCloseCode(ms = 5000): Promise<number | null | "no close frame"> {
    for (let i = 0; i < 100; i++) {
      const f = await this.readFrame(ms);
      if (f === null) return "no close frame";
      if (f.opcode === 8) return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
    }
    return "no close frame";
  }

  /** Resolves once the server has closed the TCP connection. */
  whenClosed(ms = 7000): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return within(new Promise<void>((r) => this.socket.once("close", () => r())), ms, "socket close");
  }

  #parse(): RawFrame | undefined {
    const b = this.#buf;
    if (b.length < 2) return undefined;
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    if (b.length < off + len) return undefined;
    const frame = { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload: b.subarray(off, off + len) };
    this.#buf = b.subarray(off + len);
    return frame;
  }
}
