/**
 * Stateful routes for the behaviour suite: per-room state, storage and long polling.
 * Mounted under /s/ by app.ts. On Workers each room runs in its own Durable Object.
 */
import { Application, Condition, RequestHandler, stateful } from "../../src/core/index.js";

// Module-level state: per process on Node, per isolate on Workers (shared by the objects
// of one isolate), so it is keyed by room.
const waiters = new Map<string, { condition: Condition; messages: string[] }>();

function room(name: string) {
  let r = waiters.get(name);
  if (r === undefined) {
    r = { condition: new Condition(), messages: [] };
    waiters.set(name, r);
  }
  return r;
}

@stateful((_request, [name]) => name!)
class WhoHandler extends RequestHandler {
  override get(name: string) {
    const ctx = this.request.executionContext as { id?: { toString(): string } } | undefined;
    this.write({ room: name, key: this.stateKey ?? null, object: ctx?.id?.toString() ?? null, remoteIp: this.request.remoteIp });
  }
}

@stateful((_request, [name]) => name!)
class StorageHandler extends RequestHandler {
  override async get(_name: string) {
    const all = await this.storage.list<string>({ prefix: "k:" });
    this.write({ value: (await this.storage.get<string>("k:value")) ?? null, keys: [...all.keys()] });
  }
  override async post(_name: string) {
    await this.storage.put("k:value", this.getArgument("value"));
    this.write("stored");
  }
  override async delete(_name: string) {
    this.write({ deleted: await this.storage.delete("k:value") });
  }
}

@stateful((_request, [name]) => name!)
class WaitHandler extends RequestHandler {
  override async get(name: string) {
    const r = room(name);
    const seen = r.messages.length;
    const woke = await r.condition.wait(5000);
    this.write({ woke, messages: r.messages.slice(seen) });
  }
}

@stateful((_request, [name]) => name!)
class NotifyHandler extends RequestHandler {
  override post(name: string) {
    const r = room(name);
    r.messages.push(this.getArgument("message"));
    const waiting = r.condition.waiterCount;
    r.condition.notifyAll();
    this.write({ waiting });
  }
}

class PlainHandler extends RequestHandler {
  override get() {
    const ctx = this.request.executionContext as { id?: unknown } | undefined;
    this.write({ stateKey: this.stateKey ?? null, inObject: ctx?.id !== undefined });
  }
}

/** The stateful application, mounted under /s/. */
export function makeStatefulApp(): Application {
  return new Application([
    ["/s/room/(\\w+)/who", WhoHandler],
    ["/s/room/(\\w+)/storage", StorageHandler],
    ["/s/room/(\\w+)/wait", WaitHandler],
    ["/s/room/(\\w+)/notify", NotifyHandler],
    ["/s/plain", PlainHandler],
  ]);
}
