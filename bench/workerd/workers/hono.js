// Hono on Workers for the workerd benchmark: Hello world and a JSON route, the default
// `hono` entry (SmartRouter over RegExpRouter and TrieRouter).
import { Hono } from "hono";

const app = new Hono();
app.get("/", (c) => c.text("Hello, world"));
app.get("/json", (c) => c.json({ message: "Hello, world" }));

export default app;
