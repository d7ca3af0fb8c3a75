/**
 * A room's messages: the last 200, in memory while the room is in use and in the room's
 * storage so they survive a restart of the Durable Object (or, on Node, nothing more than
 * the process: memory storage). Waiters for new messages (long polling) wait on a
 * Condition.
 */
import { Condition, type KeyStorage } from "cyclone";

/** One chat message. */
export interface ChatMessage {
  /**
   * The room's history this message belongs to. It changes only when the history is lost
   * (a Node process restarted with memory storage): clients then start counting again.
   */
  epoch: string;
  /** Position in the room, from 1; clients ask for what came after the last they saw. */
  seq: number;
  id: string;
  from: string;
  body: string;
  /** Unix milliseconds. */
  time: number;
}

/** How many messages a room keeps, as Tornado's chat demo. */
export const HISTORY_SIZE = 200;

export class Room {
  readonly name: string;
  readonly condition = new Condition();
  messages: ChatMessage[] = [];
  /** See {@link ChatMessage.epoch}; set by `load`. */
  epoch = "";
  #loaded: Promise<void> | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** Reads the history from storage once per process (or object) lifetime. */
  load(storage: KeyStorage): Promise<void> {
    return (this.#loaded ??= (async () => {
      const [stored, epoch] = await Promise.all([storage.get<ChatMessage[]>("messages"), storage.get<string>("epoch")]);
      this.epoch = epoch ?? crypto.randomUUID().slice(0, 8);
      if (epoch === undefined) await storage.put("epoch", this.epoch);
      this.messages = (stored ?? []).slice(-HISTORY_SIZE);
    })());
  }

  /**
   * The messages a client that saw up to `cursor` of history `epoch` has missed: all of
   * them when its epoch is not the room's (the history it knew is gone).
   */
  since(cursor: number, epoch?: string): ChatMessage[] {
    if (epoch !== undefined && epoch !== "" && epoch !== this.epoch) return this.messages.slice();
    return this.messages.filter((m) => m.seq > cursor);
  }

  /** Adds a message, stores the history, and wakes every long-polling waiter. */
  async add(storage: KeyStorage, from: string, body: string): Promise<ChatMessage> {
    await this.load(storage);
    const last = this.messages[this.messages.length - 1];
    const message: ChatMessage = { epoch: this.epoch, seq: (last?.seq ?? 0) + 1, id: crypto.randomUUID(), from, body, time: Date.now() };
    this.messages.push(message);
    if (this.messages.length > HISTORY_SIZE) this.messages.splice(0, this.messages.length - HISTORY_SIZE);
    await storage.put("messages", this.messages);
    this.condition.notifyAll();
    return message;
  }
}

// One Room per name: per process on Node; per isolate on Workers, where each room's
// requests all reach the same Durable Object.
const rooms = new Map<string, Room>();

export function room(name: string): Room {
  let r = rooms.get(name);
  if (r === undefined) {
    r = new Room(name);
    rooms.set(name, r);
  }
  return r;
}
