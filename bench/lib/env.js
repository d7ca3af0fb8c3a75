// Reading the benchmarks' settings from the environment, shared by every bench script.

/** A positive number from the environment variable `name`, or `fallback` when unset. */
export function num(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}
