// Cyclone as a user writes it: a WebSocketHandler that joins a room and echoes, and a
// long-poll handler that waits on a Condition and withdraws its wait when the client
// leaves (Tornado's chat demo, translated). Built files (dist/). Contract: control.js.
import {
  Application,
  Condition,
  HTTPServer,
  openWebSocketCount,
  RequestHandler,
  WebSocketHandler,
  websocketRooms,
} from "../../../dist/node/index.js";
import { collectGarbage, ready } from "./control.js";

const ROOM = "bench";
const messages = new Condition();
let latest = "";

class BenchSocket extends WebSocketHandler {
  open() {
    this.join(ROOM);
  }

  onMessage(message) {
    this.writeMessage(message);
  }
}

class PollHandler extends RequestHandler {
  #left = new AbortController();

  onConnectionClose() {
    this.#left.abort();
  }

  async get() {
    try {
      await messages.wait(undefined, this.#left.signal);
    } catch (e) {
      if (this.#left.signal.aborted) return;
      throw e;
    }
    this.finish(latest);
  }
}

class CountHandler extends RequestHandler {
  get() {
    this.write({ sockets: openWebSocketCount(server), waiters: messages.waiterCount });
  }
}

class GcHandler extends RequestHandler {
  post() {
    collectGarbage();
    this.write({ ok: true });
  }
}

class BroadcastHandler extends RequestHandler {
  post() {
    const sent = websocketRooms(this.application).broadcast(ROOM, this.getArgument("m"));
    this.write({ sent });
  }
}

class NotifyHandler extends RequestHandler {
  post() {
    latest = this.getArgument("m");
    const woken = messages.waiterCount;
    messages.notifyAll();
    this.write({ woken });
  }
}

const app = new Application([
  ["/ws", BenchSocket],
  ["/poll", PollHandler],
  ["/count", CountHandler],
  ["/gc", GcHandler],
  ["/broadcast", BroadcastHandler],
  ["/notify", NotifyHandler],
]);
const server = new HTTPServer(app);
await server.listen(0, "127.0.0.1");
ready(server.address().port);
