// One load-generating process of bench/ws/run.js, driven over IPC (`process.send`).
//
// Clients are raw `node:net` sockets, so a process holds thousands of them cheaply and
// costs every server the same: a WebSocket client writes the RFC 6455 handshake and then
// masked text frames by hand; a long-poll client writes one `GET /poll`. Receipt of a
// broadcast or a long-poll answer is seen by looking for the round's unique token in the
// bytes (server frames are unmasked, so the text is there as sent).
//
// Commands (each answered with one message carrying the same `id`):
//   { op: "open", kind: "ws" | "poll", port, n, window }   → { opened, failed, ms }
//   { op: "arm", token }                                     → { armed }
//   { op: "await", timeoutMs }                               → { got, total, first, last }
//   { op: "echo", port, clients, warmupMs, measureMs }       → { messages, failed }
//   { op: "close" }                                          → { closed }
//   { op: "exit" }
// Times are wall-clock milliseconds with sub-millisecond precision, comparable between
// the processes of one machine.
import * as net from "node:net";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const HEAD_END = "\r\n\r\n";
// Only the tail of the stream is kept per socket: enough to find a token split over reads.
const KEEP = 96;

const now = () => performance.timeOrigin + performance.now();

/** @type {Set<{ socket: net.Socket, tail: string, seen: number }>} */
const conns = new Set();
let token = null;
let pendingAwait = null;
let gotCount = 0;
let firstAt = Infinity;
let lastAt = 0;

function upgradeRequest(port, path) {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

function pollRequest(port) {
  return `GET /poll HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
}

function onData(conn, chunk) {
  const text = conn.tail + chunk.toString("latin1");
  if (token !== null && conn.seen !== token && text.includes(token)) {
    conn.seen = token;
    const t = now();
    gotCount++;
    if (t < firstAt) firstAt = t;
    if (t > lastAt) lastAt = t;
    if (pendingAwait !== null && gotCount === conns.size) pendingAwait();
  }
  conn.tail = text.length > KEEP ? text.slice(-KEEP) : text;
}

/** Opens one client; resolves with it once established (101 seen, or request written), else null. */
function openOne(kind, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    const conn = { socket, tail: "", seen: null };
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      if (ok) conns.add(conn);
      else socket.destroy();
      resolve(ok ? conn : null);
    };
    const timer = setTimeout(() => done(false), 30_000);
    socket.on("error", () => {
      clearTimeout(timer);
      conns.delete(conn);
      done(false);
    });
    socket.on("close", () => conns.delete(conn));
    if (kind === "poll") {
      socket.on("data", (c) => onData(conn, c));
      socket.write(pollRequest(port), () => {
        clearTimeout(timer);
        done(true);
      });
      return;
    }
    let head = "";
    const onHead = (chunk) => {
      head += chunk.toString("latin1");
      const end = head.indexOf(HEAD_END);
      if (end === -1) return;
      socket.off("data", onHead);
      clearTimeout(timer);
      const ok = head.startsWith("HTTP/1.1 101");
      if (ok) {
        socket.on("data", (c) => onData(conn, c));
        const rest = head.slice(end + 4);
        if (rest.length > 0) onData(conn, Buffer.from(rest, "latin1"));
      }
      done(ok);
    };
    socket.on("data", onHead);
    socket.write(upgradeRequest(port, "/ws"));
  });
}

/** Opens `n` clients with at most `window` handshakes in flight. */
async function openMany(kind, port, n, window) {
  const start = now();
  let next = 0;
  let opened = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      if ((await openOne(kind, port)) !== null) opened++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, n) }, worker));
  return { opened, failed, ms: now() - start };
}

/** A masked text frame (mask key 0, which leaves the payload as is) of a short payload. */
function maskedTextFrame(payload) {
  const body = Buffer.from(payload);
  if (body.length > 125) throw new RangeError("echo payload must be at most 125 bytes");
  return Buffer.concat([Buffer.from([0x81, 0x80 | body.length, 0, 0, 0, 0]), body]);
}

/**
 * Closed-loop echo: each client sends one message, waits for its echo (an unmasked frame of
 * the same payload: 2 + length bytes), sends the next. Counts echoes inside the window.
 */
async function echo(port, clients, warmupMs, measureMs) {
  const payload = "echo-payload-0123456789-abcdefghijklmnop";
  const frame = maskedTextFrame(payload);
  const replySize = 2 + Buffer.byteLength(payload);
  const sockets = [];
  let failed = 0;
  for (let i = 0; i < clients; i++) {
    const conn = await openOne("ws", port);
    if (conn === null) failed++;
    else sockets.push(conn);
  }
  let counting = false;
  let stopped = false;
  let messages = 0;
  for (const conn of sockets) {
    let pending = 0;
    conn.socket.removeAllListeners("data");
    conn.socket.on("data", (chunk) => {
      pending += chunk.length;
      while (pending >= replySize) {
        pending -= replySize;
        if (counting) messages++;
        if (!stopped) conn.socket.write(frame);
      }
    });
    conn.socket.write(frame);
  }
  await new Promise((r) => setTimeout(r, warmupMs));
  counting = true;
  await new Promise((r) => setTimeout(r, measureMs));
  counting = false;
  stopped = true;
  const counted = messages;
  for (const conn of sockets) conn.socket.destroy();
  return { messages: counted, failed };
}

function awaitAll(timeoutMs) {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      pendingAwait = null;
      resolve({ got: gotCount, total: conns.size, first: firstAt, last: lastAt });
    };
    const timer = setTimeout(finish, timeoutMs);
    pendingAwait = finish;
    if (gotCount >= conns.size) finish();
  });
}

async function closeAll() {
  const all = [...conns];
  conns.clear();
  await Promise.all(
    all.map(
      (c) =>
        new Promise((resolve) => {
          if (c.socket.destroyed) return resolve();
          c.socket.once("close", resolve);
          c.socket.destroy();
        }),
    ),
  );
  return { closed: all.length };
}

process.on("message", async (msg) => {
  const reply = (value) => process.send({ id: msg.id, ...value });
  switch (msg.op) {
    case "open":
      return reply(await openMany(msg.kind, msg.port, msg.n, msg.window));
    case "arm":
      token = msg.token;
      gotCount = 0;
      firstAt = Infinity;
      lastAt = 0;
      return reply({ armed: conns.size });
    case "await":
      return reply(await awaitAll(msg.timeoutMs));
    case "echo":
      return reply(await echo(msg.port, msg.clients, msg.warmupMs, msg.measureMs));
    case "close":
      return reply(await closeAll());
    case "exit":
      process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
