/**
 * Timers inside a Durable Object, on its alarm: callLater/callAt/removeTimeout and periodic
 * callbacks, fired with runDurableObjectAlarm (or the object's alarm() on a fresh instance,
 * since runDurableObjectAlarm runs the runtime's own instance). Eviction is simulated by
 * constructing a fresh CycloneDurableObject over the same state.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, test } from "vitest";
import { genLog, type LogRecord } from "../../src/core/log.js";
import { CycloneDurableObject, onObjectStart } from "../../src/edge/durable.js";
import { ObjectTimerError, objectTimers } from "../../src/edge/timers.js";

type Stub = DurableObjectStub<never>;

function stubFor(key: string): Stub {
  const ns = (env as unknown as { CYCLONE_OBJECTS: DurableObjectNamespace }).CYCLONE_OBJECTS;
  return ns.get(ns.idFromName(key)) as unknown as Stub;
}

function inObject<R>(stub: Stub, fn: (object: CycloneDurableObject, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return runInDurableObject(stub, (instance, state) => fn(instance as unknown as CycloneDurableObject, state));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const records: LogRecord[] = [];
const capture = (r: LogRecord) => void records.push(r);
afterEach(() => {
  genLog.removeHandler(capture);
  records.length = 0;
});

describe("callLater", () => {
  test("sets the alarm to its deadline and runs when the alarm fires", async () => {
    const stub = stubFor("timers-once");
    const fired: string[] = [];
    const deadline = await inObject(stub, async (object, state) => {
      const h = object.timers.callLater(0.05, (what: string) => fired.push(what), "once");
      await sleep(0);
      expect(await state.storage.getAlarm()).toBe(h.deadline);
      return h.deadline;
    });
    await sleep(Math.max(0, deadline - Date.now()) + 20);
    await runDurableObjectAlarm(stub);
    expect(fired).toEqual(["once"]);
    expect(await inObject(stub, (_o, state) => state.storage.getAlarm())).toBeNull();
    expect(await inObject(stub, (o) => o.timers.pending)).toBe(0);
  });

  test("one alarm serves several timers: earliest first, then re-armed for the next", async () => {
    const stub = stubFor("timers-multi");
    const fired: string[] = [];
    const [soon, later] = await inObject(stub, async (object, state) => {
      const l = object.timers.callLater(60, () => fired.push("later"));
      const s = object.timers.callLater(0.05, () => fired.push("soon"));
      await sleep(0);
      expect(await state.storage.getAlarm()).toBe(s.deadline);
      return [s.deadline, l.deadline];
    });
    await sleep(Math.max(0, soon - Date.now()) + 20);
    await runDurableObjectAlarm(stub);
    expect(fired).toEqual(["soon"]);
    expect(await inObject(stub, (_o, state) => state.storage.getAlarm())).toBe(later);
  });

  test("removeTimeout cancels it and moves the alarm", async () => {
    const stub = stubFor("timers-remove");
    const fired: string[] = [];
    await inObject(stub, async (object, state) => {
      const h = object.timers.callLater(0.01, () => fired.push("removed"));
      object.timers.removeTimeout(h);
      object.timers.removeTimeout(h);
      await sleep(0);
      expect(await state.storage.getAlarm()).toBeNull();
      expect(await state.storage.list({ prefix: "__cyclone/timers/once/" })).toHaveProperty("size", 0);
    });
    await sleep(30);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect(fired).toEqual([]);
  });

  test("a callback that throws is logged and the others still run", async () => {
    const stub = stubFor("timers-throw");
    const fired: string[] = [];
    const { appLog } = await import("../../src/core/log.js");
    const errors: LogRecord[] = [];
    const onError = (r: LogRecord) => void errors.push(r);
    appLog.addHandler(onError);
    try {
      await inObject(stub, (object) => {
        object.timers.callLater(0.01, function failing() {
          throw new Error("timer failed on purpose");
        });
        object.timers.callLater(0.02, () => fired.push("after"));
      });
      await sleep(50);
      await runDurableObjectAlarm(stub);
    } finally {
      appLog.removeHandler(onError);
    }
    expect(fired).toEqual(["after"]);
    expect(errors.map((r) => r.message)).toEqual(["Exception in callback failing()"]);
  });

  test("callAt refuses a deadline that is not a number", async () => {
    await inObject(stubFor("timers-bad"), (object) => {
      expect(() => object.timers.callAt(Number.NaN, () => {})).toThrow(ObjectTimerError);
    });
  });
});

describe("periodic callbacks", () => {
  // The runtime may also fire a due alarm by itself: periods are long enough that only one
  // tick can fall due before the checks.
  test("tick when due, re-arm one period later, and stop", async () => {
    const stub = stubFor("timers-periodic");
    let ticks = 0;
    const first = await inObject(stub, async (object, state) => {
      await object.timers.periodicCallback("tick", () => void ticks++, 300).start();
      return (await state.storage.get<{ next: number }>("__cyclone/timers/every/tick"))!.next;
    });
    await sleep(Math.max(0, first - Date.now()) + 20);
    await runDurableObjectAlarm(stub);
    expect(ticks).toBe(1);
    await inObject(stub, async (object, state) => {
      expect(await state.storage.get("__cyclone/timers/every/tick")).toEqual({ next: first + 300, callbackTime: 300 });
      expect(await state.storage.getAlarm()).toBe(first + 300);
      expect(() => object.timers.periodicCallback("tick", () => {}, 10)).toThrow(ObjectTimerError);
    });
  });

  test("stop() clears the schedule and the alarm", async () => {
    const stub = stubFor("timers-stop");
    await inObject(stub, async (object, state) => {
      const pc = object.timers.periodicCallback("stopme", () => {}, 300);
      expect(pc.isRunning()).toBe(false);
      await pc.start();
      expect(pc.isRunning()).toBe(true);
      pc.stop();
      await sleep(0);
      expect(pc.isRunning()).toBe(false);
      expect(await state.storage.get("__cyclone/timers/every/stopme")).toBeUndefined();
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  test("refuse a period that is not positive", async () => {
    await inObject(stubFor("timers-period"), (object) => {
      expect(() => object.timers.periodicCallback("zero", () => {}, 0)).toThrow(ObjectTimerError);
    });
  });
});

describe("eviction", () => {
  test("a one-off that had not fired is reported by the next instance, then forgotten", async () => {
    const stub = stubFor("timers-lost");
    genLog.addHandler(capture);
    await inObject(stub, async (object, state) => {
      object.timers.callLater(600, function remindMe(_who: string) {}, "alice");
      await sleep(0);
      const fresh = new CycloneDurableObject(state as never, object.env);
      await fresh.ready;
      expect(await state.storage.list({ prefix: "__cyclone/timers/once/" })).toHaveProperty("size", 0);
    });
    const lost = records.filter((r) => r.message.includes("was lost"));
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toContain('remindMe("alice")');
    expect(lost[0]!.message).toContain("evicted before it fired");
  });

  test("periodic callbacks started by onObjectStart start again and resume their schedule", async () => {
    const key = "timers-resume";
    const beats: CycloneDurableObject[] = [];
    // Register on the application before the object's first instance starts.
    let app: CycloneDurableObject["application"] | undefined;
    await inObject(stubFor("timers-app"), (object) => void (app = object.application));
    onObjectStart(app!, async (object) => {
      if (object.key !== key) return;
      await object.timers.periodicCallback("beat", () => void beats.push(object), 300).start();
    });
    const stub = stubFor(key);
    let first: CycloneDurableObject | undefined;
    const next = await inObject(stub, async (object, state) => {
      first = object;
      return (await state.storage.get<{ next: number }>("__cyclone/timers/every/beat"))!.next;
    });
    await sleep(Math.max(0, next - Date.now()) + 20);
    await runDurableObjectAlarm(stub);
    expect(beats).toHaveLength(1);
    expect(beats[0]).toBe(first);
    await inObject(stub, async (object, state) => {
      const stored = await state.storage.get<{ next: number }>("__cyclone/timers/every/beat");
      expect(stored!.next).toBe(next + 300);
      const fresh = new CycloneDurableObject(state as never, object.env);
      await fresh.ready;
      // The fresh instance took over the stored schedule rather than starting afresh.
      expect(await state.storage.get("__cyclone/timers/every/beat")).toEqual(stored);
      expect(fresh.timers.pending).toBe(1);
      await sleep(Math.max(0, stored!.next - Date.now()) + 10);
      await fresh.alarm();
      expect(beats.at(-1)).toBe(fresh);
    });
  });

  test("a periodic callback no hook starts again is dropped by the next instance", async () => {
    const stub = stubFor("timers-orphan");
    await inObject(stub, async (object, state) => {
      await object.timers.periodicCallback("adhoc", () => {}, 1000).start();
      expect(await state.storage.get("__cyclone/timers/every/adhoc")).toBeDefined();
      const fresh = new CycloneDurableObject(state as never, object.env);
      await fresh.ready;
      expect(await state.storage.get("__cyclone/timers/every/adhoc")).toBeUndefined();
    });
  });
});

describe("objectTimers", () => {
  test("refuses a handler that does not run in a Durable Object", () => {
    const handler = { request: { executionContext: undefined } } as unknown as Parameters<typeof objectTimers>[0];
    expect(() => objectTimers(handler)).toThrow(ObjectTimerError);
  });
});
