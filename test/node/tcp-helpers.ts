/**
 * Shared fixtures for the stream and TCP tests: connected stream pairs over real
 * 127.0.0.1 sockets (plain and TLS), log capture, and bounded waiting.
 * @module
 */

import fs from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import type { LogRecord, Logger } from "../../src/core/log.js";
import { IOStream, SSLIOStream, type IOStreamOptions } from "../../src/node/iostream.js";
import { addAcceptHandler, bindSockets, sslWrapSocket } from "../../src/node/netutil.js";

export const CERT_FILE = fileURLToPath(new URL("../fixtures/tls/cert.pem", import.meta.url));
export const KEY_FILE = fileURLToPath(new URL("../fixtures/tls/key.pem", import.meta.url));
export const CERT = fs.readFileSync(CERT_FILE);
export const KEY = fs.readFileSync(KEY_FILE);

/** The port a listening server is bound to. */
export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** Rejects if `promise` has not settled within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what = "operation"): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when the stream's close callback runs. */
export function whenClosed(stream: IOStream): Promise<void> {
  return new Promise((resolve) => stream.setCloseCallback(resolve));
}

/** Records everything `logger` emits (DEBUG and up) until `stop()` is called. */
export function captureLog(logger: Logger): { records: LogRecord[]; stop: () => void; messages: () => string[] } {
  const records: LogRecord[] = [];
  const handler = (r: LogRecord): void => {
    records.push(r);
  };
  const level = logger.level;
  logger.setLevel("DEBUG");
  logger.addHandler(handler);
  return {
    records,
    stop: () => {
      logger.removeHandler(handler);
      logger.level = level;
    },
    messages: () => records.map((r) => r.message),
  };
}

/** A port nothing listens on: bound, read, released. */
export async function refusingPort(): Promise<number> {
  const [server] = await bindSockets(0, "127.0.0.1");
  const port = portOf(server!);
  await new Promise((r) => server!.close(r));
  return port;
}

export type PairKind = "plain" | "tls";

/** A connected pair `[server, client]` of streams over 127.0.0.1, plain or TLS. */
export async function streamPair(kind: PairKind = "plain", options: IOStreamOptions = {}): Promise<[IOStream, IOStream]> {
  const [listener] = await bindSockets(0, "127.0.0.1");
  const port = portOf(listener!);
  const accepted = new Promise<IOStream>((resolve) => {
    addAcceptHandler(listener!, (conn) => {
      resolve(
        kind === "tls"
          ? new SSLIOStream(sslWrapSocket(conn, { cert: CERT, key: KEY }, { serverSide: true }), options)
          : new IOStream(conn, options),
      );
    });
  });
  let client: IOStream;
  if (kind === "tls") {
    const c = new SSLIOStream(tls.connect({ host: "127.0.0.1", port, ca: CERT, servername: "localhost" }), options);
    await c.waitForHandshake();
    client = c;
  } else {
    client = await new IOStream(new net.Socket(), options).connect({ host: "127.0.0.1", port });
  }
  const server = await accepted;
  if (server instanceof SSLIOStream) await server.waitForHandshake();
  listener!.close();
  return [server, client];
}
