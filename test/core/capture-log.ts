/**
 * Runs `fn` with Cyclone's log captured and kept off the console, as Tornado's ExpectLog:
 * resolves with one line per record, `LEVEL message`, plus ` [Name: message]` for an error.
 */
import { getLogger, type LogRecord } from "../../src/core/log.js";

export async function captureLog(fn: () => Promise<void>): Promise<string[]> {
  const messages: string[] = [];
  const handler = (r: LogRecord) => messages.push(`${r.levelName} ${r.message}${r.error instanceof Error ? ` [${r.error.name}: ${r.error.message}]` : ""}`);
  getLogger("cyclone").addHandler(handler);
  try {
    await fn();
  } finally {
    getLogger("cyclone").removeHandler(handler);
  }
  return messages;
}
