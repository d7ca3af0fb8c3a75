// Cyclone on Workers for the workerd benchmark: the Hello world of examples/hello plus a
// JSON route, exported with toWorker as a user would. Bundled from src/ by bench/workerd.
import { Application, RequestHandler } from "cyclone";
import { toWorker } from "cyclone/edge";

class MainHandler extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
}

class JsonHandler extends RequestHandler {
  get() {
    this.write({ message: "Hello, world" });
  }
}

export default toWorker(
  new Application([
    ["/", MainHandler],
    ["/json", JsonHandler],
  ]),
);
