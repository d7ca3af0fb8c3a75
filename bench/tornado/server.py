"""Tornado 6.2 anchor for bench/ws/run.js: WebSockets (idle, broadcast to one room, echo)
and long polling on a Condition, written as a Tornado user would (the chat demo's
pattern: a cancelled wait future when the client leaves).

It keeps the contract of bench/ws/servers/control.js: listens on 127.0.0.1 on a port the
OS picks, prints ``READY <port>``, and is driven over HTTP (/count, /gc, /broadcast,
/notify, /ws, /poll). Run: ``/usr/bin/python3 bench/tornado/server.py``.
"""

import asyncio
import gc
import json
import resource
import signal
import sys

import tornado.locks
import tornado.web
import tornado.websocket
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

# 15,000 sockets need more descriptors than the usual soft limit: raise it to the hard one.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))

SOCKETS = set()
MESSAGES = tornado.locks.Condition()
STATE = {"latest": "", "waiters": 0}


class BenchSocket(tornado.websocket.WebSocketHandler):
    def open(self):
        SOCKETS.add(self)

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self):
        SOCKETS.discard(self)


class PollHandler(tornado.web.RequestHandler):
    wait_future = None

    async def get(self):
        STATE["waiters"] += 1
        self.wait_future = MESSAGES.wait()
        try:
            await self.wait_future
        except asyncio.CancelledError:
            return
        finally:
            STATE["waiters"] -= 1
        self.finish(STATE["latest"])

    def on_connection_close(self):
        if self.wait_future is not None:
            self.wait_future.cancel()


class CountHandler(tornado.web.RequestHandler):
    def get(self):
        self.write({"sockets": len(SOCKETS), "waiters": STATE["waiters"]})


class GcHandler(tornado.web.RequestHandler):
    def post(self):
        gc.collect()
        self.write({"ok": True})


class BroadcastHandler(tornado.web.RequestHandler):
    def post(self):
        message = self.get_argument("m")
        sent = 0
        for socket in list(SOCKETS):
            try:
                socket.write_message(message)
                sent += 1
            except tornado.websocket.WebSocketClosedError:
                pass
        self.write({"sent": sent})


class NotifyHandler(tornado.web.RequestHandler):
    def post(self):
        STATE["latest"] = self.get_argument("m")
        woken = STATE["waiters"]
        MESSAGES.notify_all()
        self.write({"woken": woken})


async def main():
    app = tornado.web.Application(
        [
            (r"/ws", BenchSocket),
            (r"/poll", PollHandler),
            (r"/count", CountHandler),
            (r"/gc", GcHandler),
            (r"/broadcast", BroadcastHandler),
            (r"/notify", NotifyHandler),
        ]
    )
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app)
    server.add_sockets(sockets)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write("READY %d\n" % sockets[0].getsockname()[1])
    sys.stdout.flush()
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
