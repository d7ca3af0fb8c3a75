// Specification of src/core/queues.ts, translated from Tornado's tornado/test/queues_test.py.
import { describe, expect, it } from "vitest";
import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  TaskDoneError,
  TimeoutError,
  pythonCompare,
  type QueueStore,
} from "../../src/core/queues.js";

import { tick, track } from "./settle.js";

describe("Queue basics", () => {
  it("describes its getters, putters and tasks in toString", () => {
    const q = new Queue<number | null>(1);
    void q.get();
    expect(String(q)).toBe("<Queue maxsize=1 getters[1]>");
    void q.put(null); // goes straight to the waiting getter
    void q.put(7);
    void q.put(8); // full: this putter waits
    expect(String(q)).toBe("<Queue maxsize=1 queue=[7] putters[1] tasks=2>");
  });

  it("returns items in the order they were put", () => {
    const q = new Queue<number>();
    for (const i of [1, 3, 2]) q.putNowait(i);
    expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([1, 3, 2]);
  });

  it("refuses a negative or non-numeric maxsize", () => {
    expect(() => new Queue(-1)).toThrow(RangeError);
    expect(() => new Queue(-1)).toThrow("maxsize can't be negative");
    expect(() => new Queue(null as unknown as number)).toThrow(TypeError);
    expect(() => new Queue(Number.NaN)).toThrow(TypeError);
  });

  it("blocks put() once maxsize items are held", async () => {
    const q = new Queue<number>(2);
    expect(q.empty()).toBe(true);
    expect(q.full()).toBe(false);
    expect(q.maxsize).toBe(2);
    const p0 = track(q.put(0));
    const p1 = track(q.put(1));
    await tick();
    expect([p0.done, p1.done]).toEqual([true, true]);
    expect(q.empty()).toBe(false);
    expect(q.full()).toBe(true);
    const p2 = track(q.put(2));
    await tick();
    expect(p2.done).toBe(false);
    expect(await q.get()).toBe(0); // makes room
    await tick();
    expect(p2.done).toBe(true);
    expect(q.full()).toBe(true);
    expect(q.qsize()).toBe(2);
  });

  it("is never full when unbounded", () => {
    const q = new Queue<number>();
    for (let i = 0; i < 1000; i++) q.putNowait(i);
    expect(q.full()).toBe(false);
    expect(q.qsize()).toBe(1000);
  });

  it("rounds a fractional maxsize up, as Python's queue does", async () => {
    const q = new Queue<number>(1.3);
    expect(q.empty()).toBe(true);
    expect(q.full()).toBe(false);
    q.putNowait(0);
    q.putNowait(1);
    expect(q.full()).toBe(true);
    expect(() => q.putNowait(2)).toThrow(QueueFull);
    expect(q.getNowait()).toBe(0);
    expect(q.full()).toBe(false);
    await q.put(2);
    const put = track(q.put(3));
    await tick();
    expect(put.done).toBe(false);
    expect(await q.get()).toBe(1);
    await tick();
    expect(put.done).toBe(true);
    expect(q.full()).toBe(true);
  });

  it("keeps FIFO order across many puts and gets", () => {
    const q = new Queue<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.putNowait(i);
      if (i % 3 === 0) out.push(q.getNowait());
    }
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});

describe("Queue.get", () => {
  it("resolves with an item already queued", async () => {
    const q = new Queue<number>();
    q.putNowait(0);
    expect(await q.get()).toBe(0);
  });

  it("returns an item without waiting from getNowait()", () => {
    const q = new Queue<number>();
    q.putNowait(0);
    expect(q.getNowait()).toBe(0);
  });

  it("throws QueueEmpty from getNowait() on an empty queue", () => {
    expect(() => new Queue<number>().getNowait()).toThrow(QueueEmpty);
  });

  it("takes from a full queue and lets a waiting putter in", async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const put = q.put(1);
    expect(await q.get()).toBe(0);
    await expect(put).resolves.toBeUndefined();
    expect(q.getNowait()).toBe(1);
  });

  it("waits for items put later", async () => {
    const q = new Queue<number>();
    q.putNowait(0);
    setTimeout(() => q.putNowait(1), 10);
    setTimeout(() => q.putNowait(2), 20);
    expect(await q.get(1000)).toBe(0);
    expect(await q.get(1000)).toBe(1);
    expect(await q.get(1000)).toBe(2);
  });

  it("rejects with TimeoutError when nothing arrives in time", async () => {
    const q = new Queue<number>();
    const timed = q.get(10);
    const untimed = q.get();
    await expect(timed).rejects.toBeInstanceOf(TimeoutError);
    q.putNowait(0);
    expect(await untimed).toBe(0);
  });

  it("times out at once with a zero timeout or a past deadline", async () => {
    const q = new Queue<number>();
    await expect(q.get(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(q.get(new Date(Date.now() - 1000))).rejects.toBeInstanceOf(TimeoutError);
  });

  it("resolves a timed get() fed before its timeout", async () => {
    const q = new Queue<number>();
    const get = q.get(10);
    void q.put(0);
    await tick(20);
    expect(await get).toBe(0);
  });

  it("drops timed-out getters at once", async () => {
    const q = new Queue<number>();
    const getters = Array.from({ length: 10 }, () => q.get(10).catch((e: unknown) => e));
    const get = track(q.get());
    expect(q.getterCount).toBe(11);
    const errors = await Promise.all(getters);
    expect(errors.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(q.getterCount).toBe(1);
    expect(get.done).toBe(false);
    q.putNowait(0);
    await tick();
    expect(get).toEqual({ done: true, value: 0 });
    expect(q.getterCount).toBe(0);
  });

  it("leaves no getters behind after 10,000 timeouts", async () => {
    const q = new Queue<number>();
    const getters = Array.from({ length: 10_000 }, () => q.get(1).catch((e: unknown) => e));
    const errors = await Promise.all(getters);
    expect(errors.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(q.getterCount).toBe(0);
    q.putNowait(1);
    expect(q.qsize()).toBe(1);
  });

  it("iterates with for await, one get() per step", async () => {
    const q = new Queue<number>();
    for (let i = 0; i < 5; i++) q.putNowait(i);
    const results: number[] = [];
    for await (const item of q) {
      results.push(item);
      if (item === 4) break;
    }
    expect(results).toEqual([0, 1, 2, 3, 4]);
  });

  it("waits inside for await until an item is put", async () => {
    const q = new Queue<string>();
    setTimeout(() => q.putNowait("late"), 10);
    for await (const item of q) {
      expect(item).toBe("late");
      break;
    }
    expect(q.getterCount).toBe(0);
  });
});

describe("Queue.put", () => {
  it("adds an item at once when there is room", async () => {
    const q = new Queue<number>();
    await q.put(0);
    expect(q.getNowait()).toBe(0);
  });

  it("throws QueueFull from putNowait() on a full queue", () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    expect(() => q.putNowait(1)).toThrow(QueueFull);
  });

  it("hands items to waiting getters in order", async () => {
    const q = new Queue<number>();
    const get0 = q.get();
    const get1 = q.get();
    await q.put(0);
    expect(await get0).toBe(0);
    await q.put(1);
    expect(await get1).toBe(1);
  });

  it("hands items to waiting getters from putNowait()", async () => {
    const q = new Queue<number>();
    const get0 = q.get();
    const get1 = q.get();
    q.putNowait(0);
    expect(await get0).toBe(0);
    q.putNowait(1);
    expect(await get1).toBe(1);
    expect(q.empty()).toBe(true);
  });

  it("waits for room made by later gets", async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    setTimeout(() => void q.get(), 10);
    setTimeout(() => void q.get(), 20);
    const puts = [q.put(0), q.put(1)].map(track);
    await tick();
    expect(puts.some((p) => p.done)).toBe(false);
    await tick(40);
    expect(puts.every((p) => p.done)).toBe(true);
  });

  it("rejects with TimeoutError when no room appears in time, without adding the item", async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const timed = q.put(1, 10);
    const put = q.put(2);
    await expect(timed).rejects.toBeInstanceOf(TimeoutError);
    expect(q.getNowait()).toBe(0);
    expect(await q.get()).toBe(2); // 1 was never put
    await put;
  });

  it("resolves a timed put() given room before its timeout", async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const put = q.put(1, 10);
    void q.get();
    await tick(20);
    await expect(put).resolves.toBeUndefined();
  });

  it("drops timed-out putters at once", async () => {
    const q = new Queue<number>(1);
    const putters = Array.from({ length: 10 }, (_, i) => q.put(i, 10).catch((e: unknown) => e));
    const put = track(q.put(10));
    expect(q.putterCount).toBe(10);
    const results = await Promise.all(putters);
    expect(results[0]).toBeUndefined(); // the first found room
    expect(results.slice(1).every((e) => e instanceof TimeoutError)).toBe(true);
    expect(q.putterCount).toBe(1);
    expect(put.done).toBe(false);
    expect(q.getNowait()).toBe(0);
    await tick();
    expect(put.done).toBe(true);
    expect(q.getNowait()).toBe(10);
  });

  it("leaves no putters behind after 10,000 timeouts", async () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    const putters = Array.from({ length: 10_000 }, (_, i) => q.put(i, 1).catch((e: unknown) => e));
    const errors = await Promise.all(putters);
    expect(errors.every((e) => e instanceof TimeoutError)).toBe(true);
    expect(q.putterCount).toBe(0);
    expect(q.qsize()).toBe(1);
  });
});

const queueClasses = [
  ["Queue", Queue],
  ["PriorityQueue", PriorityQueue],
  ["LifoQueue", LifoQueue],
] as const;

describe.each(queueClasses)("%s taskDone and join", (_name, QueueClass) => {
  it("throws TaskDoneError when taskDone() outnumbers puts", () => {
    const q = new QueueClass<number>();
    expect(() => q.taskDone()).toThrow(TaskDoneError);
    expect(() => q.taskDone()).toThrow("taskDone() called too many times");
  });

  it("resolves join() once workers have finished every item", async () => {
    const q = new QueueClass<number>();
    for (let i = 0; i < 100; i++) q.putNowait(i);
    let accumulator = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const item = await q.get();
        accumulator += item;
        q.taskDone();
        if (q.empty()) return;
        await tick(Math.random() * 2);
      }
    };
    void worker();
    void worker();
    await q.join(5000);
    expect(accumulator).toBe((99 * 100) / 2);
  });

  it("resolves join() on taskDone(), not on get()", async () => {
    const q = new QueueClass<number>();
    q.putNowait(0);
    const join = track(q.join());
    await tick();
    expect(join.done).toBe(false);
    await q.get();
    await tick();
    expect(join.done).toBe(false);
    q.taskDone();
    await tick();
    expect(join.done).toBe(true);
  });

  it("resolves join() at once on an untouched queue", async () => {
    const q = new QueueClass<number>();
    await q.join();
    await q.join();
  });

  it("rejects join() with TimeoutError while work is pending", async () => {
    const q = new QueueClass<number>();
    void q.put(0);
    await expect(q.join(10)).rejects.toBeInstanceOf(TimeoutError);
  });
});

describe("PriorityQueue", () => {
  it("returns the smallest entry first, comparing arrays like Python tuples", async () => {
    const q = new PriorityQueue<[number, string]>(2);
    q.putNowait([1, "a"]);
    q.putNowait([0, "b"]);
    expect(q.full()).toBe(true);
    void q.put([3, "c"]);
    void q.put([2, "d"]);
    expect(q.getNowait()).toEqual([0, "b"]);
    expect(await q.get()).toEqual([1, "a"]);
    expect(q.getNowait()).toEqual([2, "d"]);
    expect(await q.get()).toEqual([3, "c"]);
    expect(q.empty()).toBe(true);
  });

  it("sorts many numbers as a heap should", () => {
    const q = new PriorityQueue<number>();
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 503);
    for (const v of values) q.putNowait(v);
    const out: number[] = [];
    while (!q.empty()) out.push(q.getNowait());
    expect(out).toEqual([...values].sort((a, b) => a - b));
  });

  it("orders by a custom comparator", () => {
    const q = new PriorityQueue<{ due: number }>(0, (a, b) => b.due - a.due);
    for (const due of [2, 9, 4]) q.putNowait({ due });
    expect([q.getNowait().due, q.getNowait().due, q.getNowait().due]).toEqual([9, 4, 2]);
  });

  it("raises a TypeError for entries Python could not order", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(1);
    expect(() => q.putNowait("a")).toThrow(TypeError);
  });
});

describe("pythonCompare", () => {
  it("orders numbers, bigints and booleans numerically", () => {
    expect(pythonCompare(1, 2)).toBeLessThan(0);
    expect(pythonCompare(2n, 1)).toBeGreaterThan(0);
    expect(pythonCompare(true, 1)).toBe(0);
  });

  it("orders strings by code point, as Python does", () => {
    expect(pythonCompare("a", "b")).toBeLessThan(0);
    expect(pythonCompare("ab", "a")).toBeGreaterThan(0);
    // U+FFFD sorts before U+1F600 by code point although its UTF-16 unit is larger.
    expect(pythonCompare("\uFFFD", "\u{1F600}")).toBeLessThan(0);
    expect("\uFFFD" < "\u{1F600}").toBe(false);
  });

  it("orders arrays element by element, a prefix first", () => {
    expect(pythonCompare([1, "b"], [1, "a"])).toBeGreaterThan(0);
    expect(pythonCompare([1], [1, 0])).toBeLessThan(0);
    expect(pythonCompare([[1, 2], 3], [[1, 2], 4])).toBeLessThan(0);
  });

  it("never orders elements after the first unequal pair", () => {
    expect(pythonCompare([1, {}], [2, {}])).toBeLessThan(0);
  });

  it("orders Dates by time", () => {
    expect(pythonCompare(new Date(1), new Date(2))).toBeLessThan(0);
  });

  it("throws a TypeError naming both types for mismatched values", () => {
    expect(() => pythonCompare("a", 1)).toThrow(
      "'<' not supported between instances of 'string' and 'number'",
    );
    expect(() => pythonCompare({}, {})).toThrow(TypeError);
  });
});

describe("LifoQueue", () => {
  it("returns the most recent entry first", async () => {
    const q = new LifoQueue<number>(2);
    q.putNowait(1);
    q.putNowait(0);
    expect(q.full()).toBe(true);
    void q.put(3);
    void q.put(2);
    expect(q.getNowait()).toBe(3);
    expect(await q.get()).toBe(2);
    expect(q.getNowait()).toBe(0);
    expect(await q.get()).toBe(1);
    expect(q.empty()).toBe(true);
  });
});

describe("Queue subclasses", () => {
  it("take their ordering from createStore()", () => {
    class SortedDescending extends Queue<number> {
      protected override createStore(): QueueStore<number> {
        const items: number[] = [];
        return {
          get length() {
            return items.length;
          },
          push: (item) => {
            items.push(item);
            items.sort((a, b) => a - b);
          },
          take: () => items.pop()!,
          toArray: () => [...items],
        };
      }
    }
    const q = new SortedDescending();
    for (const n of [2, 7, 1]) q.putNowait(n);
    expect([q.getNowait(), q.getNowait(), q.getNowait()]).toEqual([7, 2, 1]);
  });
});

describe("producer and consumer", () => {
  it("process every item through a bounded queue before join() resolves", async () => {
    const q = new Queue<number>(3);
    const history: number[] = [];
    const consumer = async (): Promise<void> => {
      for (;;) {
        history.push(await q.get());
        q.taskDone();
      }
    };
    const producer = async (): Promise<void> => {
      for (let item = 0; item < 10; item++) await q.put(item);
    };
    void consumer();
    await producer();
    await q.join(5000);
    expect(history).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
