// The chat demo on the Node host: `npm start` (port 8888, or --port=N; --address=127.0.0.1
// to listen on one interface only).
import { join } from "node:path";
import { define, IOLoop, options, parseCommandLine } from "cyclone/node";
import { makeChatApp } from "./app.js";

define("port", { default: 8888, type: "int", help: "port to listen on" });
define("address", { default: "", help: "address to listen on (every interface when empty)" });
define("cookie_secret", { default: "", help: "secret for signed cookies (a random one when empty)" });
define("debug", { default: false, type: "bool", help: "reload on changes, stack traces in error pages" });
parseCommandLine();

// Templates and static files sit beside the sources; this file runs from build/examples/chat.
const root = join(import.meta.dirname, "..", "..", "..", "examples", "chat");
const secret = String(options["cookie_secret"] || "") || crypto.randomUUID() + crypto.randomUUID();
const app = makeChatApp({
  cookieSecret: secret,
  templatePath: join(root, "templates"),
  staticPath: join(root, "static"),
  debug: Boolean(options["debug"]),
});
const address = String(options["address"] || "");
app.listen(Number(options["port"]), address || undefined);
console.log(`Cyclone chat on http://${address || "localhost"}:${options["port"]}/`);
IOLoop.current().start();
