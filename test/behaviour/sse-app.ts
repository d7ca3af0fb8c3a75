/**
 * Stateful routes for test/edge/object-lifecycle.test.ts: per-key storage against
 * per-instance memory, a long poll that hears its client leave, and server-sent events —
 * each inside the Durable Object for its key on Workers. Mounted under /lc/ by app.ts.
 */
import { Application, Condition, EventSourceHandler, RequestHandler, stateful } from "../../src/core/index.js";
import type { KeyStorage } from "../../src/core/index.js";

const byRoom = (_request: unknown, [name]: readonly string[]) => name!;

// Memory that lives exactly as long as one instance of the object: its storage handle is
// made by the instance's constructor, so a fresh instance (what the runtime builds after an
// eviction) starts with none. Module-level state would not show that: it belongs to the
// isolate, which a simulated eviction keeps.
const instanceMemory = new WeakMap<KeyStorage, { memo?: string }>();

function memoryOf(storage: KeyStorage): { memo?: string } {
  let m = instanceMemory.get(storage);
  if (m === undefined) instanceMemory.set(storage, (m = {}));
  return m;
}

@stateful(byRoom)
class MemoHandler extends RequestHandler {
  override async get(_name: string) {
    this.write({ stored: (await this.storage.get<string>("memo")) ?? null, memory: memoryOf(this.storage).memo ?? null });
  }
  override async post(_name: string) {
    const value = this.getArgument("value");
    await this.storage.put("memo", value);
    memoryOf(this.storage).memo = value;
    this.write("kept");
  }
}

// Per isolate, keyed by room: the object for a room is the only one that touches its entry.
const conditions = new Map<string, Condition>();
const closes = new Map<string, number>();

function conditionFor(name: string): Condition {
  let c = conditions.get(name);
  if (c === undefined) conditions.set(name, (c = new Condition()));
  return c;
}

/** A long poll that withdraws its wait when the client goes away, as Tornado's chat demo does. */
@stateful(byRoom)
class PollHandler extends RequestHandler {
  #room = "";
  readonly #left = new AbortController();

  override async get(name: string) {
    this.#room = name;
    try {
      this.write({ woke: await conditionFor(name).wait(15_000, this.#left.signal) });
    } catch {
      // The client left: no one to answer.
    }
  }

  override onConnectionClose() {
    closes.set(this.#room, (closes.get(this.#room) ?? 0) + 1);
    this.#left.abort();
  }
}

@stateful(byRoom)
class PollStatusHandler extends RequestHandler {
  override get(name: string) {
    this.write({ waiting: conditionFor(name).waiterCount, closed: closes.get(name) ?? 0 });
  }
  override post(name: string) {
    const c = conditionFor(name);
    const waiting = c.waiterCount;
    c.notifyAll();
    this.write({ waiting });
  }
}

/**
 * Server-sent events: a greeting that shows the client's Last-Event-ID, then — only once
 * another request notifies the room, so a client that sees the greeting first proves the
 * stream is not buffered — two ticks with multi-line data, then the end.
 */
@stateful(byRoom)
class EventsHandler extends EventSourceHandler {
  override async get(name: string) {
    let n = Number(this.lastEventId ?? 0);
    await this.sendEvent({ id: String(n), event: "hello", data: { room: name, lastEventId: this.lastEventId } });
    const woke = await conditionFor(`events:${name}`).wait(10_000);
    for (let i = 0; i < 2; i++) await this.sendEvent({ id: String(++n), event: "tick", data: `tick ${n}\nwoke ${woke}` });
  }
}

@stateful(byRoom)
class EventsNextHandler extends RequestHandler {
  override post(name: string) {
    const c = conditionFor(`events:${name}`);
    const waiting = c.waiterCount;
    c.notifyAll();
    this.write({ waiting });
  }
}

/** The object-lifecycle application, mounted under /lc/. */
export function makeLifecycleApp(): Application {
  return new Application([
    ["/lc/room/(\\w+)/memo", MemoHandler],
    ["/lc/room/(\\w+)/poll", PollHandler],
    ["/lc/room/(\\w+)/poll-status", PollStatusHandler],
    ["/lc/room/(\\w+)/events", EventsHandler],
    ["/lc/room/(\\w+)/events-next", EventsNextHandler],
  ]);
}
