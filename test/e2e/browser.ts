/**
 * The real browser for the end-to-end tests: Debian's Chromium (/usr/bin/chromium, which
 * `.ci/run` installs) driven by playwright-core, headless and sandbox-free as in a container.
 * When it cannot start, the tests skip and say why instead of failing CI for a missing
 * browser.
 */
import { access, constants } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";

/**
 * Where Debian's `chromium` package puts the browser; CYCLONE_E2E_CHROMIUM names another
 * Chromium build (a developer's machine, another distribution).
 */
export const CHROMIUM_PATH = process.env["CYCLONE_E2E_CHROMIUM"] || "/usr/bin/chromium";

/** The switches every launch gets: no GPU, no sandbox (root in a container), no calls home. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** A started browser, or the reason none could start. */
export type BrowserLaunch = { browser: Browser; skipReason?: undefined } | { browser?: undefined; skipReason: string };

/**
 * Starts Chromium with a fresh profile. playwright-core gives every launch its own new
 * `--user-data-dir` in the temporary directory and removes it on close (it refuses one passed
 * in `args`), so no state leaks between runs.
 *
 * @example
 * const { browser, skipReason } = await launchChromium();
 */
export async function launchChromium(timeoutMs = 60_000): Promise<BrowserLaunch> {
  try {
    await access(CHROMIUM_PATH, constants.X_OK);
  } catch {
    return { skipReason: `${CHROMIUM_PATH} is missing: install it with \`apt-get install -y chromium\` (.ci/run does)` };
  }
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: timeoutMs,
    });
    return { browser };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Playwright's message repeats the whole command line; the reason is in the other lines.
    const lines = message.split("\n").filter((line) => line.trim() !== "" && !line.includes("<launching>"));
    return { skipReason: `${CHROMIUM_PATH} could not start: ${lines.slice(0, 8).join(" | ")}` };
  }
}
