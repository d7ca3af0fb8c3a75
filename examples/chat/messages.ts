/**
 * A room's messages: the last 200, in memory while the room is in use and in the room's
 * storage so they survive a restart of the Durable Object (or, on Node, nothing more than
 * the process: memory storage). Waiters for new messages (long polling) wait on a
 * Condition.
 */
import { Condition, type KeyStorage } from "cyclone";

/** One chat message. */
export interface ChatMessage {
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
  #loaded: Promise<void> | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** Reads the history from storage once per process (or object) lifetime. */
  load(storage: KeyStorage): Promise<void> {
    return (this.#loaded ??= storage.get<ChatMessage[]>("messages").then((m) => {
      // Messages added before the load finished stay after the stored ones.
      this.messages = [...(m ?? []), ...this.messages].slice(-HISTORY_SIZE);
    }));
  }

  /** The messages after `cursor` (a seq), oldest first. */
  since(cursor: number): ChatMessage[] {
    return this.messages.filter((m) => m.seq > cursor);
  }

  /** Adds a message, stores the history, and wakes every long-polling waiter. */
  async add(storage: KeyStorage, from: string, body: string): Promise<ChatMessage> {
    await this.load(storage);
    const last = this.messages[this.messages.length - 1];
    const message: ChatMessage = { seq: (last?.seq ?? 0) + 1, id: crypto.randomUUID(), from, body, time: Date.now() };
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
