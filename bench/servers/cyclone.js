// Hello world in Cyclone on its Node host, exactly as a user writes it (built files, dist/).
import { Application, HTTPServer, RequestHandler } from "../../dist/node/index.js";
import { BODY, ready } from "./ready.js";

class MainHandler extends RequestHandler {
  get() {
    this.write(BODY);
  }
}

const server = new HTTPServer(new Application([["/", MainHandler]]));
await server.listen(0, "127.0.0.1");
ready(server.address().port);
