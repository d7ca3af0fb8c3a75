/**
 * The template smoke test's Worker: the shared application (app.ts) with its templates from
 * the module `cyclone templates build` wrote (generated/templates.gen.js, written by the test
 * before the wrangler build). No compiler and no eval in this bundle.
 * @module
 */

import { PrecompiledLoader, toWorker } from "../../../src/edge/index.js";
import { makeTemplateApp } from "./app.js";
import precompiled from "./generated/templates.gen.js";

export default toWorker(makeTemplateApp({ templateLoader: new PrecompiledLoader(precompiled) }));
