/**
 * Cyclone's Workers host: `cyclone/edge`.
 *
 * Everything in the core, plus what ties an `Application` to the Workers runtime:
 * `toWorker(app)` gives the module's default export (an `Application` is also usable as
 * one directly, since it has a bound `fetch`).
 * @module
 */

export * from "../core/index.js";
export * from "./host.js";
