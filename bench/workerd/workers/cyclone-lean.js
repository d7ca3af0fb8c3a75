// Cyclone as lean as an app can make it, for the workerd benchmark: the tiny entry (no
// optional feature installed) and handlers that send what Hono sends — no Server, Date or
// Etag header (Tornado's defaults, which `cyclone` keeps) — by overriding the two hooks
// Tornado provides for it. Same routes and bodies as cyclone.js.
import { Application, RequestHandler, toWorker } from "cyclone/edge/tiny";

class LeanHandler extends RequestHandler {
  setDefaultHeaders() {
    this.clearHeader("Server");
    this.clearHeader("Date");
  }
  computeEtag() {
    return null;
  }
}

class MainHandler extends LeanHandler {
  get() {
    this.write("Hello, world");
  }
}

class JsonHandler extends LeanHandler {
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
