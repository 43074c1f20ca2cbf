"""gunicorn's thread worker, with new connections waiting in the poller.

gunicorn 27's ``gthread`` hands a newly accepted connection straight to a
pool thread, which then waits up to five seconds for the first request
bytes. A set-top box that opens its connection before it has a request to
send (a TV warming up, a keep-alive pool opened ahead), or a slow or hostile
client, so holds one of a handful of threads doing nothing while every other
box's screen queues behind it. Here a new connection goes to the poller like
an idle keep-alive one and takes a thread only once its request has arrived;
one that sends nothing is closed after the keep-alive time (``WEB_KEEPALIVE``).
"""

from __future__ import annotations

import errno
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker


class ScreenWorker(ThreadWorker):
    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + max(1, self.cfg.keepalive)
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
