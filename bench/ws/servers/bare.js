// The floor Cyclone is measured against: a bare `ws` WebSocketServer on node:http (no
// framework: a Set of sockets for the room, `ws.send` to echo), and long polling on bare
// node:http (a Set of waiting responses). Contract: control.js.
import * as http from "node:http";
import { WebSocketServer } from "ws";
import { collectGarbage, ready } from "./control.js";

const sockets = new Set();
const waiting = new Set();

const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });

function json(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  switch (url.pathname) {
    case "/poll":
      waiting.add(res);
      res.on("close", () => waiting.delete(res));
      return;
    case "/count":
      return json(res, { sockets: sockets.size, waiters: waiting.size });
    case "/gc":
      collectGarbage();
      return json(res, { ok: true });
    case "/broadcast": {
      const data = Buffer.from(url.searchParams.get("m") ?? "");
      let sent = 0;
      for (const ws of sockets) {
        ws.send(data, { binary: false });
        sent++;
      }
      return json(res, { sent });
    }
    case "/notify": {
      const body = url.searchParams.get("m") ?? "";
      const all = [...waiting];
      waiting.clear();
      for (const r of all) {
        r.writeHead(200, { "Content-Type": "text/html; charset=UTF-8", "Content-Length": Buffer.byteLength(body) });
        r.end(body);
      }
      return json(res, { woken: all.length });
    }
    default:
      res.writeHead(404).end();
  }
});

server.on("upgrade", (req, socket, head) => {
  socket.on("error", () => {});
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.add(ws);
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on("close", () => sockets.delete(ws));
    ws.on("error", () => {});
  });
});

server.listen(0, "127.0.0.1", () => ready(server.address().port));
