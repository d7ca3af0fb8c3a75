// PeriodicCallback: the schedule rule and live runs, from Tornado's TestPeriodicCallbackMath
// and TestPeriodicCallbackAsync (tornado/test/ioloop_test.py).
import { describe, expect, test } from "vitest";
import { IOLoop } from "../../src/node/ioloop.js";
import { PeriodicCallback, nextPeriodicTimeout } from "../../src/node/periodic-callback.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A loop that collects its callbacks' exceptions instead of logging them. */
class RecordingLoop extends IOLoop {
  readonly errors: unknown[] = [];
  override handleCallbackException(_callback: unknown, error: unknown): void {
    this.errors.push(error);
  }
}

/** Tornado's simulate_calls: the deadlines a PeriodicCallback picks for calls of these durations. */
function simulateCalls(periods: number[], durations: number[]): number[] {
  const calls: number[] = [];
  let now = 1000;
  let next = 1000;
  durations.forEach((d, i) => {
    next = nextPeriodicTimeout(next, now, periods[i % periods.length]!);
    calls.push(next);
    now = next + d;
  });
  return calls;
}

describe("PeriodicCallback schedule", () => {
  test("calls come one period apart", () => {
    expect(simulateCalls([10], [0, 0, 0, 0, 0])).toEqual([1010, 1020, 1030, 1040, 1050]);
  });

  test("an overrun skips whole periods to get back on schedule", () => {
    const durations = [9, 9, 10, 11, 20, 20, 35, 35, 0, 0, 0];
    expect(simulateCalls([10], durations)).toEqual([1010, 1020, 1030, 1050, 1070, 1100, 1130, 1170, 1210, 1220, 1230]);
  });

  test("a clock going backwards still advances by one period", () => {
    expect(simulateCalls([10], [-2, -1, -3, -2, 0])).toEqual([1010, 1020, 1030, 1040, 1050]);
    expect(simulateCalls([10], [-100, 0, 0])).toEqual([1010, 1020, 1030]);
  });

  test("jittered periods (random 0.5, 1, 0, 0.75 with jitter 0.5)", () => {
    const periods = [0.5, 1, 0, 0.75].map((r) => 10 * (1 + 0.5 * (r - 0.5)));
    expect(simulateCalls(periods, [0, 0, 0, 0])).toEqual([1010, 1022.5, 1030, 1041.25]);
  });

  test("a period that is not positive is a RangeError", () => {
    expect(() => new PeriodicCallback(() => {}, 0)).toThrow(
      new RangeError("Periodic callback must have a positive callbackTime"),
    );
    expect(() => new PeriodicCallback(() => {}, -5)).toThrow(RangeError);
  });
});

describe("PeriodicCallback on the loop", () => {
  test("calls a plain callback every period until stopped", async () => {
    let count = 0;
    const done = new Promise<void>((resolve) => {
      const pc = new PeriodicCallback(() => {
        if (++count === 3) {
          pc.stop();
          resolve();
        }
      }, 10);
      pc.start();
      expect(pc.isRunning()).toBe(true);
    });
    await done;
    await sleep(30);
    expect(count).toBe(3);
  });

  test("an async callback is awaited: runs never overlap", async () => {
    const counts = [0, 0];
    let active = 0;
    let maxActive = 0;
    await new Promise<void>((resolve) => {
      const pc = new PeriodicCallback(async () => {
        counts[0]!++;
        maxActive = Math.max(maxActive, ++active);
        await sleep(25);
        active--;
        if (++counts[1]! === 3) {
          pc.stop();
          resolve();
        }
      }, 10);
      pc.start();
    });
    await sleep(30);
    expect(counts).toEqual([3, 3]);
    expect(maxActive).toBe(1);
  });

  test("a slow callback skips missed runs instead of piling them up", async () => {
    const starts: number[] = [];
    const pc = new PeriodicCallback(() => {
      starts.push(performance.now());
      const until = Date.now() + 35;
      while (Date.now() < until); // blocks for three and a half periods
    }, 10);
    pc.start();
    await sleep(300);
    pc.stop();
    // Runs 40 ms apart (the next multiple of 10 ms after each 35 ms run), never back to back.
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThanOrEqual(9);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(35);
  });

  test("a slow async callback skips missed runs too", async () => {
    const starts: number[] = [];
    const pc = new PeriodicCallback(async () => {
      starts.push(performance.now());
      await sleep(35);
    }, 10);
    pc.start();
    await sleep(300);
    pc.stop();
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThanOrEqual(9);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(35);
  });

  test("an exception is reported and the timer keeps going", async () => {
    const l = new RecordingLoop();
    let count = 0;
    const pc = new PeriodicCallback(() => {
      count++;
      throw new Error(`run ${count}`);
    }, 5);
    pc.start();
    await sleep(60);
    pc.stop();
    expect(count).toBeGreaterThanOrEqual(2);
    expect(l.errors.length).toBe(count);
    expect((l.errors[0] as Error).message).toBe("run 1");
    l.close();
  });

  test("closing the loop during an async run ends the timer quietly", async () => {
    const l = new RecordingLoop();
    let runs = 0;
    let release: () => void = () => {};
    const pc = new PeriodicCallback(async () => {
      runs++;
      await new Promise<void>((resolve) => (release = resolve));
    }, 5);
    pc.start();
    await sleep(20);
    l.close();
    release();
    await sleep(20);
    expect(runs).toBe(1);
    expect(pc.isRunning()).toBe(false);
    expect(l.errors).toEqual([]);
  });

  test("stop() then start() during an async run leaves one schedule, not two", async () => {
    let runs = 0;
    let release: () => void = () => {};
    const pc = new PeriodicCallback(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 10);
    pc.start();
    await sleep(25); // the first run is now waiting
    pc.stop();
    pc.start();
    release();
    await sleep(105);
    pc.stop();
    // One chain at 10 ms gives about ten more runs; two chains would give about twenty.
    expect(runs).toBeLessThanOrEqual(14);
    expect(pc.isRunning()).toBe(false);
  });
});
