/**
 * The chat demo's two hosts as the end-to-end tests start them: the Node host built by
 * `npm run build` and run as `node build/examples/chat/node.js`, and the Worker under
 * `wrangler dev` (which runs the wrangler.toml build command first). Both listen on
 * 127.0.0.1 only, on a port picked free, with a fixed cookie secret.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Child, freePort, startChild, waitUntilAnswers } from "./processes.js";

const run = promisify(execFile);

/** The cookie secret both hosts get, so a signed-in user survives a reload in any isolate. */
const COOKIE_SECRET = "e2e-cookie-secret-not-for-production";

/** A running chat host: where it answers, and how to stop it and clean up after it. */
export interface ChatHost {
  readonly baseUrl: string;
  readonly child: Child;
  stop(): Promise<void>;
  /**
   * Stops the server and starts a new one on the same address, dropping every connection
   * as a deploy does (Node host only; its memory storage starts empty again).
   */
  restart?(): Promise<void>;
}

/**
 * Builds the project and starts the chat on the Node host.
 *
 * @example
 * const host = await startNodeChat();
 * await fetch(`${host.baseUrl}/auth/login`);
 * await host.stop();
 */
export async function startNodeChat(): Promise<ChatHost> {
  await run("npm", ["run", "build"], { timeout: 180_000 });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const launch = async (): Promise<Child> => {
    const child = startChild(process.execPath, [
      "build/examples/chat/node.js",
      `--port=${port}`,
      "--address=127.0.0.1",
      `--cookie_secret=${COOKIE_SECRET}`,
    ]);
    try {
      await waitUntilAnswers(`${baseUrl}/auth/login`, child, 30_000);
    } catch (e) {
      await child.stop();
      throw e;
    }
    return child;
  };
  let child = await launch();
  return {
    baseUrl,
    get child() {
      return child;
    },
    stop: () => child.stop(),
    async restart() {
      await child.stop();
      child = await launch();
    },
  };
}

/**
 * Starts `npx wrangler dev` on the top-level wrangler.toml (the chat Worker with its Durable
 * Objects and assets), with its own fresh persistence directory and no metrics.
 *
 * @example
 * const host = await startWranglerChat();
 * await host.stop();
 */
export async function startWranglerChat(): Promise<ChatHost> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persist = await mkdtemp(join(tmpdir(), "cyclone-e2e-wrangler-"));
  const child = startChild(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--inspector-ip",
      "127.0.0.1",
      "--persist-to",
      persist,
      "--var",
      `COOKIE_SECRET:${COOKIE_SECRET}`,
      "--show-interactive-dev-session=false",
    ],
    { WRANGLER_SEND_METRICS: "false" },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await child.stop();
    await rm(persist, { recursive: true, force: true });
  };
  try {
    // The build command (tsc, templates, assets manifest) runs before the server listens.
    await waitUntilAnswers(`${baseUrl}/auth/login`, child, 180_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { baseUrl, child, stop };
}
