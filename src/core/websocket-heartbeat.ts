/**
 * Keep-alive pings for WebSockets — the periodic ping of Tornado 6.2's `WebSocketProtocol13`,
 * shared by the server handler and the Node client.
 *
 * Every `interval` seconds a ping goes out; when no pong has come back for `timeout` seconds
 * the connection is closed. A ping that was itself late (the machine slept, the loop was
 * blocked) does not count against the peer.
 * @module
 */

/**
 * The ping timeout when none is configured: Tornado 6.2's `max(3 * interval, 30)` seconds.
 *
 * @example
 * defaultPingTimeout(5); // 30
 */
export function defaultPingTimeout(interval: number): number {
  return Math.max(3 * interval, 30);
}

const now: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function" ? () => performance.now() : () => Date.now();

/**
 * Sends periodic pings and reports a peer that stopped answering.
 *
 * @example
 * const beat = new WebSocketHeartbeat(10, null, () => socket.ping(), () => socket.close());
 * beat.start();
 * // on every pong: beat.pongReceived();
 * // on close: beat.stop();
 */
export class WebSocketHeartbeat {
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #sendPing: () => void;
  readonly #onTimeout: () => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastPing = 0;
  #lastPong = 0;

  /**
   * @param interval seconds between pings; 0 or less turns the heartbeat off.
   * @param timeout seconds without a pong before `onTimeout`; `null` for the default.
   */
  constructor(interval: number, timeout: number | null, sendPing: () => void, onTimeout: () => void) {
    this.#intervalMs = interval * 1000;
    this.#timeoutMs = (timeout ?? defaultPingTimeout(interval)) * 1000;
    this.#sendPing = sendPing;
    this.#onTimeout = onTimeout;
  }

  /** Starts pinging (a no-op when the interval is 0 or it already runs). */
  start(): void {
    if (this.#intervalMs <= 0 || this.#timer !== undefined) return;
    this.#lastPing = this.#lastPong = now();
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
  }

  /** Stops pinging; safe to call more than once. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Records a pong from the peer. */
  pongReceived(): void {
    this.#lastPong = now();
  }

  #tick(): void {
    const t = now();
    // Only a recent ping proves the peer silent: after a long pause of our own, ping afresh.
    if (t - this.#lastPing < 2 * this.#intervalMs && t - this.#lastPong > this.#timeoutMs) {
      this.stop();
      this.#onTimeout();
      return;
    }
    this.#lastPing = t;
    this.#sendPing();
  }
}
