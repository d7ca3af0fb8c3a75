// The start-up and control contract shared by the WebSocket / long-poll benchmark servers
// (bench/tornado/server.py keeps the same one): each server listens on 127.0.0.1 on a port
// the OS picks and prints `READY <port>`; the runner then drives it over plain HTTP:
//
//   GET  /count            {"sockets": open WebSockets, "waiters": waiting long polls}
//   POST /gc               a full garbage collection (node --expose-gc; Python gc.collect)
//   POST /broadcast?m=TEXT send TEXT to every open WebSocket (one room)
//   POST /notify?m=TEXT    answer every waiting long poll with TEXT
//   GET  /ws               a WebSocket that joins the room and echoes what it gets
//   GET  /poll             a long poll: waits for the next /notify
//
// SIGTERM ends the process through process.exit, so `node --cpu-prof` writes its profile.

/** Announces the bound port and installs the clean-exit handlers. */
export function ready(port) {
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
  process.stdout.write(`READY ${port}\n`);
}

/** A full collection when the process was started with --expose-gc (a no-op otherwise). */
export function collectGarbage() {
  if (typeof globalThis.gc === "function") {
    globalThis.gc();
    globalThis.gc();
  }
}
