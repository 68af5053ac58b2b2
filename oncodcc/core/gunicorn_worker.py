"""gunicorn's threaded worker, with `/health` answered by a thread of its own.

With `gthread`, every request waits for one of the worker's threads; when slow pages hold them all, a load
balancer's `/health` probe queues behind them, times out, and the node is taken out of service while it is only
busy. This worker looks at the first bytes of each request before handing it to a thread (a peek: nothing is
consumed) and gives `GET /health` to a dedicated thread, so the probe measures the node, not its queue. Used by
`scripts/run.sh` (`-k oncodcc.core.gunicorn_worker.HealthFirstWorker`); gunicorn is pinned in requirements.txt
since this relies on its threaded worker's structure (`enqueue_req`, the pending connections).
"""

import selectors
import socket
import time
from concurrent import futures
from functools import partial

from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

HEALTH_REQUESTS = (b"GET /health ", b"GET /health?", b"HEAD /health ", b"HEAD /health?")
PEEK_BYTES = max(len(prefix) for prefix in HEALTH_REQUESTS)


class HealthFirstWorker(ThreadWorker):
    def init_process(self):
        self.health_pool = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="health")
        super().init_process()

    def run(self):
        try:
            super().run()
        finally:
            self.health_pool.shutdown(wait=False)

    def enqueue_req(self, conn):
        head = self._peek(conn)
        if head is None:
            # Connected, nothing sent yet: wait in the poller (as gunicorn does for a silent client), not in a
            # thread; the request comes back here once readable.
            self._wait_for_data(conn)
        elif head.startswith(HEALTH_REQUESTS):
            future = self.health_pool.submit(self.handle, conn)
            future.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))
        else:
            super().enqueue_req(conn)

    def _peek(self, conn) -> bytes | None:
        """The request's first bytes, left in the socket; None when none has arrived yet; b"" (route normally)
        when they cannot be seen, and on any socket error (the normal path reports it)."""
        if self.cfg.is_ssl or (conn.parser is not None and conn.parser.unreader.buf.getvalue()):
            # TLS: the bytes are encrypted. Read ahead by the parser (pipelined keep-alive): not in the socket.
            return b""
        try:
            return conn.sock.recv(PEEK_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return None if not conn.data_ready else b""
        except OSError:
            return b""

    def _wait_for_data(self, conn):
        conn.sock.setblocking(False)
        # As long as gunicorn gives a silent client (its wait in a thread, then the keep-alive delay).
        conn.timeout = time.monotonic() + DEFAULT_WORKER_DATA_TIMEOUT + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
