/**
 * Cyclone's runtime-agnostic core: `cyclone`.
 *
 * Handlers, routing, the request model, escaping, signing, locks and queues — everything
 * that runs unchanged on Node and on Cloudflare Workers. It uses Web-standard globals only
 * and imports nothing host-specific. The hosts add sockets (`cyclone/node`) or the Workers
 * runtime (`cyclone/edge`).
 *
 * Importing it installs every optional feature (features.ts); `cyclone/tiny` is the same
 * API with none installed.
 * @module
 */
import "./features/gzip.js";
import "./features/locale.js";
import "./features/multipart.js";
import "./features/signing.js";
import "./features/static.js";
import "./features/templates.js";

export * from "./tiny.js";
