// Specification of src/core/locks.ts, translated from Tornado's tornado/test/locks_test.py.
import { describe, expect, it } from "vitest";
import {
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  LockReleaseError,
  Releaser,
  Semaphore,
  SemaphoreReleaseError,
  TimeoutError,
} from "../../src/core/locks.js";

import { tick, track } from "./settle.js";

describe("Condition", () => {
  it("describes its waiters in toString", () => {
    const c = new Condition();
    expect(String(c)).toBe("<Condition>");
    void c.wait();
    expect(String(c)).toBe("<Condition waiters[1]>");
  });

  it("resolves wait() with true when notified", async () => {
    const c = new Condition();
    setTimeout(() => c.notify(), 10);
    expect(await c.wait()).toBe(true);
  });

  it("wakes one waiter per notify(1), oldest first", async () => {
    const c = new Condition();
    const history: string[] = [];
    void c.wait().then(() => history.push("wait1"));
    void c.wait().then(() => history.push("wait2"));
    c.notify(1);
    await tick();
    history.push("notify1");
    c.notify(1);
    await tick();
    history.push("notify2");
    expect(history).toEqual(["wait1", "notify1", "wait2", "notify2"]);
  });

  it("wakes n waiters in the order they waited", async () => {
    const c = new Condition();
    const history: number[] = [];
    for (let i = 0; i < 6; i++) void c.wait().then(() => history.push(i));
    c.notify(3);
    await tick();
    expect(history).toEqual([0, 1, 2]);
    c.notify(1);
    await tick();
    expect(history).toEqual([0, 1, 2, 3]);
    c.notify(2);
    await tick();
    expect(history).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("wakes every waiter on notifyAll()", async () => {
    const c = new Condition();
    const history: (number | string)[] = [];
    for (let i = 0; i < 4; i++) void c.wait().then(() => history.push(i));
    c.notifyAll();
    await tick();
    history.push("notifyAll");
    expect(history).toEqual([0, 1, 2, 3, "notifyAll"]);
  });

  it("resolves wait() with false when the timeout passes first", async () => {
    const c = new Condition();
    const wait = c.wait(10);
    setTimeout(() => c.notify(), 20); // too late
    await tick(30);
    expect(await wait).toBe(false);
  });

  it("resolves wait() with true when notified before the timeout", async () => {
    const c = new Condition();
    setTimeout(() => c.notify(), 10);
    const wait = c.wait(200);
    expect(await wait).toBe(true);
  });

  it("accepts a Date as an absolute deadline", async () => {
    const c = new Condition();
    expect(await c.wait(new Date(Date.now() + 10))).toBe(false);
  });

  it("treats a deadline in the past as an immediate timeout", async () => {
    const c = new Condition();
    expect(await c.wait(new Date(Date.now() - 1000))).toBe(false);
    expect(await c.wait(0)).toBe(false);
  });

  it("does not count timed-out waiters against notify(n)", async () => {
    const c = new Condition();
    const history: (number | string)[] = [];
    const record = (p: Promise<boolean>, key: number): void => {
      void p.then((ok) => history.push(ok ? key : "timeout"));
    };
    record(c.wait(), 0);
    record(c.wait(10), 1);
    record(c.wait(), 2);
    record(c.wait(), 3);
    await tick(20);
    expect(history).toEqual(["timeout"]);
    c.notify(2);
    await tick();
    expect(history).toEqual(["timeout", 0, 2]);
    c.notify();
    await tick();
    expect(history).toEqual(["timeout", 0, 2, 3]);
  });

  it("skips timed-out waiters in notifyAll()", async () => {
    const c = new Condition();
    const history: (number | string)[] = [];
    void c.wait().then(() => history.push(0));
    void c.wait(10).then((ok) => history.push(ok ? 1 : "timeout"));
    void c.wait().then(() => history.push(2));
    await tick(20);
    expect(history).toEqual(["timeout"]);
    c.notifyAll();
    await tick();
    expect(history).toEqual(["timeout", 0, 2]);
  });

  it("loses no notification when a woken waiter notifies again", async () => {
    const c = new Condition();
    const waits = [c.wait(), c.wait(), c.wait()];
    void waits[1]!.then(() => c.notify());
    const states = waits.map(track);
    c.notify(2);
    await tick();
    expect(states.every((w) => w.done)).toBe(true);
  });

  it("removes timed-out waiters at once, leaving no leak after 10,000 timeouts", async () => {
    const c = new Condition();
    const waits = Array.from({ length: 10_000 }, () => c.wait(1));
    const survivor = track(c.wait());
    expect(c.waiterCount).toBe(10_001);
    expect(await Promise.all(waits)).toEqual(Array(10_000).fill(false));
    expect(c.waiterCount).toBe(1);
    expect(survivor.done).toBe(false);
    c.notify();
    await tick();
    expect(survivor).toEqual({ done: true, value: true });
    expect(c.waiterCount).toBe(0);
  });

  it("rejects a malformed timeout synchronously and queues nothing", () => {
    const c = new Condition();
    expect(() => c.wait(Number.NaN)).toThrow(RangeError);
    expect(() => c.wait(new Date(Number.NaN))).toThrow(RangeError);
    expect(c.waiterCount).toBe(0);
  });
});

describe("Event", () => {
  it("describes its state in toString", () => {
    const e = new Event();
    expect(String(e)).toBe("<Event clear>");
    e.set();
    expect(String(e)).toBe("<Event set>");
  });

  it("releases waiters when set and blocks again once cleared", async () => {
    const e = new Event();
    const f0 = track(e.wait());
    e.set();
    const f1 = track(e.wait());
    e.clear();
    const f2 = track(e.wait());
    await tick();
    expect(f0.done).toBe(true);
    expect(f1.done).toBe(true);
    expect(f2.done).toBe(false);
  });

  it("rejects wait() with TimeoutError when the timeout passes, then works normally", async () => {
    const e = new Event();
    await expect(e.wait(10)).rejects.toBeInstanceOf(TimeoutError);
    expect(e.waiterCount).toBe(0);
    setTimeout(() => e.set(), 10);
    await e.wait(1000);
  });

  it("names the timeout error as Tornado does", async () => {
    const error = await new Event().wait(0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("TimeoutError");
    expect((error as Error).message).toBe("Timeout");
  });

  it("stays set when set twice", () => {
    const e = new Event();
    e.set();
    e.set();
    expect(e.isSet()).toBe(true);
  });

  it("wakes waiters from before and after a clear() on set()", async () => {
    const e = new Event();
    const f0 = track(e.wait());
    e.clear();
    const f1 = track(e.wait());
    e.set();
    await tick();
    expect(f0.done).toBe(true);
    expect(f1.done).toBe(true);
  });

  it("leaves no waiters behind after 10,000 timeouts", async () => {
    const e = new Event();
    const waits = Array.from({ length: 10_000 }, () => e.wait(1).catch((err: unknown) => err));
    expect(e.waiterCount).toBe(10_000);
    const errors = await Promise.all(waits);
    expect(errors.every((err) => err instanceof TimeoutError)).toBe(true);
    expect(e.waiterCount).toBe(0);
  });
});

describe("Semaphore", () => {
  it("refuses a negative initial value", () => {
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(-1)).toThrow("semaphore initial value must be >= 0");
  });

  it("describes its counter and waiters in toString", () => {
    const sem = new Semaphore();
    expect(String(sem)).toBe("<Semaphore [unlocked,value:1]>");
    void sem.acquire();
    expect(String(sem)).toBe("<Semaphore [locked]>");
    void sem.acquire();
    expect(String(sem)).toBe("<Semaphore [locked,waiters:1]>");
  });

  it("grants acquire() while the counter is positive and then waits for release()", async () => {
    const sem = new Semaphore();
    const f0 = track(sem.acquire());
    const f1 = track(sem.acquire());
    const f2 = track(sem.acquire());
    await tick();
    expect([f0.done, f1.done, f2.done]).toEqual([true, false, false]);
    sem.release();
    await tick();
    expect([f1.done, f2.done]).toEqual([true, false]);
    sem.release();
    await tick();
    expect(f2.done).toBe(true);
    sem.release();
    const f3 = track(sem.acquire());
    await tick();
    expect(f3.done).toBe(true);
    expect(sem.waiterCount).toBe(0);
  });

  it("rejects acquire() with TimeoutError and leaves the counter untouched", async () => {
    const sem = new Semaphore(2);
    await sem.acquire();
    await sem.acquire();
    const acquire = sem.acquire(10);
    setTimeout(() => sem.release(), 20); // too late for the timed acquire
    await expect(acquire).rejects.toBeInstanceOf(TimeoutError);
    await tick(20);
    expect(sem.value).toBe(1);
    void sem.acquire();
    const f = track(sem.acquire());
    await tick();
    expect(f.done).toBe(false);
    sem.release();
    await tick();
    expect(f.done).toBe(true);
  });

  it("grants a timed acquire() released before its timeout", async () => {
    const sem = new Semaphore(1);
    await sem.acquire();
    setTimeout(() => sem.release(), 10);
    await expect(sem.acquire(200)).resolves.toBeInstanceOf(Releaser);
  });

  it("lets an unbounded semaphore be released above its initial value", async () => {
    const sem = new Semaphore();
    sem.release();
    sem.release();
    const grants = [sem.acquire(), sem.acquire(), sem.acquire(), sem.acquire()].map(track);
    await tick();
    expect(grants.map((g) => g.done)).toEqual([true, true, true, false]);
  });

  it("leaves no waiters behind after 10,000 timeouts", async () => {
    const sem = new Semaphore(0);
    const waits = Array.from({ length: 10_000 }, () => sem.acquire(1).catch((e: unknown) => e));
    const survivor = track(sem.acquire());
    expect(sem.waiterCount).toBe(10_001);
    const errors = await Promise.all(waits);
    expect(errors.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(sem.waiterCount).toBe(1);
    sem.release();
    await tick();
    expect(survivor.done).toBe(true);
    expect(sem.value).toBe(0);
  });
});

describe("Semaphore releasers", () => {
  it("releases through the releaser in a finally block", async () => {
    const sem = new Semaphore();
    const held = await sem.acquire();
    try {
      expect(sem.value).toBe(0);
    } finally {
      held.release();
    }
    expect(sem.value).toBe(1);
  });

  it("releases when the block throws", async () => {
    const sem = new Semaphore();
    const run = async (): Promise<void> => {
      const held = await sem.acquire();
      try {
        throw new SyntaxError("boom");
      } finally {
        held.release();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(SyntaxError);
    expect(sem.value).toBe(1);
  });

  it("releases when disposed through Symbol.asyncDispose, as `await using` does", async () => {
    const sem = new Semaphore();
    const held = await sem.acquire();
    expect(sem.value).toBe(0);
    await held[Symbol.asyncDispose]();
    expect(sem.value).toBe(1);
  });

  it("releases when disposed through Symbol.dispose, as `using` does", async () => {
    const sem = new Semaphore();
    const held = await sem.acquire();
    held[Symbol.dispose]();
    expect(sem.value).toBe(1);
  });

  it("releases at the end of an `await using` block", async () => {
    const sem = new Semaphore();
    {
      await using _held = await sem.acquire();
      expect(sem.value).toBe(0);
    }
    expect(sem.value).toBe(1);
  });

  it("releases when an `await using` block throws", async () => {
    const sem = new Semaphore();
    const run = async (): Promise<void> => {
      await using _held = await sem.acquire();
      throw new SyntaxError("boom");
    };
    await expect(run()).rejects.toBeInstanceOf(SyntaxError);
    expect(sem.value).toBe(1);
  });

  it("releases only once however often it is released or disposed", async () => {
    const sem = new Semaphore(1);
    const held = await sem.acquire();
    held.release();
    held.release();
    await held[Symbol.asyncDispose]();
    expect(sem.value).toBe(1);
  });

  it("leaves the counter alone when a timed acquire fails", async () => {
    const sem = new Semaphore(0);
    await expect(sem.acquire(10)).rejects.toBeInstanceOf(TimeoutError);
    expect(sem.value).toBe(0);
  });

  it("serializes contending tasks", async () => {
    const sem = new Semaphore();
    const history: string[] = [];
    const f = async (index: number): Promise<void> => {
      const held = await sem.acquire();
      try {
        history.push(`acquired ${index}`);
        await tick(10);
        history.push(`release ${index}`);
      } finally {
        held.release();
      }
    };
    await Promise.all([f(0), f(1)]);
    expect(history).toEqual(["acquired 0", "release 0", "acquired 1", "release 1"]);
  });
});

describe("BoundedSemaphore", () => {
  it("refuses a release past its initial value", async () => {
    const sem = new BoundedSemaphore();
    expect(() => sem.release()).toThrow(SemaphoreReleaseError);
    expect(() => sem.release()).toThrow("Semaphore released too many times");
    void sem.acquire();
    const waiting = track(sem.acquire());
    await tick();
    expect(waiting.done).toBe(false);
    sem.release();
    await tick();
    expect(waiting.done).toBe(true);
    sem.release();
    expect(() => sem.release()).toThrow(SemaphoreReleaseError);
  });

  it("describes itself by its own class name", () => {
    expect(String(new BoundedSemaphore(2))).toBe("<BoundedSemaphore [unlocked,value:2]>");
  });
});

describe("Lock", () => {
  it("describes itself in toString", () => {
    const lock = new Lock();
    expect(String(lock)).toBe("<Lock _block=<BoundedSemaphore [unlocked,value:1]>>");
    void lock.acquire();
    expect(String(lock)).toBe("<Lock _block=<BoundedSemaphore [locked]>>");
  });

  it("grants the first acquire() and makes the next wait for release()", async () => {
    const lock = new Lock();
    const first = track(lock.acquire());
    const second = track(lock.acquire());
    await tick();
    expect(first.done).toBe(true);
    expect(second.done).toBe(false);
    expect(lock.locked).toBe(true);
    lock.release();
    await tick();
    expect(second.done).toBe(true);
    expect(lock.locked).toBe(true);
  });

  it("hands the lock over first come, first served", async () => {
    const lock = new Lock();
    await lock.acquire();
    const history: number[] = [];
    const f = async (index: number): Promise<void> => {
      const held = await lock.acquire();
      try {
        history.push(index);
      } finally {
        held.release();
      }
    };
    const tasks = [0, 1, 2, 3, 4].map(f);
    await tick();
    expect(history).toEqual([]);
    lock.release();
    await Promise.all(tasks);
    expect(history).toEqual([0, 1, 2, 3, 4]);
    expect(lock.locked).toBe(false);
  });

  it("unlocks when its releaser is disposed asynchronously", async () => {
    const lock = new Lock();
    const held = await lock.acquire();
    await held[Symbol.asyncDispose]();
    expect(lock.locked).toBe(false);
  });

  it("unlocks at the end of an `await using` block", async () => {
    const lock = new Lock();
    {
      await using _held = await lock.acquire();
      expect(lock.locked).toBe(true);
    }
    expect(lock.locked).toBe(false);
  });

  it("rejects acquire() with TimeoutError and stays locked", async () => {
    const lock = new Lock();
    void lock.acquire();
    await expect(lock.acquire(10)).rejects.toBeInstanceOf(TimeoutError);
    expect(lock.locked).toBe(true);
    expect(lock.waiterCount).toBe(0);
    const next = track(lock.acquire());
    await tick();
    expect(next.done).toBe(false);
  });

  it("refuses to release an unlocked lock", async () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(LockReleaseError);
    expect(() => lock.release()).toThrow("release unlocked lock");
    await lock.acquire();
    lock.release();
    expect(() => lock.release()).toThrow(LockReleaseError);
  });

  it("leaves no waiters behind after 10,000 timeouts", async () => {
    const lock = new Lock();
    await lock.acquire();
    const waits = Array.from({ length: 10_000 }, () => lock.acquire(1).catch((e: unknown) => e));
    expect(lock.waiterCount).toBe(10_000);
    const errors = await Promise.all(waits);
    expect(errors.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(lock.waiterCount).toBe(0);
  });
});

describe("Cancelling a wait with an AbortSignal", () => {
  it("withdraws a Condition waiter and rejects with the signal's reason", async () => {
    const c = new Condition();
    const left = new AbortController();
    const waiting = c.wait(undefined, left.signal);
    expect(c.waiterCount).toBe(1);
    const reason = new Error("client left");
    left.abort(reason);
    expect(c.waiterCount).toBe(0);
    await expect(waiting).rejects.toBe(reason);
  });

  it("lets notify(1) skip a cancelled waiter and wake the next one", async () => {
    const c = new Condition();
    const left = new AbortController();
    const first = track(c.wait(undefined, left.signal));
    const second = track(c.wait());
    left.abort();
    c.notify(1);
    await tick();
    expect(first.error).toBeInstanceOf(DOMException);
    expect(second.value).toBe(true);
  });

  it("rejects at once, queueing nothing, when the signal is already aborted", async () => {
    const c = new Condition();
    const reason = new Error("gone");
    const waiting = c.wait(undefined, AbortSignal.abort(reason));
    expect(c.waiterCount).toBe(0);
    await expect(waiting).rejects.toBe(reason);
  });

  it("ignores an abort after the waiter was notified", async () => {
    const c = new Condition();
    const left = new AbortController();
    const waiting = c.wait(undefined, left.signal);
    c.notifyAll();
    left.abort();
    expect(await waiting).toBe(true);
  });

  it("withdraws an Event waiter and rejects with the signal's reason", async () => {
    const e = new Event();
    const left = new AbortController();
    const waiting = e.wait(undefined, left.signal);
    left.abort(new Error("bye"));
    expect(e.waiterCount).toBe(0);
    await expect(waiting).rejects.toEqual(new Error("bye"));
    e.set();
    await expect(e.wait(undefined, AbortSignal.abort())).resolves.toBeUndefined();
  });
});
