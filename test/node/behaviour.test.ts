/** The behaviour suite against the Node host, over real sockets on 127.0.0.1. */
import * as http from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { HTTPServer } from "../../src/node/index.js";
import { makeBehaviourApp } from "../behaviour/app.js";
import { type BehaviourClient, defineBehaviourSuite } from "../behaviour/suite.js";
import { defineStatefulSuite } from "../behaviour/stateful-suite.js";
import { defineWebSuite } from "../behaviour/web-suite.js";

let server: HTTPServer;
let base = "";

beforeAll(async () => {
  server = new HTTPServer(makeBehaviourApp({ templatePath: join(import.meta.dirname, "..", "fixtures", "behaviour-templates") }));
  await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${server.address()!.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await server.stop();
});

// fetch() will not send a Host of our choosing, so host-routing requests use node:http.
function getWithHost(path: string, host: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + path, { headers: { Host: host } }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve(new Response(Buffer.concat(parts), { status: res.statusCode! })));
    });
    req.on("error", reject);
    req.end();
  });
}

const client: BehaviourClient = {
  hostKind: "node",
  fetch(path, init = {}) {
    const { host, ...rest } = init;
    if (host !== undefined) return getWithHost(path, host);
    return fetch(base + path, rest);
  },
};

defineBehaviourSuite(() => client);
defineWebSuite(() => client);
defineStatefulSuite(() => client);
