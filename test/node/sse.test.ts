/**
 * Server-sent events on the Node host: a real HTTPServer on 127.0.0.1 read by a real
 * streaming client (fetch), checked as `EventSource` would parse it.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Application } from "../../src/core/index.js";
import { EventSourceHandler, EventStreamClosedError } from "../../src/core/sse.js";
import { HTTPServer } from "../../src/node/httpserver.js";
import { Signal, sleep, within } from "./websocket-helpers.js";

const seen = new Signal<unknown>();

class EventsHandler extends EventSourceHandler {
  override async get() {
    await this.startEventStream(2500);
    await this.sendEvent({ id: "1", event: "greeting", data: "hello\nworld" });
    await this.sendEvent({ id: "2", data: { n: 2, tag: "</script>" } });
    await this.sendEvent("bare text");
  }
}

class ResumeHandler extends EventSourceHandler {
  override async get() {
    await this.sendEvent({ data: `resumed after ${this.lastEventId}` });
  }
}

class KeepAliveHandler extends EventSourceHandler {
  override get keepAliveInterval() {
    return 0.05;
  }
  override async get() {
    await this.sendEvent("start");
    await this.eventStreamClosed;
    seen.push("client left");
    seen.push(await this.sendEvent("too late").catch((e: unknown) => e));
  }
}

let server: HTTPServer;
let base = "";

beforeAll(async () => {
  server = new HTTPServer(new Application([["/events", EventsHandler], ["/resume", ResumeHandler], ["/keepalive", KeepAliveHandler]]));
  await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${server.address()!.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await within(server.stop(), 5000, "server stop");
});

/** Reads a stream until `until` matches the text so far (bounded in time). */
async function readUntil(body: ReadableStream<Uint8Array>, until: (text: string) => boolean, ms = 3000): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  while (!until(text)) {
    if (Date.now() > deadline) throw new Error(`stream did not match within ${ms} ms: ${JSON.stringify(text)}`);
    const { value, done } = await within(reader.read(), ms, "stream read");
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe("server-sent events", () => {
  test("the stream is text/event-stream, uncached, framed as EventSource expects", async () => {
    const res = await fetch(`${base}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/event-stream; charset=utf-8");
    expect(res.headers.get("Cache-Control")).toBe("no-cache");
    expect(await res.text()).toBe(
      "retry: 2500\n\n" +
        "event: greeting\nid: 1\ndata: hello\ndata: world\n\n" +
        'id: 2\ndata: {"n": 2, "tag": "<\\/script>"}\n\n' +
        "data: bare text\n\n",
    );
  });

  test("Last-Event-ID from a reconnecting client is available", async () => {
    const res = await fetch(`${base}/resume`, { headers: { "Last-Event-ID": "41" } });
    expect(await res.text()).toBe("data: resumed after 41\n\n");
  });

  test("an idle stream gets keep-alive comments; a client that leaves ends it", async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/keepalive`, { signal: controller.signal });
    const text = await readUntil(res.body!, (t) => (t.match(/: keep-alive\n\n/g) ?? []).length >= 2);
    expect(text.startsWith("data: start\n\n: keep-alive\n\n")).toBe(true);
    controller.abort();
    expect(await seen.next()).toBe("client left");
    expect(await seen.next()).toBeInstanceOf(EventStreamClosedError);
    await sleep(120);
  });
});
