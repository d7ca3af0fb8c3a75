/** The behaviour suite against the Workers host, inside workerd. */
import { SELF } from "cloudflare:test";
import { type BehaviourClient, defineBehaviourSuite } from "../behaviour/suite.js";
import { defineStatefulSuite } from "../behaviour/stateful-suite.js";
import { defineWebSuite } from "../behaviour/web-suite.js";

const client: BehaviourClient = {
  hostKind: "edge",
  fetch(path, init = {}) {
    const { host, ...rest } = init;
    return SELF.fetch(`http://${host ?? "example.com"}${path}`, rest);
  },
};

defineBehaviourSuite(() => client);
defineWebSuite(() => client);
defineStatefulSuite(() => client);
