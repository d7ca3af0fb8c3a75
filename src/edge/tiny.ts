/**
 * Cyclone's Workers host over the core without optional features: `cyclone/edge/tiny`.
 *
 * The API of `cyclone/edge`, but no feature is installed (see `cyclone/tiny`), so a Worker
 * bundle holds only what the app uses: a Hello world is a third of the full entry's size.
 * Add features by importing them:
 *
 * @example
 * import { Application, RequestHandler, toWorker } from "cyclone/edge/tiny";
 * import "cyclone/features/signing"; // setSignedCookie, getSignedCookie, XSRF
 * class MainHandler extends RequestHandler { get() { this.write("Hello, world"); } }
 * export default toWorker(new Application([["/", MainHandler]]));
 * @module
 */

export * from "../core/tiny.js";
export * from "./host.js";
