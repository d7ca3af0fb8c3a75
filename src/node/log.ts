/**
 * Logging output for the Node host — Tornado's `tornado.log` setup half.
 *
 * The loggers themselves (`accessLog`, `appLog`, `genLog`, `getLogger`) live in the core;
 * this module writes their records: `enablePrettyLogging` puts Tornado's formatter on the
 * root logger (stderr, coloured on a terminal, and/or a rotated file), and
 * `defineLoggingOptions` adds the `--logging`, `--log-to-stderr`, `--log-file-prefix`,
 * `--log-file-max-size`, `--log-file-num-backups`, `--log-rotate-when`,
 * `--log-rotate-interval`, `--log-rotate-mode` options (and Cyclone's `--log-format`:
 * `text` or `json`) that configure it. A final parse of the global `options` calls it.
 * @module
 */

import { getLogger, type Logger, LogLevel } from "../core/log.js";
import { type Handler, RotatingFileHandler, StreamHandler, TimedRotatingFileHandler, type WritableText } from "./log-file.js";
import { type Formatter, JsonFormatter, LogConfigError, LogFormatter, type TerminalLike } from "./log-format.js";
import { type OptionParser, options as globalOptions } from "./options.js";

export * from "./log-format.js";
export * from "./log-file.js";

/** The settings `enablePrettyLogging` reads: the logging options, by their camelCase names. */
export interface LoggingOptions {
  /** `debug`, `info`, `warning`, `error`, `critical` (any case), or `none`/`null` to leave logging alone. */
  logging?: string | null;
  /** true: always stderr; false: never; null: stderr when no file and the logger has no handler. */
  logToStderr?: boolean | null;
  /** Path of the log file (Tornado names it a prefix; it is the file name). */
  logFilePrefix?: string | null;
  logFileMaxSize?: number;
  logFileNumBackups?: number;
  logRotateWhen?: string;
  logRotateInterval?: number;
  /** `size` or `time`. */
  logRotateMode?: string;
  /** `text` (Tornado's format) or `json` (one object per line). */
  logFormat?: string;
}

/** Arguments of `enablePrettyLogging`. */
export interface EnablePrettyLoggingOptions {
  /** Where the settings come from: the global `options` when omitted. */
  options?: LoggingOptions | OptionParser;
  /** The logger to configure: the root logger when omitted. */
  logger?: Logger;
  /** The stream for stderr output: `process.stderr` when omitted. */
  stream?: WritableText & TerminalLike;
}

const LEVELS: Readonly<Record<string, number>> = {
  DEBUG: LogLevel.DEBUG,
  INFO: LogLevel.INFO,
  WARNING: LogLevel.WARNING,
  WARN: LogLevel.WARNING,
  ERROR: LogLevel.ERROR,
  CRITICAL: LogLevel.CRITICAL,
  FATAL: LogLevel.CRITICAL,
};

function read<K extends keyof LoggingOptions>(source: LoggingOptions | OptionParser, key: K): LoggingOptions[K] | undefined {
  return (source as Record<string, unknown>)[key] as LoggingOptions[K] | undefined;
}

/**
 * Turns on formatted logging as the options say, and returns the handlers it added.
 * Sets the logger's level from `logging` (nothing at all happens for `none`); with a
 * `logFilePrefix`, adds a file handler rotated by size or time; adds a stderr handler
 * when `logToStderr` is true, or when it is null and the logger has no handler yet.
 * Throws `LogConfigError` for an unknown level, rotate mode or format.
 *
 * @example
 * enablePrettyLogging({ options: { logging: "debug" } });
 * accessLog.info("200 GET / (127.0.0.1) 0.52ms"); // [I 251125 04:55:01 access] 200 GET / ...
 */
export function enablePrettyLogging(args: EnablePrettyLoggingOptions = {}): Handler[] {
  const source = args.options ?? globalOptions;
  const level = read(source, "logging");
  if (level === null || level === undefined || level.toLowerCase() === "none") return [];
  const logger = args.logger ?? getLogger();
  const upper = level.toUpperCase();
  if (upper === "NOTSET") logger.setLevel(logger.name === "" ? 1 : 0);
  else {
    const n = LEVELS[upper];
    if (n === undefined) throw new LogConfigError(`Unknown log level ${JSON.stringify(level)}: use debug, info, warning, error, critical or none`);
    logger.setLevel(n);
  }
  const format = (read(source, "logFormat") ?? "text").toLowerCase();
  if (format !== "text" && format !== "json") throw new LogConfigError(`The value of log_format option should be "text" or "json", not "${format}".`);
  const makeFormatter = (color: boolean): Formatter =>
    format === "json" ? new JsonFormatter() : new LogFormatter({ color: color ? "auto" : "never", ...(args.stream ? { stream: args.stream } : {}) });

  const added: Handler[] = [];
  const file = read(source, "logFilePrefix");
  if (file) {
    const mode = read(source, "logRotateMode") ?? "size";
    let handler: Handler;
    if (mode === "size") {
      handler = new RotatingFileHandler(file, {
        maxBytes: read(source, "logFileMaxSize") ?? 100 * 1000 * 1000,
        backupCount: read(source, "logFileNumBackups") ?? 10,
        formatter: makeFormatter(false),
      });
    } else if (mode === "time") {
      handler = new TimedRotatingFileHandler(file, {
        when: read(source, "logRotateWhen") ?? "midnight",
        interval: read(source, "logRotateInterval") ?? 1,
        backupCount: read(source, "logFileNumBackups") ?? 10,
        formatter: makeFormatter(false),
      });
    } else {
      throw new LogConfigError(`The value of log_rotate_mode option should be "size" or "time", not "${mode}".`);
    }
    logger.addHandler(handler.handle);
    added.push(handler);
  }
  const toStderr = read(source, "logToStderr");
  if (toStderr || ((toStderr === null || toStderr === undefined) && logger.handlers.length === 0)) {
    const handler = new StreamHandler(args.stream ?? process.stderr, makeFormatter(true));
    logger.addHandler(handler.handle);
    added.push(handler);
  }
  return added;
}

/**
 * Adds the logging options to `parser` (the global `options` has them already) and a
 * parse callback that calls `enablePrettyLogging` with them.
 *
 * @example
 * const parser = new OptionParser();
 * defineLoggingOptions(parser);
 * parser.parseCommandLine(["main.js", "--logging=debug"]);
 */
export function defineLoggingOptions(parser: OptionParser = globalOptions): void {
  // Runs while options.ts initialises the global parser: it must use nothing of this
  // module's top-level state, which may not exist yet.
  parser.define("logging", {
    default: "info",
    help: "Set the log level. If 'none', Cyclone won't touch the logging configuration.",
    metavar: "debug|info|warning|error|none",
  });
  parser.define("log_to_stderr", {
    type: Boolean,
    default: null,
    help: "Send log output to stderr (colorized if possible). By default use stderr if --log_file_prefix is not set and no other logging is configured.",
  });
  parser.define("log_file_prefix", {
    type: String,
    default: null,
    metavar: "PATH",
    help: "Path prefix for log files. Note that if you are running multiple Cyclone processes, log_file_prefix must be different for each of them (e.g. include the port number)",
  });
  parser.define("log_file_max_size", { type: "int", default: 100 * 1000 * 1000, help: "max size of log files before rollover" });
  parser.define("log_file_num_backups", { type: "int", default: 10, help: "number of log files to keep" });
  parser.define("log_rotate_when", {
    type: String,
    default: "midnight",
    help: "specify the type of TimedRotatingFileHandler interval other options:('S', 'M', 'H', 'D', 'W0'-'W6')",
  });
  parser.define("log_rotate_interval", { type: "int", default: 1, help: "The interval value of timed rotating" });
  parser.define("log_rotate_mode", { type: String, default: "size", help: "The mode of rotating files(time or size)" });
  parser.define("log_format", {
    type: String,
    default: "text",
    metavar: "text|json",
    help: "The log line format: Tornado's text lines, or one JSON object per line for log collectors",
  });
  parser.addParseCallback(() => {
    enablePrettyLogging({ options: parser });
  });
}
