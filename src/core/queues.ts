/**
 * Asynchronous queues for coordinating producer and consumer tasks — Tornado's
 * `tornado.queues`: {@link Queue} (first in, first out), {@link PriorityQueue} (lowest
 * first) and {@link LifoQueue} (last in, first out).
 *
 * Blocking calls take an optional {@link Timeout}: a number is a relative delay in
 * **milliseconds**, a `Date` an absolute deadline; on expiry they reject with
 * {@link TimeoutError} and the waiting getter or putter is dropped at once.
 * @module
 */

import { Event } from "./locks.js";
import { TimeoutError, type Timeout } from "./timeout.js";
import { Waiters } from "./waiters.js";

export { TimeoutError, type Timeout } from "./timeout.js";

/**
 * Raised by {@link Queue.getNowait} when the queue has no items — Tornado's `QueueEmpty`.
 *
 * @example
 * try { new Queue<number>().getNowait(); } catch (e) { e instanceof QueueEmpty; } // true
 */
export class QueueEmpty extends Error {
  override name = "QueueEmpty";
}

/**
 * Raised by {@link Queue.putNowait} when the queue is at its maximum size — Tornado's
 * `QueueFull`.
 *
 * @example
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * try { q.putNowait(2); } catch (e) { e instanceof QueueFull; } // true
 */
export class QueueFull extends Error {
  override name = "QueueFull";
}

/**
 * Raised by {@link Queue.taskDone} when called more times than items were put — Tornado's
 * `ValueError("task_done() called too many times")`.
 *
 * @example
 * try { new Queue().taskDone(); } catch (e) { e instanceof TaskDoneError; } // true
 */
export class TaskDoneError extends Error {
  override name = "TaskDoneError";
  constructor(message = "taskDone() called too many times") {
    super(message);
  }
}

/**
 * The storage behind a queue: the order in which items come out. Subclasses of
 * {@link Queue} supply their own by overriding `createStore()`.
 *
 * @example
 * class RandomQueue<T> extends Queue<T> {
 *   protected override createStore(): QueueStore<T> {
 *     const items: T[] = [];
 *     return {
 *       get length() { return items.length; },
 *       push: (item) => { items.push(item); },
 *       take: () => items.splice(Math.floor(Math.random() * items.length), 1)[0]!,
 *       toArray: () => [...items],
 *     };
 *   }
 * }
 */
export interface QueueStore<T> {
  /** Number of items held. */
  readonly length: number;
  /** Adds an item. */
  push(item: T): void;
  /** Removes and returns the next item; only called when `length > 0`. */
  take(): T;
  /** The items held, in storage order (for `toString`). */
  toArray(): T[];
}

// A FIFO over an array with a moving head: shift() on a large array is O(n).
class FifoStore<T> implements QueueStore<T> {
  #items: T[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  take(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as T; // let the item be collected
    this.#head++;
    // Compact once the dead prefix dominates, keeping take() amortised O(1).
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
  toArray(): T[] {
    return this.#items.slice(this.#head);
  }
}

class LifoStore<T> implements QueueStore<T> {
  readonly #items: T[] = [];
  get length(): number {
    return this.#items.length;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  take(): T {
    return this.#items.pop()!;
  }
  toArray(): T[] {
    return [...this.#items];
  }
}

// A binary min-heap, as Python's heapq: the smallest item under `compare` comes out first.
class HeapStore<T> implements QueueStore<T> {
  readonly #heap: T[] = [];
  readonly #compare: (a: T, b: T) => number;
  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }
  get length(): number {
    return this.#heap.length;
  }
  push(item: T): void {
    const heap = this.#heap;
    let i = heap.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#compare(heap[i]!, heap[parent]!) >= 0) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }
  take(): T {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && this.#compare(heap[left]!, heap[smallest]!) < 0) smallest = left;
        if (right < heap.length && this.#compare(heap[right]!, heap[smallest]!) < 0) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
  toArray(): T[] {
    return [...this.#heap];
  }
}

/**
 * Coordinates producer and consumer tasks — Tornado's `queues.Queue`.
 *
 * With `maxsize` 0 (the default) the queue is unbounded; otherwise {@link put} waits for
 * room. Every {@link put} should be matched by a {@link taskDone} from the consumer so that
 * {@link join} can tell when all work is finished. A queue is an async iterable whose
 * iteration never ends (as Tornado's `async for`): each step is a {@link get}.
 *
 * @example
 * const q = new Queue<number>(2);
 * async function consumer() {
 *   for await (const item of q) {
 *     try {
 *       console.log(`Doing work on ${item}`);
 *       await new Promise((r) => setTimeout(r, 10));
 *     } finally {
 *       q.taskDone();
 *     }
 *   }
 * }
 * async function producer() {
 *   for (let item = 0; item < 5; item++) {
 *     await q.put(item);
 *     console.log(`Put ${item}`);
 *   }
 * }
 * void consumer(); // runs forever in the background
 * await producer(); // wait for the producer to put all tasks
 * await q.join();   // wait for the consumer to finish all tasks
 * console.log("Done");
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #maxsize: number;
  readonly #store: QueueStore<T>;
  readonly #getters = new Waiters<T>();
  readonly #putters = new Waiters<void, T>();
  #unfinishedTasks = 0;
  readonly #finished = new Event();

  /**
   * @param maxsize - how many items the queue holds before {@link put} waits; 0 means no
   *   limit. A `TypeError` if not a number, a `RangeError` if negative.
   */
  constructor(maxsize = 0) {
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) {
      throw new TypeError("maxsize must be a number");
    }
    if (maxsize < 0) throw new RangeError("maxsize can't be negative");
    this.#maxsize = maxsize;
    this.#store = this.createStore();
    this.#finished.set();
  }

  /**
   * Supplies the storage, and so the order items come out in. Called once, from the
   * constructor: an override must not depend on fields of the subclass being set yet.
   */
  protected createStore(): QueueStore<T> {
    return new FifoStore<T>();
  }

  /** Number of items allowed in the queue (0: unbounded). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** Number of tasks blocked in {@link get} (timed-out ones are not counted). */
  get getterCount(): number {
    return this.#getters.size;
  }

  /** Number of tasks blocked in {@link put} (timed-out ones are not counted). */
  get putterCount(): number {
    return this.#putters.size;
  }

  /**
   * Number of items in the queue.
   *
   * @example
   * q.qsize(); // 0
   */
  qsize(): number {
    return this.#store.length;
  }

  /**
   * Returns `true` if the queue holds no items.
   *
   * @example
   * new Queue().empty(); // true
   */
  empty(): boolean {
    return this.#store.length === 0;
  }

  /**
   * Returns `true` if the queue holds `maxsize` items (never, for an unbounded queue).
   *
   * @example
   * new Queue().full(); // false
   */
  full(): boolean {
    return this.#maxsize !== 0 && this.#store.length >= this.#maxsize;
  }

  /**
   * Puts an item into the queue, waiting until there is room. Rejects with
   * {@link TimeoutError} if `timeout` (milliseconds, or a `Date` deadline) passes first; the
   * item is then not added.
   *
   * @example
   * await q.put(item, 1000);
   */
  put(item: T, timeout?: Timeout): Promise<void> {
    if (this.#tryPut(item)) return Promise.resolve();
    return this.#putters.add(item, timeout, (w) => w.reject(new TimeoutError()));
  }

  /**
   * Puts an item into the queue without waiting; throws {@link QueueFull} if there is no
   * free slot.
   *
   * @example
   * q.putNowait(item);
   */
  putNowait(item: T): void {
    if (!this.#tryPut(item)) throw new QueueFull();
  }

  /**
   * Removes and returns an item, waiting until one is available. Rejects with
   * {@link TimeoutError} if `timeout` (milliseconds, or a `Date` deadline) passes first.
   *
   * @example
   * const item = await q.get(5000);
   */
  get(timeout?: Timeout): Promise<T> {
    if (this.#canGet()) return Promise.resolve(this.#take());
    return this.#getters.add(undefined, timeout, (w) => w.reject(new TimeoutError()));
  }

  /**
   * Removes and returns an item without waiting; throws {@link QueueEmpty} if none is
   * available.
   *
   * @example
   * const item = q.getNowait();
   */
  getNowait(): T {
    if (!this.#canGet()) throw new QueueEmpty();
    return this.#take();
  }

  /**
   * Tells the queue that a formerly fetched item is fully processed. When every
   * {@link put} has been matched by a `taskDone()`, {@link join} resolves. Throws
   * {@link TaskDoneError} if called more times than items were put.
   *
   * @example
   * const item = await q.get();
   * try { await handle(item); } finally { q.taskDone(); }
   */
  taskDone(): void {
    if (this.#unfinishedTasks <= 0) throw new TaskDoneError();
    this.#unfinishedTasks--;
    if (this.#unfinishedTasks === 0) this.#finished.set();
  }

  /**
   * Resolves once every item put has been processed (see {@link taskDone}); rejects with
   * {@link TimeoutError} if `timeout` (milliseconds, or a `Date` deadline) passes first.
   *
   * @example
   * await q.join();
   */
  join(timeout?: Timeout): Promise<void> {
    return this.#finished.wait(timeout);
  }

  /**
   * Iterates the queue forever, each step awaiting {@link get}, as Tornado's
   * `async for item in queue`. Leave the loop with `break` or `return`.
   *
   * @example
   * for await (const item of q) {
   *   try { await handle(item); } finally { q.taskDone(); }
   * }
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: async (): Promise<IteratorResult<T>> => ({ done: false, value: await this.get() }),
    };
  }

  /** A short description in Tornado's str form, e.g. `<Queue maxsize=1 queue=[1] tasks=1>`. */
  toString(): string {
    let result = `<${this.constructor.name} maxsize=${this.#maxsize}`;
    if (this.#store.length) result += ` queue=${formatItems(this.#store.toArray())}`;
    if (this.#getters.size) result += ` getters[${this.#getters.size}]`;
    if (this.#putters.size) result += ` putters[${this.#putters.size}]`;
    if (this.#unfinishedTasks) result += ` tasks=${this.#unfinishedTasks}`;
    return result + ">";
  }

  // Adds the item (to a waiting getter, or to the store if there is room).
  #tryPut(item: T): boolean {
    const getter = this.#getters.shift();
    if (getter !== undefined) {
      // Getters only wait on an empty queue, so the item passes through the store
      // (counting as a task) and straight out again.
      this.#putInternal(item);
      getter.resolve(this.#store.take());
      return true;
    }
    if (this.full()) return false;
    this.#putInternal(item);
    return true;
  }

  #canGet(): boolean {
    return this.#putters.size > 0 || this.#store.length > 0;
  }

  // Takes the next item; a waiting putter (the queue is then full) fills the freed slot.
  #take(): T {
    const putter = this.#putters.shift();
    if (putter !== undefined) {
      this.#putInternal(putter.data);
      putter.resolve();
    }
    return this.#store.take();
  }

  #putInternal(item: T): void {
    this.#unfinishedTasks++;
    this.#finished.clear();
    this.#store.push(item);
  }
}

/**
 * A {@link Queue} that returns items in priority order, smallest first — Tornado's
 * `queues.PriorityQueue`.
 *
 * Items are ordered by `compare` (negative: `a` first). The default,
 * {@link pythonCompare}, orders numbers, strings and arrays the way Python orders numbers,
 * strings and tuples, so entries are typically `[priority, data]`.
 *
 * @example
 * const q = new PriorityQueue<[number, string]>();
 * q.putNowait([1, "medium-priority item"]);
 * q.putNowait([0, "high-priority item"]);
 * q.putNowait([10, "low-priority item"]);
 * await q.get(); // [0, "high-priority item"]
 * await q.get(); // [1, "medium-priority item"]
 * await q.get(); // [10, "low-priority item"]
 */
export class PriorityQueue<T> extends Queue<T> {
  // Set by the constructor after super() returns; read only once items flow.
  #compare: (a: T, b: T) => number = pythonCompare;

  /**
   * @param maxsize - as for {@link Queue}.
   * @param compare - orders two items (negative: `a` comes out first).
   */
  constructor(maxsize = 0, compare: (a: T, b: T) => number = pythonCompare) {
    super(maxsize);
    this.#compare = compare;
  }

  protected override createStore(): QueueStore<T> {
    return new HeapStore<T>((a, b) => this.#compare(a, b));
  }
}

/**
 * A {@link Queue} that returns the most recently put items first — Tornado's
 * `queues.LifoQueue`.
 *
 * @example
 * const q = new LifoQueue<number>();
 * q.putNowait(3);
 * q.putNowait(2);
 * q.putNowait(1);
 * q.getNowait(); // 1
 */
export class LifoQueue<T> extends Queue<T> {
  protected override createStore(): QueueStore<T> {
    return new LifoStore<T>();
  }
}

/**
 * Compares two values as Python's `<` does for numbers, strings and tuples: numbers (and
 * bigints, booleans as 0/1) numerically, strings by code point, `Date`s by time, arrays
 * element by element with the first unequal pair deciding and a shorter prefix first.
 * Throws a `TypeError` for values Python could not order (a string against a number,
 * plain objects), as Python raises `TypeError`.
 *
 * @example
 * pythonCompare([1, "b"], [1, "a"]); // 1
 * pythonCompare("a", 1);             // throws TypeError
 */
export function pythonCompare(a: unknown, b: unknown): number {
  const ka = numericKey(a);
  const kb = numericKey(b);
  if (ka !== undefined && kb !== undefined) return ka < kb ? -1 : ka > kb ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return compareCodePoints(a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      // As Python: skip equal elements without ordering them, so [1, {}] < [2, {}] works.
      if (pythonEquals(a[i], b[i])) continue;
      return pythonCompare(a[i], b[i]);
    }
    return a.length - b.length;
  }
  throw new TypeError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function numericKey(v: unknown): number | bigint | undefined {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.getTime();
  return undefined;
}

function pythonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ka = numericKey(a);
  const kb = numericKey(b);
  // Loose equality compares a bigint and a number by value, as Python's 1 == 1.0.
  if (ka !== undefined && kb !== undefined) return ka == kb;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => pythonEquals(x, b[i]));
  }
  return false;
}

// JavaScript's `<` compares UTF-16 code units; Python compares code points. They differ only
// when a surrogate meets a unit in U+E000..U+FFFF, so those are remapped before comparing.
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return (v as object).constructor?.name ?? "object";
  return typeof v;
}

function formatItems(items: unknown[]): string {
  try {
    return JSON.stringify(items);
  } catch {
    return `[${items.map(String).join(", ")}]`;
  }
}
