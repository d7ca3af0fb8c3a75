/**
 * Hello world, from Tornado's front page. One module serves both hosts: node.ts runs it
 * on a socket server, worker.ts exports it to Cloudflare Workers.
 */
import { Application, RequestHandler } from "cyclone";

export class MainHandler extends RequestHandler {
  override get() {
    this.write("Hello, world");
  }
}

export function makeApp() {
  return new Application([["/", MainHandler]]);
}
