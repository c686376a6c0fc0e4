"""The HTTP side: a thread per connection, and a bound on how many.

Each connection is served by :class:`~exsync.emulator.handler.EwsHandler`.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from http.server import ThreadingHTTPServer
from typing import Any

from exsync.emulator.handler import EwsHandler

log = logging.getLogger(__name__)

_FULL = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that knows its emulator."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, emulator: Any):
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        self.active = 0
        super().__init__(address, EwsHandler)

    def process_request(self, request, client_address) -> None:
        """Serve a connection in its own thread, or refuse it when full.

        Each connection holds a thread: a client opening hundreds and
        keeping them idle would otherwise exhaust the process.
        """
        with self.connections_lock:
            full = self.active >= self.emulator.max_connections
            if not full:
                self.active += 1
        if full:
            log.warning(
                "refused a connection from %s: %d connections open",
                client_address[0],
                self.active,
            )
            try:
                request.sendall(_FULL)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.active -= 1

    def handle_error(self, request, client_address) -> None:
        """Log a broken connection in one line instead of printing a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            log.debug("connection from %s ended: %s", client_address[0], error)
        else:
            log.error("error serving %s: %r", client_address[0], error)

    def close_connections(self) -> None:
        """Shut every open keep-alive connection, so clients see the stop."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
