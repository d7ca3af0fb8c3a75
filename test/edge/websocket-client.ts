/** A WebSocket client for the edge tests: SELF.fetch with an Upgrade, the runtime's socket accepted client-side. */
import { SELF } from "cloudflare:test";

export interface Closed {
  code: number;
  reason: string;
}

/** One client socket with an ordered inbox; every wait is bounded. */
export class TestSocket {
  readonly ws: WebSocket;
  readonly closed: Promise<Closed>;
  #inbox: Array<string | ArrayBuffer> = [];
  #waiters: Array<(m: string | ArrayBuffer) => void> = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => {
        // Answer the server's close frame, as a browser does.
        if (ws.readyState === WebSocket.CLOSING) ws.close(e.code === 1005 ? undefined : e.code, e.reason);
        resolve({ code: e.code, reason: e.reason });
      }),
    );
    ws.addEventListener("message", (e) => {
      const w = this.#waiters.shift();
      if (w !== undefined) w(e.data as string | ArrayBuffer);
      else this.#inbox.push(e.data as string | ArrayBuffer);
    });
    ws.binaryType = "arraybuffer";
    ws.accept();
  }

  /** The next message, or a rejection after `ms`. */
  next(ms = 3000): Promise<string | ArrayBuffer> {
    const m = this.#inbox.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no message within ${ms}ms`)), ms);
      this.#waiters.push((msg) => {
        clearTimeout(t);
        resolve(msg);
      });
    });
  }

  /** The next message as JSON. */
  async json(ms?: number): Promise<Record<string, unknown>> {
    const m = await this.next(ms);
    if (typeof m !== "string") throw new Error("expected a text message");
    return JSON.parse(m) as Record<string, unknown>;
  }

  /** Sends `text` and returns the next JSON message. */
  async ask(text: string): Promise<Record<string, unknown>> {
    this.ws.send(text);
    return this.json();
  }

  /** Whether a message arrives within `ms` (for "nothing was sent" checks). */
  async quiet(ms = 150): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  /** The close event, or a rejection after `ms`. */
  closedWithin(ms = 3000): Promise<Closed> {
    return Promise.race([this.closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not closed within ${ms}ms`)), ms))]);
  }
}

/** Opens a WebSocket to `path` through the Worker. */
export async function upgrade(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`http://example.com${path}`, {
    headers: {
      Upgrade: "websocket",
      Connection: "Upgrade",
      "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version": "13",
      ...headers,
    },
  });
}

/** Opens a WebSocket to `path` and returns the accepted client socket. */
export async function connect(path: string, headers: Record<string, string> = {}): Promise<TestSocket> {
  const res = await upgrade(path, headers);
  if (res.status !== 101 || res.webSocket === null) throw new Error(`expected 101 with a webSocket, got ${res.status}: ${await res.text()}`);
  return new TestSocket(res.webSocket);
}
