/**
 * Server-sent events — an `EventSource`-ready stream from an ordinary handler (beyond
 * Tornado, which leaves it to the application).
 *
 * `EventSourceHandler` answers with `text/event-stream`, frames each event as the HTML
 * standard's `id:`/`event:`/`data:`/`retry:` lines, keeps idle connections alive with
 * comment lines, exposes the client's `Last-Event-ID`, and tells the handler when the
 * client leaves. It runs on every host: it only writes and flushes through the core.
 * @module
 */

import { jsonEncode } from "./escape-json.js";
import { RequestHandler } from "./web.js";

/** One event, as `EventSource` receives it. */
export interface ServerSentEvent {
  /** The payload: text (split into `data:` lines at line breaks) or a plain object sent as JSON. */
  data?: string | Record<string, unknown>;
  /** The event type (`addEventListener(type, …)`); absent means `message`. */
  event?: string;
  /** The event id, which the browser sends back as `Last-Event-ID` when it reconnects. */
  id?: string;
  /** Milliseconds the browser should wait before reconnecting. */
  retry?: number;
}

/**
 * Raised by `sendEvent` once the stream has ended (the client left, or the handler closed
 * it).
 *
 * @example
 * try { await this.sendEvent({ data }); } catch (e) { if (e instanceof EventStreamClosedError) return; throw e; }
 */
export class EventStreamClosedError extends Error {
  override name = "EventStreamClosedError";
  constructor(message = "event stream is closed") {
    super(message);
  }
}

const LINE_BREAK = /\r\n|\r|\n/;

/**
 * Formats one event as event-stream text, ending with the blank line that dispatches it.
 * @throws {TypeError} for an event type or id with a line break (it would split the
 *   frame), an id with NUL (browsers ignore it), or a `retry` that is not a non-negative
 *   integer.
 *
 * @example
 * formatServerSentEvent({ event: "tick", id: "7", data: "a\nb" });
 * // "event: tick\nid: 7\ndata: a\ndata: b\n\n"
 */
export function formatServerSentEvent(ev: ServerSentEvent): string {
  let out = "";
  if (ev.event !== undefined) {
    if (LINE_BREAK.test(ev.event)) throw new TypeError("an event type cannot contain a line break");
    out += `event: ${ev.event}\n`;
  }
  if (ev.id !== undefined) {
    if (LINE_BREAK.test(ev.id) || ev.id.includes("\0")) throw new TypeError("an event id cannot contain a line break or NUL");
    out += `id: ${ev.id}\n`;
  }
  if (ev.retry !== undefined) {
    if (!Number.isSafeInteger(ev.retry) || ev.retry < 0) throw new TypeError(`retry must be a non-negative integer, not ${ev.retry}`);
    out += `retry: ${ev.retry}\n`;
  }
  if (ev.data !== undefined) {
    const text = typeof ev.data === "string" ? ev.data : jsonEncode(ev.data);
    for (const line of text.split(LINE_BREAK)) out += `data: ${line}\n`;
  }
  return out + "\n";
}

/**
 * Base class for a handler that streams server-sent events. The first `sendEvent` (or
 * `startEventStream`) sends the headers; the stream ends when the verb method settles,
 * when `endEventStream()` is called, or when the client leaves (`eventStreamClosed`
 * resolves, `onConnectionClose` runs).
 *
 * @example
 * class TicksHandler extends EventSourceHandler {
 *   override async get() {
 *     let n = Number(this.lastEventId ?? 0);
 *     while (!this.eventStreamEnded) {
 *       await this.sendEvent({ id: String(++n), event: "tick", data: { n } });
 *       await Promise.race([sleep(1000), this.eventStreamClosed]);
 *     }
 *   }
 * }
 */
export class EventSourceHandler extends RequestHandler {
  #started = false;
  #ended = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #resolveClosed: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  /** Seconds between keep-alive comments on an idle stream (default 15; 0 turns them off). */
  get keepAliveInterval(): number {
    return 15;
  }

  /** The id of the last event the client saw (its `Last-Event-ID` header), or `null`. */
  get lastEventId(): string | null {
    return this.request.headers.get("Last-Event-ID") ?? null;
  }

  /** Whether the stream has ended (client gone, or ended by the handler). */
  get eventStreamEnded(): boolean {
    return this.#ended || this.finished;
  }

  /** Resolves when the stream ends, for `await Promise.race([work, this.eventStreamClosed])`. */
  get eventStreamClosed(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
      if (this.eventStreamEnded) this.#resolveClosed!();
    }
    return this.#closed;
  }

  /**
   * Sends the headers (`text/event-stream`, no caching, no proxy buffering) and, when
   * `retry` is given, the reconnection delay. Called by the first `sendEvent` if not before.
   *
   * @example
   * override async get() { await this.startEventStream(5000); }
   */
  startEventStream(retry?: number): Promise<void> {
    if (this.#started) return Promise.resolve();
    this.#started = true;
    this.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    this.setHeader("Cache-Control", "no-cache");
    // nginx buffers proxied responses unless told otherwise, which would hold events back.
    this.setHeader("X-Accel-Buffering", "no");
    if (retry !== undefined) this.write(formatServerSentEvent({ retry }));
    const interval = this.keepAliveInterval;
    if (interval > 0) {
      this.#timer = setInterval(() => {
        if (this.eventStreamEnded) this.#stop();
        else void this.#send(": keep-alive\n\n");
      }, interval * 1000);
      (this.#timer as { unref?: () => void }).unref?.();
    }
    return this.flush();
  }

  /**
   * Sends one event (or a bare data string) and flushes it. Resolves when the host can
   * take more.
   * @throws {EventStreamClosedError} (as a rejection) once the stream has ended.
   *
   * @example
   * await this.sendEvent({ event: "joined", data: { user } });
   * await this.sendEvent("plain message");
   */
  sendEvent(event: ServerSentEvent | string): Promise<void> {
    if (this.eventStreamEnded) return Promise.reject(new EventStreamClosedError());
    const text = formatServerSentEvent(typeof event === "string" ? { data: event } : event);
    if (!this.#started) {
      void this.startEventStream();
    }
    return this.#send(text);
  }

  /**
   * Sends a comment line (ignored by `EventSource`; useful against idle timeouts).
   *
   * @example
   * await this.sendComment("still here");
   */
  sendComment(text = ""): Promise<void> {
    if (this.eventStreamEnded) return Promise.reject(new EventStreamClosedError());
    if (!this.#started) void this.startEventStream();
    return this.#send(text.split(LINE_BREAK).map((l) => `: ${l}\n`).join("") + "\n");
  }

  /**
   * Ends the stream (finishing the response). The browser reconnects after its retry
   * delay unless the page closes the `EventSource`; answer 204 to a reconnect to stop it.
   *
   * @example
   * await this.endEventStream();
   */
  endEventStream(): Promise<void> {
    if (this.finished) return Promise.resolve();
    this.#stop();
    return this.finish();
  }

  #send(text: string): Promise<void> {
    this.write(text);
    return this.flush();
  }

  #stop(): void {
    this.#ended = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#resolveClosed?.();
  }

  /** The client left: the stream ends and `eventStreamClosed` resolves. Call `super` when overriding. */
  override onConnectionClose(): void {
    this.#stop();
  }

  /** The response is done: the keep-alive timer stops. Call `super` when overriding. */
  override onFinish(): void {
    this.#stop();
  }
}
