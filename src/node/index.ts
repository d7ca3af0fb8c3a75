/**
 * Cyclone's Node host: `cyclone/node`.
 *
 * Everything in the core, plus sockets: `HTTPServer` on `node:http`, the `IOLoop`, timers,
 * executors on worker threads. Importing this module also makes `Application.listen`
 * work.
 * @module
 */

import { type Application, type ListenOptions, registerListenHost } from "../core/index.js";
import * as crypto from "node:crypto";
import { registerTemplateLoaderFactory, setDefaultStaticFileSource, setEtagHasher } from "../core/index.js";
import { NodeFileSource } from "./static.js";
import type { WhitespaceMode } from "../core/template/index.js";
import { installNodeHTTPClient } from "./httpclient.js";
import * as autoreload from "./autoreload.js";
import { Loader } from "./template.js";
import { HTTPServer, type HTTPServerOptions } from "./httpserver.js";

export * from "../core/index.js";
export { HTTPServer, type HTTPServerOptions } from "./httpserver.js";
export * from "./ioloop.js";
export * from "./executor.js";
export * from "./loop-handle.js";
export * from "./iostream.js";
export * from "./tcpserver.js";
export * from "./tcpclient.js";
export * from "./netutil.js";
// The template compiler (runtime-compiled templates) is Node's; Workers use precompiled ones.
export { DictLoader, Template, type TemplateOptions } from "../core/template/compiler.js";
export { Loader } from "./template.js";
export * from "./options.js";
export * from "./log.js";
export * as autoreload from "./autoreload.js";
export { NodeFileSource } from "./static.js";
export { NodeFallbackHandler, type NodeRequestListener } from "./fallback.js";
export { closeWebSockets, openWebSocketCount, serveUpgrade } from "./websocket.js";
export * from "./websocket-client.js";
// The Node loadTranslations also reads a directory of CSV files; it overrides the core one.
export { decodeTranslationFile, loadTranslations, type LoadTranslationsOptions } from "./locale.js";

export { installNodeHTTPClient, nodeTransport } from "./httpclient.js";

// On Node the HTTP client gets a transport with connect timeouts and raw bodies.
installNodeHTTPClient();

// Default ETags (SHA-1 of the body, as Tornado) with the native hash. The one-shot
// crypto.hash (Node 20.12+) costs a fifth of createHash().update().digest() on small bodies.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: "hex") => string }).hash;
setEtagHasher((chunks) => {
  if (oneShotHash !== undefined) {
    const data =
      chunks.length === 1
        ? chunks[0]!
        : chunks.every((c) => typeof c === "string")
          ? chunks.join("")
          : Buffer.concat(chunks.map((c) => (typeof c === "string" ? Buffer.from(c) : c)));
    return oneShotHash("sha1", data, "hex");
  }
  const h = crypto.createHash("sha1");
  for (const c of chunks) h.update(c);
  return h.digest("hex");
});

// staticPath means a directory on disk, streamed from it.
setDefaultStaticFileSource(new NodeFileSource());

// templatePath means a directory on disk, read by the filesystem Loader.
registerTemplateLoaderFactory(
  (path, options) =>
    new Loader(path, {
      ...(options.autoescape !== undefined ? { autoescape: options.autoescape } : {}),
      ...(options.whitespace !== undefined ? { whitespace: options.whitespace as WhitespaceMode } : {}),
    }),
);

registerListenHost((app: Application, port: number, address: string | undefined, options: ListenOptions) => {
  // As Tornado: `autoreload` (on with `debug`) restarts the process when a source changes.
  if (app.settings.autoreload) autoreload.start();
  const server = new HTTPServer(app, options as HTTPServerOptions);
  // As Tornado's listen(): binding errors (port in use) are fatal, not silently ignored.
  server.listen(port, address).catch((e: unknown) => {
    queueMicrotask(() => {
      throw e;
    });
  });
  return server;
});
export * from "./process.js";
export * from "./shutdown.js";
