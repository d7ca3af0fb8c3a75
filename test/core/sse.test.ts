/**
 * Server-sent events in the core: the framing rules, and a stream served through
 * `app.fetch` (the path the Workers host takes), read as a Web stream.
 */
import { describe, expect, test } from "vitest";
import { Application } from "../../src/core/index.js";
import { EventSourceHandler, formatServerSentEvent } from "../../src/core/sse.js";

describe("framing", () => {
  test("fields come in a fixed order and the frame ends with a blank line", () => {
    expect(formatServerSentEvent({ data: "x", retry: 10, id: "i", event: "e" })).toBe("event: e\nid: i\nretry: 10\ndata: x\n\n");
  });

  test("every kind of line break splits data into data lines", () => {
    expect(formatServerSentEvent({ data: "a\r\nb\rc\nd" })).toBe("data: a\ndata: b\ndata: c\ndata: d\n\n");
  });

  test("empty data is one empty data line; no data is no data line", () => {
    expect(formatServerSentEvent({ data: "" })).toBe("data: \n\n");
    expect(formatServerSentEvent({ id: "3" })).toBe("id: 3\n\n");
  });

  test("objects are JSON, escaped as Tornado's json_encode", () => {
    expect(formatServerSentEvent({ data: { a: "</b>" } })).toBe('data: {"a": "<\\/b>"}\n\n');
  });

  test("fields that would break the frame are refused", () => {
    expect(() => formatServerSentEvent({ event: "a\nb" })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ id: "a\rb" })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ id: "a\0b" })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ retry: -1 })).toThrow(TypeError);
    expect(() => formatServerSentEvent({ retry: 1.5 })).toThrow(TypeError);
  });
});

class CountHandler extends EventSourceHandler {
  override async get() {
    const from = Number(this.lastEventId ?? 0);
    for (let n = from + 1; n <= from + 3; n++) await this.sendEvent({ id: String(n), data: String(n) });
    await this.endEventStream();
  }
}

class WaitingHandler extends EventSourceHandler {
  static left: (() => void) | undefined;
  override get keepAliveInterval() {
    return 0;
  }
  override async get() {
    await this.sendEvent("waiting");
    await this.eventStreamClosed;
    WaitingHandler.left?.();
  }
}

const app = new Application([["/count", CountHandler], ["/wait", WaitingHandler]]);

describe("through app.fetch", () => {
  test("events stream with the event-stream headers and resume from Last-Event-ID", async () => {
    const res = await app.fetch(new Request("http://example.com/count", { headers: { "Last-Event-ID": "5" } }));
    expect(res.headers.get("Content-Type")).toBe("text/event-stream; charset=utf-8");
    expect(await res.text()).toBe("id: 6\ndata: 6\n\nid: 7\ndata: 7\n\nid: 8\ndata: 8\n\n");
  });

  test("a client that aborts ends the stream and releases the waiting handler", async () => {
    const controller = new AbortController();
    const left = new Promise<void>((resolve) => (WaitingHandler.left = resolve));
    const res = await app.fetch(new Request("http://example.com/wait", { signal: controller.signal }));
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("data: waiting\n\n");
    controller.abort();
    await Promise.race([left, new Promise((_, reject) => setTimeout(() => reject(new Error("handler not released")), 2000))]);
  });
});
