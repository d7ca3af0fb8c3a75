/**
 * WebSockets at the edge: the behaviour app's /ws/ rooms served by hibernating sockets in
 * Durable Objects, through the Worker, inside workerd.
 */
import { describe, expect, test } from "vitest";
import { connect, upgrade } from "./websocket-client.js";

describe("two clients in one room", () => {
  test("exchange messages through the object", async () => {
    const a = await connect("/ws/room/duo");
    const b = await connect("/ws/room/duo");
    expect(await a.ask("/nick alice")).toEqual({ type: "nick", nick: "alice" });
    a.ws.send("hello bob");
    expect(await b.json()).toEqual({ type: "msg", from: "alice", text: "hello bob" });
    expect(await a.json()).toEqual({ type: "msg", from: "alice", text: "hello bob" });
    b.ws.send("hi alice");
    expect(await a.json()).toEqual({ type: "msg", from: "anon", text: "hi alice" });
    a.ws.close(1000, "bye");
    b.ws.close(1000, "bye");
  });
});

describe("the handshake", () => {
  test("a handler with onPong is refused: this host cannot send pings", async () => {
    const res = await upgrade("/ws/pong");
    expect(res.status).toBe(500);
  });
});
