// Tornado's Hello world, line for line, on the Node host.
import { IOLoop } from "cyclone/node";
import { makeApp } from "./app.js";

const app = makeApp();
app.listen(8888);
IOLoop.current().start();
