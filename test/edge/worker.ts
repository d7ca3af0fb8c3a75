/** The Worker the edge tests run against: the behaviour app through the Workers host. */
import { toWorker } from "../../src/edge/index.js";
import { makeBehaviourApp } from "../behaviour/app.js";

export default toWorker(makeBehaviourApp());
