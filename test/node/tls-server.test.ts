/**
 * HTTPServer over TLS (the `ssl` option, Tornado's ssl_options): real HTTPS on 127.0.0.1
 * with the test certificate of test/fixtures/tls/, trusted by the client as its CA.
 * Written with cyclone/node/testing's useHTTPTestServer.
 */
import { readFileSync } from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { Application, HTTPServer, RequestHandler, SSLOptionsError } from "../../src/node/index.js";
import { expectNoUnexpectedLogs, useHTTPTestServer } from "../../src/node/testing.js";

const certfile = fileURLToPath(new URL("../fixtures/tls/cert.pem", import.meta.url));
const keyfile = fileURLToPath(new URL("../fixtures/tls/key.pem", import.meta.url));
const ca = readFileSync(certfile);

class InfoHandler extends RequestHandler {
  override get() {
    this.write({ protocol: this.request.protocol, remoteIp: this.request.remoteIp, fullUrl: this.request.fullUrl() });
  }
}

const makeApp = () => new Application([["/", InfoHandler]]);

interface Answer {
  status: number;
  body: string;
  authorized: boolean;
}

/** GET over node:https, trusting only the test certificate. */
function httpsGet(port: number, path: string, headers: Record<string, string> = {}, servername = "localhost"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", servername, port, path, headers, ca, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body, authorized: (res.socket as import("node:tls").TLSSocket).authorized }));
    });
    req.on("error", reject);
    req.setTimeout(5000, () => req.destroy(new Error("request timed out")));
  });
}

describe("HTTPS with certfile/keyfile paths", () => {
  expectNoUnexpectedLogs();
  const server = useHTTPTestServer(makeApp, { ssl: { certfile, keyfile } });

  test("serves HTTPS with the configured certificate, verified against its CA", async () => {
    const r = await httpsGet(server.port, "/");
    expect(r.status).toBe(200);
    expect(r.authorized).toBe(true);
  });

  test("request.protocol is https, and fullUrl says so", async () => {
    const r = await httpsGet(server.port, "/?y=1");
    expect(JSON.parse(r.body)).toEqual({
      protocol: "https",
      remoteIp: "127.0.0.1",
      fullUrl: `https://127.0.0.1:${server.port}/?y=1`,
    });
  });

  test("the test server's fetch speaks HTTPS (certificate not verified, as AsyncHTTPSTestCase)", async () => {
    expect(server.protocol).toBe("https");
    expect(server.url("/")).toBe(`https://127.0.0.1:${server.port}/`);
    const response = await server.fetch("/");
    expect(response.code).toBe(200);
    expect(response.json()).toMatchObject({ protocol: "https" });
  });

  test("a client that does not trust the certificate is refused by its own check", async () => {
    const error = await new Promise<Error>((resolve) => {
      https.get({ host: "127.0.0.1", port: server.port, path: "/", agent: false }, () => resolve(new Error("answered"))).on("error", resolve);
    });
    expect((error as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  test("plain HTTP on the TLS port gets no HTTP response", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(server.port, "127.0.0.1", () => sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      let data = "";
      sock.on("data", (d: Buffer) => (data += d.toString("latin1")));
      sock.on("close", () => resolve(data));
      sock.on("error", reject);
      sock.setTimeout(5000, () => sock.destroy());
    });
    expect(reply).not.toMatch(/^HTTP\//);
  });
});

describe("HTTPS with Node's own TLS options", () => {
  const server = useHTTPTestServer(makeApp, { ssl: { cert: ca, key: readFileSync(keyfile) }, scope: "all" });

  test("cert/key buffers serve the same certificate", async () => {
    const r = await httpsGet(server.port, "/");
    expect(r).toMatchObject({ status: 200, authorized: true });
  });
});

describe("HTTPS behind a proxy (xheaders)", () => {
  const server = useHTTPTestServer(makeApp, { ssl: { certfile, keyfile }, xheaders: true });

  test("X-Forwarded-For sets remoteIp and X-Scheme sets the protocol, as over plain HTTP", async () => {
    const r = await httpsGet(server.port, "/", { "X-Forwarded-For": "203.0.113.7", "X-Scheme": "http" });
    expect(JSON.parse(r.body)).toMatchObject({ remoteIp: "203.0.113.7", protocol: "http" });
  });

  test("without the headers the protocol stays https", async () => {
    const r = await httpsGet(server.port, "/", { "X-Real-Ip": "198.51.100.2" });
    expect(JSON.parse(r.body)).toMatchObject({ remoteIp: "198.51.100.2", protocol: "https" });
  });
});

describe("ssl option errors show when the server is created", () => {
  test("a certfile that does not exist", () => {
    expect(() => new HTTPServer(makeApp(), { ssl: { certfile: "/nonexistent/cert.pem", keyfile } })).toThrow(
      new SSLOptionsError('certfile "/nonexistent/cert.pem" does not exist'),
    );
  });

  test("options without a certificate", () => {
    expect(() => new HTTPServer(makeApp(), { ssl: { keyfile } })).toThrow(SSLOptionsError);
  });
});

describe("bind + start with TLS", () => {
  test("start(1) serves HTTPS on the bound port in this process", async () => {
    const server = new HTTPServer(makeApp(), { ssl: { certfile, keyfile } });
    await server.bind(0, "127.0.0.1");
    await server.start(1);
    try {
      const r = await httpsGet(server.address()!.port, "/");
      expect(JSON.parse(r.body)).toMatchObject({ protocol: "https" });
    } finally {
      await server.stop();
    }
  });
});
