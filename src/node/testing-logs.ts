/**
 * Log assertions for tests — Tornado's `tornado.testing.ExpectLog`, and the capture its
 * test runner uses to fail a test that logged something it did not expect.
 *
 * Framework-agnostic: `cyclone/node/testing` adds the Vitest hooks on top.
 * @module
 */

import { getLogger, type LogHandler, type Logger, LogLevel, type LogLevelName, type LogRecord } from "../core/log.js";

/**
 * Raised when an {@link ExpectLog} that was `required` saw no matching record ("did not
 * get expected log message", as Tornado), or when a test logged what it did not expect.
 *
 * @example
 * try { expectation.finish(); } catch (e) { if (e instanceof LogAssertionError) ... }
 */
export class LogAssertionError extends Error {
  override name = "LogAssertionError";
}

/** Options of {@link ExpectLog}. */
export interface ExpectLogOptions {
  /** Fail (on `finish`/dispose) when nothing matched; default true. */
  required?: boolean;
  /**
   * Only records at exactly this level match; the logger's level is lowered for the
   * duration if that is needed for them to be emitted at all (Tornado 6.1's `level`).
   */
  level?: number | LogLevelName;
}

function levelNumber(level: number | LogLevelName): number {
  return typeof level === "number" ? level : LogLevel[level];
}

// Python's re.match: the pattern must match at the start of the message. Flags that keep
// state between calls (g, y) are dropped so one instance answers the same each time.
function startMatcher(regex: RegExp | string): (message: string) => boolean {
  const source = typeof regex === "string" ? regex : regex.source;
  const flags = typeof regex === "string" ? "" : regex.flags.replace(/[gy]/g, "");
  const re = new RegExp(source, flags);
  return (message) => re.exec(message)?.index === 0;
}

function lastResort(record: LogRecord): void {
  const err = record.error;
  const tail = err instanceof Error && err.stack ? "\n" + err.stack : err !== undefined ? "\n" + String(err) : "";
  console.error(record.message + tail);
}

/**
 * Captures and suppresses expected log output: while it is active, records of `logger`
 * (and of its descendants, which propagate through it) whose message matches `regex` at
 * its start (Python's `re.match`) are counted in {@link ExpectLog.matched} and reach no
 * handler; others go where they would have gone. Tornado's `ExpectLog`.
 *
 * End it with `finish()` or let `using` dispose of it: a `required` expectation that saw
 * no match then throws {@link LogAssertionError} ("did not get expected log message").
 * With `level`, a matching message at another level is let through and a warning
 * ("Got expected log message ... at unexpected level") is logged, as Tornado does.
 *
 * @example
 * {
 *   using _ = new ExpectLog(appLog, /Uncaught exception/);
 *   const response = await server.fetch("/fail");
 *   expect(response.code).toBe(500);
 * } // throws here if nothing matched
 *
 * @example
 * await expectLog(genLog, "Malformed HTTP message", () => sendGarbage(), { level: "INFO" });
 */
export class ExpectLog implements Disposable {
  readonly logger: Logger;
  readonly required: boolean;
  readonly level: number | undefined;
  /** How many records matched (and were suppressed). */
  matched = 0;
  /** Whether any record seen carried an error (a stack trace). Tornado's `logged_stack`. */
  loggedStack = false;

  readonly #matches: (message: string) => boolean;
  readonly #saved: LogHandler[];
  readonly #savedPropagate: boolean;
  readonly #savedLevel: number | undefined;
  #active = true;

  constructor(logger: Logger | string, regex: RegExp | string, options: ExpectLogOptions = {}) {
    this.logger = typeof logger === "string" ? getLogger(logger) : logger;
    this.required = options.required ?? true;
    this.level = options.level === undefined ? undefined : levelNumber(options.level);
    this.#matches = startMatcher(regex);
    const l = this.logger;
    if (this.level !== undefined && this.level < l.getEffectiveLevel()) {
      this.#savedLevel = l.level;
      l.setLevel(this.level);
    }
    // The core has no logger filters: this expectation takes the logger's place in the
    // chain (its handlers, its propagation) and passes on what it does not swallow.
    this.#saved = [...l.handlers];
    for (const h of this.#saved) l.removeHandler(h);
    this.#savedPropagate = l.propagate;
    l.propagate = false;
    l.addHandler(this.#filter);
  }

  #filter = (record: LogRecord): void => {
    if (record.error !== undefined) this.loggedStack = true;
    if (this.#matches(record.message)) {
      if (this.level === undefined || record.level === this.level) {
        this.matched += 1;
        return;
      }
      this.#pass(record);
      const expected = Object.entries(LogLevel).find(([, v]) => v === this.level)?.[0] ?? String(this.level);
      getLogger("cyclone.application").warning(
        "Got expected log message %r at unexpected level (%s vs %s)",
        record.message,
        expected,
        record.levelName,
      );
      return;
    }
    this.#pass(record);
  };

  #pass(record: LogRecord): void {
    // Where the record would have gone: this logger's own handlers, then up the chain.
    const handlers = [...this.#saved];
    if (this.#savedPropagate) {
      for (let l = this.logger.parent; l; l = l.propagate ? l.parent : undefined) handlers.push(...l.handlers);
    }
    if (handlers.length === 0) {
      // Nobody else would have written it: keep the core's rule that warnings are never silent.
      if (record.level >= LogLevel.WARNING && !record.name.startsWith("cyclone.access")) lastResort(record);
      return;
    }
    for (const h of handlers) {
      try {
        h(record);
      } catch {
        // As the core: a broken handler must not break the code that logged.
      }
    }
  }

  /**
   * Stops capturing and restores the logger. Throws {@link LogAssertionError} if the
   * expectation was required and nothing matched. Calling it again does nothing.
   *
   * @example
   * const e = new ExpectLog(genLog, "Cannot allocate");
   * try { await work(); } finally { e.finish(); }
   */
  finish(): void {
    if (!this.#active) return;
    this.#restore();
    if (this.required && this.matched === 0) throw new LogAssertionError("did not get expected log message");
  }

  /**
   * Stops capturing and restores the logger without checking anything (use it when the
   * code under test failed, as Tornado skips the check when the block raised).
   *
   * @example
   * expectation.cancel();
   */
  cancel(): void {
    if (this.#active) this.#restore();
  }

  #restore(): void {
    this.#active = false;
    const l = this.logger;
    l.removeHandler(this.#filter);
    for (const h of this.#saved) l.addHandler(h);
    l.propagate = this.#savedPropagate;
    if (this.#savedLevel !== undefined) l.level = this.#savedLevel;
  }

  [Symbol.dispose](): void {
    this.finish();
  }
}

/**
 * Runs `fn` under an {@link ExpectLog}: resolves to what `fn` returns, and rejects with
 * {@link LogAssertionError} if the expectation was required and nothing matched. When
 * `fn` throws, that error comes back and the expectation is not checked, as Tornado's
 * `with ExpectLog(...)`.
 *
 * @example
 * const response = await expectLog(appLog, "Uncaught exception", () => server.fetch("/fail"));
 */
export async function expectLog<T>(
  logger: Logger | string,
  regex: RegExp | string,
  fn: () => T | Promise<T>,
  options: ExpectLogOptions = {},
): Promise<T> {
  const expectation = new ExpectLog(logger, regex, options);
  let result: T;
  try {
    result = await fn();
  } catch (e) {
    expectation.cancel();
    throw e;
  }
  expectation.finish();
  return result;
}

/** Options of {@link LogCapture} and {@link captureLogs}. */
export interface CaptureLogsOptions {
  /**
   * The lowest level recorded. The logger's level is lowered to it for the duration, so
   * that such records are emitted at all. Default: whatever the logger emits.
   */
  level?: number | LogLevelName;
}

/**
 * Records what a logger (and its descendants) emit, from now until `stop()`; records still
 * reach their other handlers.
 *
 * @example
 * using capture = new LogCapture(accessLog, { level: "INFO" });
 * await server.fetch("/");
 * expect(capture.records[0]!.message).toMatch(/^200 GET \//);
 */
export class LogCapture implements Disposable {
  readonly logger: Logger;
  /** The records seen so far, oldest first. */
  readonly records: LogRecord[] = [];
  readonly #minimum: number;
  readonly #savedLevel: number | undefined;
  #active = true;

  constructor(logger: Logger | string = getLogger(), options: CaptureLogsOptions = {}) {
    this.logger = typeof logger === "string" ? getLogger(logger) : logger;
    this.#minimum = options.level === undefined ? 0 : levelNumber(options.level);
    if (options.level !== undefined && this.#minimum < this.logger.getEffectiveLevel()) {
      this.#savedLevel = this.logger.level;
      this.logger.setLevel(this.#minimum);
    }
    this.logger.addHandler(this.#record);
  }

  #record = (record: LogRecord): void => {
    if (record.level >= this.#minimum) this.records.push(record);
  };

  /** The captured messages, as `"LEVEL message"` lines. */
  get lines(): string[] {
    return this.records.map((r) => `${r.levelName} ${r.message}`);
  }

  /**
   * Stops recording and restores the logger's level; calling it again does nothing.
   *
   * @example
   * capture.stop();
   */
  stop(): void {
    if (!this.#active) return;
    this.#active = false;
    this.logger.removeHandler(this.#record);
    if (this.#savedLevel !== undefined) this.logger.level = this.#savedLevel;
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}

/**
 * Runs `fn` while recording what `logger` emits; resolves to its result and the records.
 *
 * @example
 * const { result, records } = await captureLogs(accessLog, () => server.fetch("/"), { level: "INFO" });
 * expect(records.map((r) => r.levelName)).toEqual(["INFO"]);
 */
export async function captureLogs<T>(
  logger: Logger | string,
  fn: () => T | Promise<T>,
  options: CaptureLogsOptions = {},
): Promise<{ result: T; records: LogRecord[] }> {
  const capture = new LogCapture(logger, options);
  try {
    return { result: await fn(), records: capture.records };
  } finally {
    capture.stop();
  }
}

/** Options of {@link expectNoUnexpectedLogs}. */
export interface NoUnexpectedLogsOptions {
  /** Records at this level or above fail the test (default WARNING). */
  level?: number | LogLevelName;
  /** The logger watched, with its descendants (default the root logger: everything). */
  logger?: Logger | string;
  /**
   * Loggers (with their descendants) whose records never fail a test: default
   * `["cyclone.access"]`, since a 404 or a 500 access line is what many tests provoke —
   * Tornado's test runner silences `tornado.access` likewise.
   */
  ignore?: readonly (Logger | string)[];
}

/**
 * Watches a logger (the root by default) for records at WARNING or above that no
 * {@link ExpectLog} claimed; `finish()` throws {@link LogAssertionError} listing them.
 * `expectNoUnexpectedLogs` runs one around each test.
 *
 * @example
 * const check = new UnexpectedLogCheck();
 * await runScenario();
 * check.finish(); // throws if the scenario logged a warning or an error
 */
export class UnexpectedLogCheck {
  readonly #capture: LogCapture;
  readonly #ignored: string[];

  constructor(options: NoUnexpectedLogsOptions = {}) {
    this.#ignored = (options.ignore ?? ["cyclone.access"]).map((l) => (typeof l === "string" ? l : l.name));
    this.#capture = new LogCapture(options.logger ?? getLogger(), { level: options.level ?? LogLevel.WARNING });
  }

  /** The records so far that would fail the check. */
  get unexpected(): LogRecord[] {
    const ignored = this.#ignored;
    return this.#capture.records.filter((r) => !ignored.some((i) => r.name === i || r.name.startsWith(i + ".")));
  }

  /**
   * Stops watching; throws {@link LogAssertionError} if anything unexpected was logged.
   *
   * @example
   * check.finish();
   */
  finish(): void {
    this.#capture.stop();
    const unexpected = this.unexpected;
    if (unexpected.length > 0) {
      const lines = unexpected.map((r) => `${r.levelName} ${r.name}: ${r.message}`);
      throw new LogAssertionError(`unexpected log output:\n${lines.join("\n")}`);
    }
  }
}
