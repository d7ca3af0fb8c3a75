/**
 * The Node host's HTTP client transport, over `node:http` and `node:https`.
 *
 * The core `AsyncHTTPClient` runs over `fetch` by default, which cannot time the connect
 * phase alone, hand over a compressed body as sent, skip certificate checks or bind a
 * local address. This transport does all four, as Tornado's `simple_httpclient` does, and
 * opens one connection per request (`Connection: close`), as Tornado does.
 * {@link installNodeHTTPClient} makes it the default; the `cyclone/node` entry calls it.
 * @module
 */

import * as http from "node:http";
import * as https from "node:https";
import { isIP } from "node:net";
import type { Socket } from "node:net";
import {
  AsyncHTTPClient,
  HTTPClientError,
  HTTPStreamClosedError,
  HTTPTimeoutError,
  InvalidRequestError,
  type HTTPTransport,
  type TransportRequest,
  type TransportResponse,
} from "../core/httpclient.js";
import { HTTPHeaders } from "../core/httputil.js";

// Errors meaning the peer went away mid-exchange, which Tornado reports as a closed stream.
const CLOSED_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

function networkError(error: unknown): HTTPClientError {
  if (error instanceof HTTPClientError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CLOSED_CODES.has(code)) {
    return new HTTPStreamClosedError("Connection closed", { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HTTPClientError(599, message, undefined, { cause: error });
}

function toNodeHeaders(headers: HTTPHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  headers.forEachList((name, values) => {
    out[name] = values.length === 1 ? values[0]! : [...values];
  });
  return out;
}

function fromRawHeaders(raw: string[]): HTTPHeaders {
  const headers = new HTTPHeaders();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.add(raw[i]!, raw[i + 1]!);
  return headers;
}

async function* iterateResponse(
  response: http.IncomingMessage,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new HTTPStreamClosedError("Stream closed", { cause: error });
  } finally {
    // Abandoned early (a followed redirect): close the connection rather than drain it.
    if (!response.complete) response.destroy();
  }
  // node:http ends a response cut short without an error; Tornado calls that a closed stream.
  if (!response.complete) throw new HTTPStreamClosedError("Stream closed");
}

function send(request: TransportRequest): Promise<TransportResponse> {
  const { url, signal } = request;
  if (request.networkInterface !== undefined && isIP(request.networkInterface) === 0) {
    return Promise.reject(
      new InvalidRequestError(
        `Unrecognized IPv4 or IPv6 address for networkInterface, got ${JSON.stringify(request.networkInterface)}`,
      ),
    );
  }
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<TransportResponse>((resolve, reject) => {
    const secure = url.protocol === "https:";
    const options: https.RequestOptions = {
      protocol: url.protocol,
      // URL keeps IPv6 literals bracketed; sockets want them bare.
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: url.port || (secure ? 443 : 80),
      path: url.pathname + url.search,
      method: request.method,
      headers: toNodeHeaders(request.headers),
      setHost: false,
      agent: false,
      rejectUnauthorized: request.validateCert,
    };
    if (request.networkInterface !== undefined) options.localAddress = request.networkInterface;
    const req = (secure ? https : http).request(options);

    let connectTimer: ReturnType<typeof setTimeout> | undefined;
    if (request.connectTimeout > 0) {
      connectTimer = setTimeout(() => {
        req.destroy(new HTTPTimeoutError("Timeout while connecting"));
      }, request.connectTimeout * 1000);
    }
    const connected = (): void => {
      if (connectTimer !== undefined) clearTimeout(connectTimer);
      connectTimer = undefined;
      request.onConnect();
    };
    req.once("socket", (socket: Socket) => {
      // Tornado counts the TLS handshake as part of connecting.
      socket.once(secure ? "secureConnect" : "connect", connected);
    });
    const onAbort = (): void => {
      req.destroy(signal.reason instanceof Error ? signal.reason : new HTTPTimeoutError());
    };
    signal.addEventListener("abort", onAbort, { once: true });
    req.once("close", () => {
      if (connectTimer !== undefined) clearTimeout(connectTimer);
      signal.removeEventListener("abort", onAbort);
    });

    // `on`, not `once`: a request destroyed twice (timeout, then abort) may emit twice.
    req.on("error", (error) => {
      reject(signal.aborted ? signal.reason : networkError(error));
    });
    req.once("response", (response) => {
      // Errors surface through the body iterator; one arriving while nobody iterates (a
      // redirect's body being dropped) must not become an uncaught exception.
      response.on("error", () => {});
      resolve({
        code: response.statusCode ?? 0,
        reason: response.statusMessage ?? "",
        version: `HTTP/${response.httpVersion}`,
        headers: fromRawHeaders(response.rawHeaders),
        body: iterateResponse(response, signal),
        decoded: false,
      });
    });
    req.end(request.body);
  });
}

/**
 * The transport over `node:http`/`node:https`: honours `connectTimeout` (TCP and TLS),
 * `decompressResponse: false` (bodies arrive as sent), `validateCert: false` and
 * `networkInterface`.
 *
 * @example
 * const client = new AsyncHTTPClient({ transport: nodeTransport });
 * await client.fetch("http://127.0.0.1:8888/", { connectTimeout: 1, requestTimeout: 30 });
 */
export const nodeTransport: HTTPTransport = {
  name: "node:http",
  capabilities: { connectTimeout: true, rawBody: true, insecureTls: true, networkInterface: true },
  send,
};

/**
 * Makes {@link nodeTransport} the default transport of `AsyncHTTPClient`s created from
 * now on. The `cyclone/node` entry calls this when loaded.
 *
 * @example
 * installNodeHTTPClient();
 * const response = await new AsyncHTTPClient().fetch(url, { decompressResponse: false });
 */
export function installNodeHTTPClient(): void {
  AsyncHTTPClient.configure({ transport: nodeTransport });
}
