/**
 * A stateful route's life inside its Durable Object (routes: test/behaviour/sse-app.ts,
 * under /lc/): storage that outlives the instance, a long poll that hears its client
 * leave, and server-sent events streamed from the object to the client.
 *
 * Eviction is simulated, since vitest-pool-workers cannot evict an object: inside
 * runInDurableObject a fresh CycloneDurableObject is constructed over the same
 * DurableObjectState — what the runtime does when an evicted object is used again — and a
 * request is served by that fresh instance. It shows what an instance loses (its memory)
 * and what it keeps (Durable Object storage). The isolate itself stays, so module-level
 * variables survive this simulation; a real eviction may lose those too.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, test } from "vitest";
import { CycloneDurableObject, forwardToObject, REMOTE_IP_HEADER } from "../../src/edge/durable.js";
import type { DurableObjectNamespaceLike } from "../../src/edge/runtime-types.js";

const ORIGIN = "http://example.com";
const form = (body: string): RequestInit => ({ method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stubFor(key: string): DurableObjectStub {
  const ns = (env as unknown as { CYCLONE_OBJECTS: DurableObjectNamespace }).CYCLONE_OBJECTS;
  return ns.get(ns.idFromName(key));
}

/** Polls `read` every 20 ms, at most 100 times, until `done` holds; returns the last value. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !done(v); i++) {
    await sleep(20);
    v = await read();
  }
  return v;
}

describe("storage across an eviction", () => {
  test("a value put through this.storage is read back by a fresh instance; the instance's memory is gone", async () => {
    expect(await (await SELF.fetch(`${ORIGIN}/lc/room/evicted/memo`, form("value=kept%20value"))).text()).toBe("kept");
    expect(await (await SELF.fetch(`${ORIGIN}/lc/room/evicted/memo`)).json()).toEqual({ stored: "kept value", memory: "kept value" });

    const afterEviction = await runInDurableObject(stubFor("evicted"), async (object: CycloneDurableObject, state) => {
      const fresh = new CycloneDurableObject(state, object.env);
      await fresh.ready;
      return (await fresh.fetch(new Request(`${ORIGIN}/lc/room/evicted/memo`))).json();
    });
    expect(afterEviction).toEqual({ stored: "kept value", memory: null });
  });

  test("storage is the key's own: another key's fresh instance finds nothing", async () => {
    await SELF.fetch(`${ORIGIN}/lc/room/owner/memo`, form("value=mine"));
    const other = await runInDurableObject(stubFor("stranger"), async (object: CycloneDurableObject, state) => {
      const fresh = new CycloneDurableObject(state, object.env);
      await fresh.ready;
      return (await fresh.fetch(new Request(`${ORIGIN}/lc/room/stranger/memo`))).json();
    });
    expect(other).toEqual({ stored: null, memory: null });
  });
});

describe("a long poll inside the object", () => {
  const status = (room: string) => async () => (await (await SELF.fetch(`${ORIGIN}/lc/room/${room}/poll-status`)).json()) as { waiting: number; closed: number };

  test("sees its client go away: onConnectionClose runs and the Condition waiter is withdrawn", async () => {
    const client = new AbortController();
    const poll = SELF.fetch(`${ORIGIN}/lc/room/gone/poll`, { signal: client.signal });
    poll.catch(() => {});
    expect(await until(status("gone"), (s) => s.waiting === 1)).toEqual({ waiting: 1, closed: 0 });

    client.abort();
    await expect(poll).rejects.toThrow();
    expect(await until(status("gone"), (s) => s.closed === 1 && s.waiting === 0)).toEqual({ waiting: 0, closed: 1 });
  });

  test("the Worker hands the client's abort signal on with the request it forwards", async () => {
    const client = new AbortController();
    const forwarded: Request[] = [];
    const namespace: DurableObjectNamespaceLike = {
      idFromName: (name) => name,
      get: () => ({ fetch: async (request) => (forwarded.push(request), new Response("ok")) }),
    };
    await forwardToObject(namespace, "signal", new Request(`${ORIGIN}/lc/room/signal/poll`, { signal: client.signal }), "203.0.113.7");
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.headers.get(REMOTE_IP_HEADER)).toBe("203.0.113.7");
    expect(forwarded[0]!.signal.aborted).toBe(false);
    client.abort();
    expect(forwarded[0]!.signal.aborted).toBe(true);
  });

  test("a client that stays is woken by a notify and gets its answer; no close is seen", async () => {
    const poll = SELF.fetch(`${ORIGIN}/lc/room/stays/poll`);
    await until(status("stays"), (s) => s.waiting === 1);
    const notified = (await (await SELF.fetch(`${ORIGIN}/lc/room/stays/poll-status`, { method: "POST" })).json()) as { waiting: number };
    expect(notified.waiting).toBe(1);
    expect(await (await poll).json()).toEqual({ woke: true });
    expect(await status("stays")()).toEqual({ waiting: 0, closed: 0 });
  });
});

/** Reads the event stream incrementally, one parsed event at a time. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next event's fields (comment lines skipped), or null at the end of the stream. */
  async next(): Promise<Record<string, string> | null> {
    for (let reads = 0; reads < 100; reads++) {
      const end = this.#buffer.indexOf("\n\n");
      if (end !== -1) {
        const frame = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const fields: Record<string, string> = {};
        for (const line of frame.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(": ");
          const [name, value] = [line.slice(0, colon), line.slice(colon + 2)];
          fields[name] = name in fields ? `${fields[name]}\n${value}` : value;
        }
        if (Object.keys(fields).length > 0) return fields;
        continue;
      }
      const { done, value } = await this.#reader.read();
      if (done) return null;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
    throw new Error("no complete event after 100 reads");
  }
}

describe("server-sent events from inside the object", () => {
  test("framed events reach the client as they are sent, with the client's Last-Event-ID", async () => {
    const response = await SELF.fetch(`${ORIGIN}/lc/room/stream/events`, { headers: { "Last-Event-ID": "41" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-cache");
    const events = new EventReader(response.body!);

    // The handler sends the next events only after this notify: the greeting must be
    // readable before the response ends.
    const hello = await events.next();
    expect(hello).toMatchObject({ event: "hello", id: "41" });
    expect(JSON.parse(hello!.data!)).toEqual({ room: "stream", lastEventId: "41" });
    const next = (await (await SELF.fetch(`${ORIGIN}/lc/room/stream/events-next`, { method: "POST" })).json()) as { waiting: number };
    expect(next.waiting).toBe(1);

    expect(await events.next()).toEqual({ event: "tick", id: "42", data: "tick 42\nwoke true" });
    expect(await events.next()).toEqual({ event: "tick", id: "43", data: "tick 43\nwoke true" });
    expect(await events.next()).toBeNull();
  });

  test("without Last-Event-ID the handler sees null and counts from 0", async () => {
    const response = await SELF.fetch(`${ORIGIN}/lc/room/fresh/events`);
    const events = new EventReader(response.body!);
    const hello = await events.next();
    expect(hello).toMatchObject({ event: "hello", id: "0" });
    expect(JSON.parse(hello!.data!)).toEqual({ room: "fresh", lastEventId: null });
    await until(
      async () => ((await (await SELF.fetch(`${ORIGIN}/lc/room/fresh/events-next`, { method: "POST" })).json()) as { waiting: number }).waiting,
      (w) => w === 1,
    );
    expect((await events.next())?.id).toBe("1");
    expect((await events.next())?.id).toBe("2");
    expect(await events.next()).toBeNull();
  });
});
