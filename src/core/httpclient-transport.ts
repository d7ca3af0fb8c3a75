/**
 * The transport seam of the HTTP client, and the default transport over the runtime's
 * global `fetch`.
 *
 * `AsyncHTTPClient` (in `httpclient.ts`) does everything Tornado's client does above the
 * wire — defaults, validation, auth, redirects, timeouts, decompression, callbacks — and
 * hands one request at a time to an {@link HTTPTransport}. The transport only moves bytes.
 * A host with more control than `fetch` (the Node host, over `node:http`) installs its own
 * transport, so this core module never imports a host API.
 * @module
 */

import { HTTPHeaders } from "./httputil.js";

/** One HTTP exchange as a transport sees it: no redirects, headers final. */
export interface TransportRequest {
  /** The URL to request, without credentials (those are in `Authorization`). */
  readonly url: URL;
  readonly method: string;
  /** Every header to send, including `Host`, `Connection` and `Content-Length`. */
  readonly headers: HTTPHeaders;
  readonly body: Uint8Array | undefined;
  /** Seconds allowed to establish the connection (TCP and TLS); 0 means no limit. */
  readonly connectTimeout: number;
  /** Verify the server's TLS certificate. */
  readonly validateCert: boolean;
  /** Local address to bind the connection to, if any. */
  readonly networkInterface: string | undefined;
  /** Aborted when the client gives up (request timeout); the transport must stop at once. */
  readonly signal: AbortSignal;
  /** Called once the connection is established, so a timeout can say which phase it hit. */
  readonly onConnect: () => void;
}

/** The response to a {@link TransportRequest}, its body still arriving. */
export interface TransportResponse {
  readonly code: number;
  /** The reason phrase sent by the server ("" if none or unknown). */
  readonly reason: string;
  /** The protocol of the status line, e.g. `HTTP/1.1`. */
  readonly version: string;
  readonly headers: HTTPHeaders;
  /** The body, chunk by chunk as it arrives. */
  readonly body: AsyncIterable<Uint8Array>;
  /** `true` if the transport already removed any `Content-Encoding` from the body. */
  readonly decoded: boolean;
}

/** What a transport can do beyond plain `fetch`; options needing more raise an error. */
export interface HTTPTransportCapabilities {
  /** Enforces `connectTimeout` apart from the request timeout. */
  readonly connectTimeout: boolean;
  /** Can deliver the body as sent (so `decompressResponse: false` is possible). */
  readonly rawBody: boolean;
  /** Can skip certificate verification (`validateCert: false`). */
  readonly insecureTls: boolean;
  /** Can bind to a local address (`networkInterface`). */
  readonly networkInterface: boolean;
}

/**
 * Moves one request and its response over the network for `AsyncHTTPClient`.
 *
 * `send` rejects with an `HTTPClientError` (code 599) for a network failure; any other
 * rejection is wrapped into one by the client.
 *
 * @example
 * const loggingTransport: HTTPTransport = {
 *   name: "logging",
 *   capabilities: fetchTransport.capabilities,
 *   send(request) {
 *     console.log(request.method, request.url.href);
 *     return fetchTransport.send(request);
 *   },
 * };
 * AsyncHTTPClient.configure({ transport: loggingTransport });
 */
export interface HTTPTransport {
  /** A short name for error messages, e.g. `fetch` or `node:http`. */
  readonly name: string;
  readonly capabilities: HTTPTransportCapabilities;
  send(request: TransportRequest): Promise<TransportResponse>;
}

// fetch() refuses or overrides these; it computes them itself.
const FETCH_MANAGED_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/**
 * The transport over the runtime's global `fetch` (Node's undici, Workers' fetch). It
 * cannot time the connect phase alone, deliver compressed bodies, skip certificate
 * checks or bind a local address; the client raises `UnsupportedOptionError` for those.
 *
 * @example
 * const client = new AsyncHTTPClient({ transport: fetchTransport });
 */
export const fetchTransport: HTTPTransport = {
  name: "fetch",
  capabilities: { connectTimeout: false, rawBody: false, insecureTls: false, networkInterface: false },
  async send(request: TransportRequest): Promise<TransportResponse> {
    const headers = new Headers();
    for (const [name, value] of request.headers) {
      if (!FETCH_MANAGED_HEADERS.has(name.toLowerCase())) headers.append(name, value);
    }
    // fetch cannot say when the connection is up; the whole exchange counts as the request.
    request.onConnect();
    const response = await fetch(request.url, {
      method: request.method,
      headers,
      // DOM typings want an ArrayBuffer-backed view; fetch accepts any Uint8Array.
      body: request.body as Uint8Array<ArrayBuffer> | undefined,
      redirect: "manual",
      signal: request.signal,
    });
    return {
      code: response.status,
      reason: response.statusText,
      version: "HTTP/1.1",
      headers: fromWebHeaders(response.headers),
      body: response.body === null ? emptyBody() : iterateStream(response.body),
      decoded: true,
    };
  },
};

function fromWebHeaders(web: Headers): HTTPHeaders {
  const headers = new HTTPHeaders();
  // Web Headers join repeated fields with ", ", which would corrupt Set-Cookie.
  // Not every runtime's type declarations know getSetCookie; the runtimes themselves do.
  const getSetCookie = (web as { getSetCookie?: () => string[] }).getSetCookie;
  const cookies = typeof getSetCookie === "function" ? getSetCookie.call(web) : [];
  for (const [name, value] of web) {
    if (name === "set-cookie" && cookies.length) continue;
    headers.add(name, value);
  }
  for (const cookie of cookies) headers.add("Set-Cookie", cookie);
  return headers;
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/**
 * Iterates a `ReadableStream` of bytes (Node 20 streams are not async-iterable on every
 * host, so the reader is driven by hand).
 * @internal
 */
export async function* iterateStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength) yield value;
    }
  } finally {
    // Leaving early (a redirect's body, an error) must not keep the connection busy.
    reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * Turns an async iterable of bytes into a `ReadableStream`, to pipe it through a
 * `DecompressionStream`.
 * @internal
 */
export function toReadableStream(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
