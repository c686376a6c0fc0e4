"""Faults on demand: busy servers, HTTP errors, dropped connections, latency."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# Longer than any client's request timeout: more latency is a hang, not a test.
MAX_LATENCY_SECONDS = 60.0


@dataclass
class FaultRule:
    """One armed fault; ``count`` None means until removed."""

    kind: str
    count: int | None = 1
    operation: str | None = None
    mailbox: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    owner: Any = None

    def remove(self) -> None:
        """Disarm this fault."""
        if self.owner is not None:
            self.owner.discard(self)


class Faults:
    """The faults armed on one emulator."""

    def __init__(self, emulator: Any = None):
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._emulator = emulator

    def _arm(self, rule: FaultRule) -> FaultRule:
        if rule.count is not None:
            _check_number("count", rule.count, 1, None, integer=True)
        rule.owner = self
        with self._lock:
            self._rules.append(rule)
        return rule

    def discard(self, rule: FaultRule) -> None:
        """Remove one rule if it is still armed."""
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._rules.clear()

    def active(self) -> list[FaultRule]:
        """The armed rules."""
        with self._lock:
            return list(self._rules)

    def server_busy(
        self,
        back_off_ms: int = 500,
        count: int | None = 1,
        as_fault: bool = True,
        operation: str | None = None,
        mailbox: str | None = None,
    ) -> FaultRule:
        """Answer ErrorServerBusy, as a SOAP fault or as a response code.

        Raises ValueError for a negative or non-integer back-off.
        """
        _check_number("back_off_ms", back_off_ms, 0, None, integer=True)
        options = {"back_off_ms": back_off_ms, "as_fault": as_fault}
        mailbox = mailbox.lower() if mailbox else None
        return self._arm(FaultRule("server_busy", count, operation, mailbox, options))

    def http_status(
        self, status: int, retry_after: int | None = None, count: int | None = 1
    ) -> FaultRule:
        """Answer with a bare HTTP status (401, 500, 503...).

        Raises ValueError for a status outside 400-599 or a bad Retry-After.
        """
        _check_number("status", status, 400, 599, integer=True)
        if retry_after is not None:
            _check_number("retry_after", retry_after, 0, None, integer=True)
        options = {"status": status, "retry_after": retry_after}
        return self._arm(FaultRule("http_status", count, options=options))

    def drop_connection(self, count: int | None = 1) -> FaultRule:
        """Close the connection without answering."""
        return self._arm(FaultRule("drop_connection", count))

    def latency(self, seconds: float = 0.02) -> FaultRule:
        """Delay every request by ``seconds`` until removed.

        Raises ValueError outside 0 to MAX_LATENCY_SECONDS.
        """
        _check_number("seconds", seconds, 0, MAX_LATENCY_SECONDS, integer=False)
        return self._arm(FaultRule("latency", None, options={"seconds": seconds}))

    def invalidate_sync_states(self, mailbox: str) -> FaultRule:
        """Make every sync state handed out for ``mailbox`` invalid, now."""
        if self._emulator is not None:
            self._emulator.invalidate_sync_states(mailbox)
        return FaultRule("invalidate_sync_states", 0, mailbox=mailbox.lower())

    def read_events_failed(
        self, mailbox: str | None = None, count: int = 1
    ) -> FaultRule:
        """Make the next notification carry ErrorReadEventsFailed."""
        mailbox = mailbox.lower() if mailbox else None
        return self._arm(FaultRule("read_events_failed", count, mailbox=mailbox))

    def take(
        self, kind: str, operation: str | None = None, mailbox: str | None = None
    ) -> FaultRule | None:
        """Consume one use of the first matching rule of ``kind``."""
        with self._lock:
            for rule in self._rules:
                if rule.kind != kind:
                    continue
                if rule.operation and rule.operation != operation:
                    continue
                if rule.mailbox and rule.mailbox != (mailbox or "").lower():
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                return rule
        return None


def _check_number(name, value, low, high, *, integer: bool) -> None:
    """Refuse an option that would break the server rather than the client."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if value < low or (high is not None and value > high):
        top = "" if high is None else f" and {high}"
        raise ValueError(f"{name} must be between {low}{top}, not {value!r}")
