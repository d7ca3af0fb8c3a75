// Diagnostic variant (opt-in: BENCH_SERVERS=cyclone-noetag): Cyclone's Hello world with
// `computeEtag()` returning null, Tornado's documented way to turn ETags off. Run beside
// `cyclone` it prices the per-response SHA-1 ETag.
import { Application, HTTPServer, RequestHandler } from "../../dist/node/index.js";
import { BODY, ready } from "./ready.js";

class MainHandler extends RequestHandler {
  get() {
    this.write(BODY);
  }
  computeEtag() {
    return null;
  }
}

const server = new HTTPServer(new Application([["/", MainHandler]]));
await server.listen(0, "127.0.0.1");
ready(server.address().port);
