"""Reading requests against a deadline, so slow senders cannot hold a thread.

A socket timeout bounds each read, not a whole request: a client sending a
byte a second never trips it. The reader here bounds the wait for a request
(the keep-alive idle time) and, once its first byte has arrived, the time
the whole request may take to arrive.
"""

from __future__ import annotations

import io
import socket
import time


class DeadlineReader(io.RawIOBase):
    """A raw reader over a socket whose reads fail once a deadline passes."""

    def __init__(self, sock: socket.socket, write_timeout: float):
        self._sock = sock
        self._write_timeout = write_timeout
        self._deadline: float | None = None
        self._request_seconds = 0.0
        self._waiting = False

    def readable(self) -> bool:
        return True

    def expect_request(self, idle_seconds: float, request_seconds: float) -> None:
        """Start waiting for a request: idle for at most ``idle_seconds``,
        then ``request_seconds`` from its first byte to its last."""
        self._deadline = time.monotonic() + idle_seconds
        self._request_seconds = request_seconds
        self._waiting = True

    def request_read(self) -> None:
        """The request is in: stop enforcing the deadline; writes may block."""
        self._deadline = None
        self._sock.settimeout(self._write_timeout)

    def readinto(self, buffer) -> int:
        """Read from the socket; raises TimeoutError past the deadline."""
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request did not arrive in time")
            self._sock.settimeout(left)
        count = self._sock.recv_into(buffer)
        if count and self._waiting:
            self._waiting = False
            self._deadline = min(
                self._deadline or float("inf"),
                time.monotonic() + self._request_seconds,
            )
        return count
