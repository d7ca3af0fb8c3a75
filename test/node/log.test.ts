// Logging output on Node: Tornado's line format (fixed clock, levels, colours forced on and
// off, stacks), the JSON mode, enablePrettyLogging's choices, file output with size and
// time rotation, and --logging in a real process (Tornado's log_test.py).
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { Logger, type LogRecord } from "../../src/core/log.js";
import {
  enablePrettyLogging,
  type Handler,
  JsonFormatter,
  LogConfigError,
  LogFormatter,
  RotatingFileHandler,
  strftime,
  TimedRotatingFileHandler,
} from "../../src/node/log.js";

// 2025-11-25 04:55:01.250 UTC
const T = Date.UTC(2025, 10, 25, 4, 55, 1, 250);

function record(over: Partial<LogRecord> = {}): LogRecord {
  return { name: "cyclone.access", level: 20, levelName: "INFO", message: "200 GET / (127.0.0.1) 0.52ms", created: T, ...over };
}

function sink(): { text: string; write(s: string): void; lines(): string[] } {
  return {
    text: "",
    write(s: string) {
      this.text += s;
    },
    lines() {
      return this.text.split("\n").filter(Boolean);
    },
  };
}

/** A logger of its own: nothing reaches the root logger or other tests. */
function isolatedLogger(): Logger {
  const l = new Logger("test.isolated");
  l.propagate = false;
  return l;
}

describe("LogFormatter", () => {
  const plain = new LogFormatter({ color: "never", utc: true });

  test("Tornado's line: level letter, yymmdd time, the logger's short name, the message", () => {
    expect(plain.format(record())).toBe("[I 251125 04:55:01 access] 200 GET / (127.0.0.1) 0.52ms");
  });

  test("each level prints its initial", () => {
    const letters = [10, 20, 30, 40, 50].map((level, i) =>
      plain.format(record({ level, levelName: (["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] as const)[i] })).slice(0, 3),
    );
    expect(letters).toEqual(["[D ", "[I ", "[W ", "[E ", "[C "]);
  });

  test("the name shown is the logger's last dotted part, root for the root logger", () => {
    const names = ["cyclone.application", "cyclone.general", "", "myapp.db", "solo"].map(
      (name) => /^\[I \S+ \S+ (\S+)\]/.exec(plain.format(record({ name })))![1],
    );
    expect(names).toEqual(["application", "general", "root", "db", "solo"]);
  });

  test("times are local unless utc is set", () => {
    const d = new Date(T);
    const p = (n: number) => String(n).padStart(2, "0");
    const local = `${p(d.getFullYear() % 100)}${p(d.getMonth() + 1)}${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    expect(new LogFormatter({ color: "never" }).format(record())).toBe(`[I ${local} access] 200 GET / (127.0.0.1) 0.52ms`);
  });

  test("colour forced on: the bracket in the level's colour (Tornado's map), reset after", () => {
    const f = new LogFormatter({ color: "always", utc: true });
    expect(f.colored).toBe(true);
    expect(f.format(record())).toBe("\x1b[32m[I 251125 04:55:01 access]\x1b[0m 200 GET / (127.0.0.1) 0.52ms");
    const codes = [10, 30, 40, 50].map((level) => f.format(record({ level, levelName: "DEBUG" })).slice(0, 5));
    expect(codes).toEqual(["\x1b[34m", "\x1b[33m", "\x1b[31m", "\x1b[35m"]);
  });

  test("colour forced off: no escapes", () => {
    expect(plain.colored).toBe(false);
    expect(plain.format(record({ level: 40, levelName: "ERROR" }))).not.toContain("\x1b");
  });

  test("auto colour follows the stream: a colour terminal yes, a pipe no", () => {
    expect(new LogFormatter({ stream: { isTTY: true, hasColors: () => true } }).colored).toBe(true);
    expect(new LogFormatter({ stream: { isTTY: true, hasColors: () => false } }).colored).toBe(false);
    expect(new LogFormatter({ stream: { isTTY: false } }).colored).toBe(false);
    expect(new LogFormatter({ color: true, stream: {} }).colored).toBe(false);
  });

  test("custom colours per level", () => {
    const f = new LogFormatter({ color: "always", colors: { 20: 6 }, utc: true });
    expect(f.format(record()).slice(0, 5)).toBe("\x1b[36m");
    expect(f.format(record({ level: 40, levelName: "ERROR" })).startsWith("[E")).toBe(true);
  });

  test("an attached error's stack follows on lines indented by four spaces", () => {
    const err = new Error("boom");
    const lines = plain.format(record({ level: 40, levelName: "ERROR", message: "failed", error: err })).split("\n");
    expect(lines[0]).toBe("[E 251125 04:55:01 access] failed");
    expect(lines[1]).toBe("    Error: boom");
    expect(lines.length).toBe(err.stack!.split("\n").length + 1);
    expect(lines.slice(2).every((l) => l.startsWith("        at "))).toBe(true);
  });

  test("an error's cause follows its stack", () => {
    const err = new Error("outer", { cause: new TypeError("inner") });
    const text = plain.format(record({ error: err }));
    expect(text).toContain("\n    Caused by: TypeError: inner\n");
  });

  test("a non-Error thrown value is printed as text", () => {
    expect(plain.format(record({ message: "x", error: "just a string" }))).toBe("[I 251125 04:55:01 access] x\n    just a string");
  });

  test("continuation lines of a message are indented too", () => {
    expect(plain.format(record({ message: "a\nb" }))).toBe("[I 251125 04:55:01 access] a\n    b");
  });

  test("fmt and datefmt as Python's logging, with the record's extra fields", () => {
    const f = new LogFormatter({ fmt: "%(levelname)-8s|%(name)s|%(asctime)s|%(status)d|%(msecs)03d|%% %(message)s", datefmt: "%Y-%m-%dT%H:%M:%S %a %b %j", utc: true });
    expect(f.format(record({ extra: { status: 200 } }))).toBe(
      "INFO    |cyclone.access|2025-11-25T04:55:01 Tue Nov 329|200|250|% 200 GET / (127.0.0.1) 0.52ms",
    );
  });

  test("strftime: twelve-hour clock and the epoch", () => {
    expect(strftime("%I:%M %p %y%m%d %%", new Date(Date.UTC(2025, 0, 2, 15, 4)), true)).toBe("03:04 PM 250102 %");
    expect(strftime("%y%m%d %H:%M:%S %z", new Date(0), true)).toBe("700101 00:00:00 +0000");
  });
});

describe("JsonFormatter", () => {
  const f = new JsonFormatter();

  test("one object per line: time, level, logger, message and the extra fields", () => {
    const line = f.format(record({ extra: { status: 200, method: "GET", uri: "/", remoteIp: "127.0.0.1", ms: 0.52 } }));
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual({
      time: "2025-11-25T04:55:01.250Z",
      level: "INFO",
      logger: "cyclone.access",
      message: "200 GET / (127.0.0.1) 0.52ms",
      status: 200,
      method: "GET",
      uri: "/",
      remoteIp: "127.0.0.1",
      ms: 0.52,
    });
  });

  test("an error becomes {name, message, stack}", () => {
    const err = new RangeError("bad");
    const obj = JSON.parse(f.format(record({ level: 40, levelName: "ERROR", error: err }))) as { error: Record<string, string> };
    expect(obj.error["name"]).toBe("RangeError");
    expect(obj.error["message"]).toBe("bad");
    expect(obj.error["stack"]).toBe(err.stack);
  });

  test("extra fields cannot replace the record's own", () => {
    const obj = JSON.parse(f.format(record({ extra: { level: "FAKE", message: "fake", error: "fake", other: 1n } }))) as Record<string, unknown>;
    expect(obj["level"]).toBe("INFO");
    expect(obj["message"]).toBe("200 GET / (127.0.0.1) 0.52ms");
    expect(obj["error"]).toBeUndefined();
    expect(obj["other"]).toBe("1");
  });

  test("an unserializable extra field loses the field, not the line", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(JSON.parse(f.format(record({ extra: { cyclic } })))).toEqual({
      time: "2025-11-25T04:55:01.250Z",
      level: "INFO",
      logger: "cyclone.access",
      message: "200 GET / (127.0.0.1) 0.52ms",
    });
  });
});

describe("enablePrettyLogging", () => {
  let dir: string;
  const opened: Handler[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cyclone-log-"));
  });
  afterEach(() => {
    for (const h of opened.splice(0)) h.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function enable(options: Parameters<typeof enablePrettyLogging>[0] & object): Handler[] {
    const hs = enablePrettyLogging(options);
    opened.push(...hs);
    return hs;
  }

  test("sets the level and writes Tornado's lines to the stream", () => {
    const logger = isolatedLogger();
    const out = sink();
    enable({ options: { logging: "warning" }, logger, stream: out });
    expect(logger.level).toBe(30);
    logger.info("dropped");
    logger.warning("kept %d", 1);
    expect(out.lines()).toHaveLength(1);
    expect(out.lines()[0]).toMatch(/^\[W \d{6} \d\d:\d\d:\d\d isolated\] kept 1$/);
  });

  test("levels are case-insensitive; none (or null) leaves logging alone", () => {
    const logger = isolatedLogger();
    expect(enable({ options: { logging: "NONE" }, logger, stream: sink() })).toEqual([]);
    expect(enable({ options: { logging: null }, logger, stream: sink() })).toEqual([]);
    expect(logger.handlers).toEqual([]);
    enable({ options: { logging: "Debug" }, logger, stream: sink() });
    expect(logger.level).toBe(10);
  });

  test("an unknown level is a LogConfigError", () => {
    expect(() => enablePrettyLogging({ options: { logging: "loud" }, logger: isolatedLogger() })).toThrow(LogConfigError);
  });

  test("no stderr handler when the logger already has one, unless logToStderr is true", () => {
    const logger = isolatedLogger();
    logger.addHandler(() => {});
    expect(enable({ options: { logging: "info" }, logger, stream: sink() })).toEqual([]);
    expect(enable({ options: { logging: "info", logToStderr: true }, logger, stream: sink() })).toHaveLength(1);
  });

  test("the stream is coloured only on a colour terminal", () => {
    const logger = isolatedLogger();
    const tty = Object.assign(sink(), { isTTY: true, hasColors: () => true });
    enable({ options: { logging: "info" }, logger, stream: tty });
    logger.info("hi");
    expect(tty.text.startsWith("\x1b[32m[I ")).toBe(true);
  });

  test("a log file gets plain lines, and stderr nothing unless asked", async () => {
    const logger = isolatedLogger();
    const out = sink();
    const file = join(dir, "test_log");
    const hs = enable({ options: { logging: "info", logFilePrefix: file }, logger, stream: out });
    expect(hs).toHaveLength(1);
    logger.error("hello");
    expect(out.text).toBe("");
    expect(await readFile(file, "utf8")).toMatch(/^\[E [^\]]*\] hello\n$/);
    expect((await readdir(dir)).filter((f) => f.startsWith("test_log"))).toEqual(["test_log"]);
  });

  test("a log file rotated by time", async () => {
    const logger = isolatedLogger();
    const file = join(dir, "timed_log");
    const [h] = enable({ options: { logging: "info", logFilePrefix: file, logRotateMode: "time" }, logger });
    expect(h).toBeInstanceOf(TimedRotatingFileHandler);
    logger.error("hello");
    expect(await readFile(file, "utf8")).toMatch(/^\[E [^\]]*\] hello\n$/);
  });

  test("a wrong rotate mode is an error naming the value", () => {
    expect(() =>
      enablePrettyLogging({ options: { logging: "info", logFilePrefix: join(dir, "never"), logRotateMode: "wrong_mode" }, logger: isolatedLogger() }),
    ).toThrow(new LogConfigError('The value of log_rotate_mode option should be "size" or "time", not "wrong_mode".'));
  });

  test("JSON mode writes JSON lines to the stream and to the file", async () => {
    const logger = isolatedLogger();
    const out = sink();
    const file = join(dir, "json_log");
    enable({ options: { logging: "info", logFormat: "json", logFilePrefix: file, logToStderr: true }, logger, stream: out });
    logger.logWithExtra(20, { status: 404 }, "%d %s", 404, "GET /x");
    for (const line of [out.text, await readFile(file, "utf8")]) {
      expect(JSON.parse(line)).toMatchObject({ level: "INFO", logger: "test.isolated", message: "404 GET /x", status: 404 });
    }
    expect(() => enablePrettyLogging({ options: { logging: "info", logFormat: "xml" }, logger: isolatedLogger() })).toThrow(LogConfigError);
  });
});

describe("file rotation", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cyclone-rotate-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test("by size: the file moves to .1, .1 to .2, and no more than backupCount are kept", async () => {
    const file = join(dir, "size.log");
    const h = new RotatingFileHandler(file, { maxBytes: 100, backupCount: 2, formatter: { format: (r) => r.message } });
    // Each line is 40 bytes with its newline: two fit under 100, the third rotates.
    for (let i = 0; i < 7; i++) h.handle(record({ message: `line ${i}`.padEnd(39, ".") }));
    h.close();
    expect((await readdir(dir)).filter((f) => f.startsWith("size.log")).sort()).toEqual(["size.log", "size.log.1", "size.log.2"]);
    const read = async (f: string) => (await readFile(join(dir, f), "utf8")).split("\n").filter(Boolean).map((l) => l.slice(0, 6));
    expect(await read("size.log")).toEqual(["line 6"]);
    expect(await read("size.log.1")).toEqual(["line 4", "line 5"]);
    expect(await read("size.log.2")).toEqual(["line 2", "line 3"]);
  });

  test("by size, with backupCount 0 the file only grows", async () => {
    const file = join(dir, "grow.log");
    const h = new RotatingFileHandler(file, { maxBytes: 10, backupCount: 0, formatter: { format: (r) => r.message } });
    for (let i = 0; i < 5; i++) h.handle(record({ message: "0123456789" }));
    h.close();
    expect((await readdir(dir)).filter((f) => f.startsWith("grow.log"))).toEqual(["grow.log"]);
    expect((await readFile(file, "utf8")).length).toBe(55);
  });

  test("a line longer than maxBytes does not leave an empty backup", async () => {
    const file = join(dir, "long.log");
    const h = new RotatingFileHandler(file, { maxBytes: 5, backupCount: 3, formatter: { format: (r) => r.message } });
    h.handle(record({ message: "much longer than five" }));
    h.handle(record({ message: "again" }));
    h.close();
    expect((await readdir(dir)).filter((f) => f.startsWith("long.log")).sort()).toEqual(["long.log", "long.log.1"]);
    expect(await readFile(`${file}.1`, "utf8")).toBe("much longer than five\n");
  });

  test("by time: at the rollover time the file is renamed after the period it holds", async () => {
    const file = join(dir, "timed.log");
    const h = new TimedRotatingFileHandler(file, { when: "s", interval: 10, backupCount: 5, utc: true, formatter: { format: (r) => r.message } });
    expect(h.interval).toBe(10);
    const first = h.rolloverAt;
    h.handle(record({ message: "before", created: (first - 1) * 1000 }));
    h.handle(record({ message: "after", created: first * 1000 }));
    h.close();
    const rotated = `timed.log.${strftime("%Y-%m-%d_%H-%M-%S", new Date((first - 10) * 1000), true)}`;
    expect((await readdir(dir)).filter((f) => f.startsWith("timed.log")).sort()).toEqual(["timed.log", rotated]);
    expect(await readFile(join(dir, rotated), "utf8")).toBe("before\n");
    expect(await readFile(file, "utf8")).toBe("after\n");
    expect(h.rolloverAt).toBeGreaterThan(Date.now() / 1000);
  });

  test("by time: only backupCount rotated files are kept, the oldest deleted", async () => {
    const file = join(dir, "keep.log");
    for (const old of ["2020-01-01", "2020-01-02", "2020-01-03"]) await writeFile(`${file}.${old}`, "old\n");
    await writeFile(`${file}.unrelated`, "x\n");
    const h = new TimedRotatingFileHandler(file, { when: "midnight", backupCount: 2, utc: true, formatter: { format: (r) => r.message } });
    h.handle(record({ message: "now", created: h.rolloverAt * 1000 }));
    h.close();
    const left = (await readdir(dir)).filter((f) => f.startsWith("keep.log.")).sort();
    expect(left).toHaveLength(3);
    expect(left).toContain("keep.log.unrelated");
    expect(left).not.toContain("keep.log.2020-01-01");
    expect(left).not.toContain("keep.log.2020-01-02");
  });

  test("midnight and weekly rollovers fall on day boundaries (W<n>: the midnight ending that day, as Python's)", () => {
    const file = join(dir, "boundaries.log");
    const t = Date.UTC(2025, 10, 25, 4, 55, 1) / 1000; // a Tuesday
    const midnight = new TimedRotatingFileHandler(file, { when: "MIDNIGHT", utc: true });
    expect(midnight.computeRollover(t)).toBe(Date.UTC(2025, 10, 26) / 1000);
    const monday = new TimedRotatingFileHandler(file, { when: "W0", utc: true });
    expect(monday.computeRollover(t)).toBe(Date.UTC(2025, 11, 2) / 1000);
    const wednesday = new TimedRotatingFileHandler(file, { when: "w2", utc: true });
    expect(wednesday.computeRollover(t)).toBe(Date.UTC(2025, 10, 27) / 1000);
    const hourly = new TimedRotatingFileHandler(file, { when: "H", interval: 2 });
    expect(hourly.computeRollover(t)).toBe(t + 7200);
    for (const h of [midnight, monday, wednesday, hourly]) h.close();
  });

  test("bad when values are LogConfigErrors", () => {
    const file = join(dir, "bad.log");
    expect(() => new TimedRotatingFileHandler(file, { when: "fortnight" })).toThrow(new LogConfigError("Invalid rollover interval specified: FORTNIGHT"));
    expect(() => new TimedRotatingFileHandler(file, { when: "W7" })).toThrow(new LogConfigError("Invalid day specified for weekly rollover: W7"));
    expect(() => new TimedRotatingFileHandler(file, { when: "W" })).toThrow(LogConfigError);
  });
});

describe("--logging in a real process", () => {
  const fixtures = fileURLToPath(new URL("../fixtures/options/", import.meta.url));
  let outDir: string;
  beforeAll(async () => {
    const { compileSources } = (await import(pathToFileURL(join(fixtures, "compile.mjs")).href)) as {
      compileSources: (entries: string[]) => Promise<string>;
    };
    outDir = await compileSources(["node/options.ts"]);
  }, 60_000);
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  function logsHello(step: string, args: string[] = []): Promise<boolean> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [join(fixtures, "logging-child.mjs"), ...args],
        { env: { ...process.env, CYCLONE_COMPILED: pathToFileURL(outDir + "/").href, CYCLONE_LOG_STEP: step }, timeout: 15_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`child failed: ${stderr}`)) : resolve((stdout + stderr).includes("hello"))),
      );
    });
  }

  test("INFO is silent without parseCommandLine", async () => {
    expect(await logsHello("nothing")).toBe(false);
  });
  test("parseCommandLine turns logging on at INFO", async () => {
    expect(await logsHello("parse")).toBe(true);
  });
  test("--logging=none turns it off, in any case", async () => {
    expect(await logsHello("parse", ["--logging=none"])).toBe(false);
    expect(await logsHello("parse", ["--logging=None"])).toBe(false);
  });
  test("setting options.logging to none or null in code turns it off", async () => {
    expect(await logsHello("none-string")).toBe(false);
    expect(await logsHello("none-null")).toBe(false);
  });
  test("the command line overrides the code", async () => {
    expect(await logsHello("none-null", ["--logging=info"])).toBe(true);
  });
});
