// Hello world on raw node:http: the baseline every other server is compared with.
import * as http from "node:http";
import { BODY, ready } from "./ready.js";

const length = String(Buffer.byteLength(BODY));
const server = http.createServer((req, res) => {
  // Headers in one object and an explicit length: node's fastest path, no chunked encoding.
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": length });
  res.end(BODY);
});
server.listen(0, "127.0.0.1", () => ready(server.address().port));
