/** Mounting fetch-style apps (itty-router) inside Cyclone, for the behaviour suite: /m/. */
import { type IRequest, Router } from "itty-router";
import { Application, FallbackHandler, RequestHandler } from "../../src/core/index.js";

const itty = Router();
itty.get("/m/itty/hello/:name", (request: IRequest) => new Response(`itty says hi to ${request.params["name"]}`, { headers: { "X-From": "itty" } }));
itty.post("/m/itty/echo", async (request: IRequest) => new Response(await request.text(), { status: 201, statusText: "Made" }));
itty.get("/m/itty/stream", () => {
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(c) {
      for (let i = 0; i < 3; i++) {
        c.enqueue(enc.encode(`part${i};`));
        await new Promise((r) => setTimeout(r, 5));
      }
      c.close();
    },
  });
  return new Response(body);
});

class OwnHandler extends RequestHandler {
  override get() {
    this.write("cyclone's own route");
  }
}

/** Cyclone with an itty-router router mounted under /m/itty/. */
export function makeMountApp(): Application {
  return new Application([
    ["/m/own", OwnHandler],
    ["/m/itty/.*", FallbackHandler, { fallback: itty }],
    ["/m/fn/.*", FallbackHandler, { fallback: (r: Request) => new Response(`fn saw ${new URL(r.url).pathname}`) }],
  ]);
}

/** The reverse: a Cyclone app mounted inside an itty-router router. */
export function makeIttyWithCyclone(): { fetch(request: Request): Promise<Response> } {
  const inner = new Application([["/app/hello", OwnHandler]]);
  const outer = Router();
  outer.all("/app/*", inner.fetch);
  outer.all("*", () => new Response("itty fallthrough", { status: 404 }));
  return { fetch: (request: Request) => outer.fetch(request) as Promise<Response> };
}
