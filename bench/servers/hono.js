// Hello world in Hono on @hono/node-server (Web Request/Response over node:http).
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { BODY, ready } from "./ready.js";

const app = new Hono();
app.get("/", (c) => c.text(BODY));
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => ready(info.port));
