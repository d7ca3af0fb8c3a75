// Hello world for the bundle-size comparison, on the tiny entry: examples/hello as a
// Worker with no optional feature installed (cyclone/edge/tiny).
import { Application, RequestHandler, toWorker } from "cyclone/edge/tiny";

class MainHandler extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
}

export default toWorker(new Application([["/", MainHandler]]));
