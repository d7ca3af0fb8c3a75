/**
 * compressResponse on the Node host, seen by a client that does not decompress: the bytes
 * on the wire are gzip, with an exact Content-Length for a finished body and chunked
 * flushes for a streamed one.
 */
import * as http from "node:http";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { HTTPServer } from "../../src/node/index.js";
import { LONG_TEXT, makeGzipApp } from "../behaviour/web-app.js";

let server: HTTPServer;
let port = 0;

beforeAll(async () => {
  server = new HTTPServer(makeGzipApp());
  await server.listen(0, "127.0.0.1");
  port = server.address()!.port;
});

afterAll(async () => {
  server.closeAllConnections();
  await server.stop();
});

function rawGet(path: string): Promise<{ headers: http.IncomingHttpHeaders; chunks: Buffer[] }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, headers: { "Accept-Encoding": "gzip" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ headers: res.headers, chunks }));
      })
      .on("error", reject);
  });
}

test("a finished body is gzip with the compressed Content-Length", async () => {
  const r = await rawGet("/gz/big");
  const body = Buffer.concat(r.chunks);
  expect(r.headers["content-encoding"]).toBe("gzip");
  expect(Number(r.headers["content-length"])).toBe(body.length);
  expect(body.length).toBeLessThan(LONG_TEXT.length / 10);
  expect(gunzipSync(body).toString()).toBe(LONG_TEXT);
});

test("a streamed body is one gzip stream, sent chunked", async () => {
  const r = await rawGet("/gz/stream");
  expect(r.headers["content-encoding"]).toBe("gzip");
  expect(r.headers["transfer-encoding"]).toBe("chunked");
  const text = gunzipSync(Buffer.concat(r.chunks)).toString();
  expect(text.split("\n").filter(Boolean).map((l) => l.slice(0, 8))).toEqual(["chunk 0:", "chunk 1:", "chunk 2:", "chunk 3:", "chunk 4:"]);
});
