// Shared start-up contract of the benchmark servers: each one listens on 127.0.0.1 on a
// port the OS picks, then prints `READY <port>` on stdout so bench/run.js knows where to
// send load. SIGTERM ends the process through process.exit, so `node --cpu-prof` still
// writes its profile (the default SIGTERM action would kill the process first).

/** Announces the bound port and installs the clean-exit handler. */
export function ready(port) {
  process.on("SIGTERM", () => process.exit(0));
  process.on("SIGINT", () => process.exit(0));
  process.stdout.write(`READY ${port}\n`);
}

/** The body every server answers with. */
export const BODY = "Hello, world";
