// Event-loop delay while CPU-bound work runs through the executor.
//
// Measures the main thread's event-loop delay (perf_hooks.monitorEventLoopDelay, p99 and
// max) while a 2-second CPU job runs on a worker thread via IOLoop.runInExecutor, and, for
// contrast, while the same job runs inline on the loop. The executor figure should stay
// under 10 ms (p99); the process exits 1 if it does not. Bounded: about 5 seconds, and a
// watchdog ends it after 30.
//
// Uses the built files: run `npm run build` first, then `node bench/executor.js`.
// This file is also the task module: worker threads import it for `spin`, and only the
// main thread runs the measurement.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { isMainThread } from "node:worker_threads";

const JOB_MS = 2000;
const BUDGET_P99_MS = 10;
// The histogram records whole intervals of a `resolution`-ms timer, so the delay is what
// exceeds the resolution (an idle loop reads about 1.1 ms at resolution 1).
const RESOLUTION_MS = 1;

/** Burns CPU for `ms` milliseconds; returns the number of iterations. */
export function spin(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

/** Runs `work` while recording the loop's delay; returns p99 and max in milliseconds. */
async function measure(work) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const started = performance.now();
  await work();
  const elapsed = performance.now() - started;
  histogram.disable();
  return {
    p99: Math.max(0, histogram.percentile(99) / 1e6 - RESOLUTION_MS),
    max: Math.max(0, histogram.max / 1e6 - RESOLUTION_MS),
    samples: histogram.count,
    elapsed,
  };
}

async function main() {
  let ioloop, executors;
  try {
    ioloop = await import("../dist/node/ioloop.js");
    executors = await import("../dist/node/executor.js");
  } catch (error) {
    console.error("bench/executor.js needs the build: run `npm run build` first.\n", error.message);
    process.exit(2);
  }
  const watchdog = setTimeout(() => {
    console.error("bench/executor.js: gave up after 30 s");
    process.exit(3);
  }, 30_000);
  watchdog.unref();

  const loop = ioloop.IOLoop.current();
  const executor = new executors.ThreadPoolExecutor(1);
  const self = new URL(import.meta.url);
  // Start the worker thread before measuring: thread start-up is not what is measured.
  await loop.runInExecutor(executor, self, "spin", 1);

  const offLoop = await measure(() => loop.runInExecutor(executor, self, "spin", JOB_MS));
  const onLoop = await measure(async () => {
    // Give the histogram's timer a chance to arm before the loop is blocked.
    await new Promise((resolve) => setTimeout(resolve, 20));
    spin(JOB_MS);
    await new Promise((resolve) => setTimeout(resolve, 20));
  });
  await executor.shutdown();

  const fmt = (r) =>
    `p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(2)} ms, ${r.samples} samples over ${(r.elapsed / 1000).toFixed(2)} s`;
  console.log(`event-loop delay, ${JOB_MS / 1000} s CPU job through the executor: ${fmt(offLoop)}`);
  console.log(`event-loop delay, the same job inline on the loop:       ${fmt(onLoop)}`);
  const ok = offLoop.p99 < BUDGET_P99_MS;
  console.log(
    JSON.stringify({
      bench: "executor",
      jobMs: JOB_MS,
      executorP99Ms: Number(offLoop.p99.toFixed(3)),
      executorMaxMs: Number(offLoop.max.toFixed(3)),
      inlineP99Ms: Number(onLoop.p99.toFixed(3)),
      budgetP99Ms: BUDGET_P99_MS,
      ok,
    }),
  );
  if (!ok) process.exitCode = 1;
}

if (isMainThread) await main();
