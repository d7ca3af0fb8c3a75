/** The Worker the edge tests run against: the behaviour app through the Workers host. */
import { PrecompiledLoader, toWorker } from "../../src/edge/index.js";
import { makeBehaviourApp } from "../behaviour/app.js";
// Written by global-setup.ts before the tests start.
import templates from "./generated/templates.js";

export { CycloneDurableObject } from "../../src/edge/index.js";
export default toWorker(makeBehaviourApp({ templateLoader: new PrecompiledLoader(templates) }));
