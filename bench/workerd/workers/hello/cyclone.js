// Hello world for the bundle-size comparison: examples/hello as a Worker.
import { Application, RequestHandler } from "cyclone";
import { toWorker } from "cyclone/edge";

class MainHandler extends RequestHandler {
  get() {
    this.write("Hello, world");
  }
}

export default toWorker(new Application([["/", MainHandler]]));
