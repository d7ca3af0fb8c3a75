// Hello world in Fastify 5, default options (no logger).
import Fastify from "fastify";
import { BODY, ready } from "./ready.js";

const app = Fastify({ logger: false });
app.get("/", async () => BODY);
await app.listen({ port: 0, host: "127.0.0.1" });
ready(app.server.address().port);
