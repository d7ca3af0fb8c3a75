// The same Hello world as a Cloudflare Worker (`npx wrangler dev`).
import { toWorker } from "cyclone/edge";
import { makeApp } from "./app.js";

export default toWorker(makeApp());
