// The chat demo as a Cloudflare Worker: `npx wrangler dev`, `npx wrangler deploy`.
// Every room is a Durable Object; templates are precompiled and static files come from
// the Static Assets binding, both by the build command in wrangler.toml.
import { AssetsFileSource, PrecompiledLoader, toWorker } from "cyclone/edge";
import { makeChatApp } from "./app.js";
import manifest from "./generated/assets.js";
import templates from "./generated/templates.js";

export { CycloneDurableObject } from "cyclone/edge";

interface Env {
  /** Set with `npx wrangler secret put COOKIE_SECRET` (or in .dev.vars for wrangler dev). */
  COOKIE_SECRET?: string;
}

// Without a configured secret, a random one per isolate (made in the first request:
// Workers allow no randomness at start-up): sign-ins then last only as long as the
// isolate, which is enough to try the demo but not to run it.
export default toWorker<Env>((env) =>
  makeChatApp({
    cookieSecret: env.COOKIE_SECRET || crypto.randomUUID() + crypto.randomUUID(),
    templateLoader: new PrecompiledLoader(templates),
    staticPath: "/",
    staticFileSource: new AssetsFileSource(manifest),
  }),
);
