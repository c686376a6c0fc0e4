"""What a sync run did: counters per mailbox, a summary and the exit code."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from exsync.errors import ExitCode

COUNTER_NAMES = (
    "created",
    "updated",
    "linked",
    "deleted",
    "unlinked",
    "skipped",
    "ambiguous",
    "unchanged",
)
# A mailbox's outcome: finished, failed, stopped by the safety stop (counted
# as failed), left for the next run because the slot ran out, or not begun.
OUTCOMES = ("ok", "failed", "incomplete", "not-started")


@dataclass
class MailboxReport:
    """One mailbox's part of a run."""

    operator_id: str
    email: str
    outcome: str = "not-started"
    counters: Counter = field(default_factory=Counter)
    pages: int = 0
    rewalks: int = 0
    failure_code: str | None = None
    detail: str | None = None
    # The exit code the catalogue gives this failure (exsync.failures).
    failure_exit: ExitCode | None = None
    started: float | None = None
    seconds: float = 0.0
    done: bool = False  # set once the mailbox ended, however it ended

    def start(self) -> None:
        """Mark the mailbox as begun now."""
        self.started = time.monotonic()
        self.outcome = "incomplete"

    def finish(self, outcome: str) -> None:
        """Record how the mailbox ended and how long it took."""
        self.outcome = outcome
        self.done = True
        if self.started is not None:
            self.seconds = time.monotonic() - self.started

    def fail(self, code: str, detail: str, exit_code: ExitCode = ExitCode.PARTIAL):
        """Record a failure with its catalogue code and a detail without secrets."""
        self.failure_code, self.detail, self.failure_exit = code, detail, exit_code
        self.finish("failed")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (ids, counts and codes only)."""
        return {
            "operator_id": self.operator_id,
            "email": self.email,
            "outcome": self.outcome,
            "pages": self.pages,
            "rewalks": self.rewalks,
            "seconds": round(self.seconds, 3),
            "failure": self.failure_code,
            "detail": self.detail,
            **{name: self.counters.get(name, 0) for name in COUNTER_NAMES},
        }


@dataclass
class RunReport:
    """A whole run: its mailboxes, its totals and its exit code."""

    dry_run: bool = False
    mailboxes: list[MailboxReport] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None

    @property
    def totals(self) -> Counter:
        """The counters summed over every mailbox."""
        total: Counter = Counter()
        for mailbox in self.mailboxes:
            total.update(mailbox.counters)
        return total

    @property
    def failed(self) -> list[MailboxReport]:
        """The mailboxes that failed (the safety stop included)."""
        return [m for m in self.mailboxes if m.outcome == "failed"]

    @property
    def exit_code(self) -> ExitCode:
        """OK when no mailbox failed, PARTIAL when some did.

        When every mailbox the run began failed for the same kind of reason
        and the catalogue gives it a code of its own (Exchange refusing the
        service account, Exchange unreachable, the store), that code.
        """
        failed = self.failed
        if not failed:
            return ExitCode.OK
        begun = [m for m in self.mailboxes if m.outcome != "not-started"]
        codes = {m.failure_exit or ExitCode.PARTIAL for m in failed}
        if len(failed) == len(begun) and len(codes) == 1:
            return codes.pop()
        return ExitCode.PARTIAL

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        outcomes = Counter(m.outcome for m in self.mailboxes)
        return {
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": (
                self.finished_at.isoformat(timespec="seconds")
                if self.finished_at
                else None
            ),
            "dry_run": self.dry_run,
            "exit_code": int(self.exit_code),
            "mailboxes": {name: outcomes.get(name, 0) for name in OUTCOMES},
            "totals": {name: self.totals.get(name, 0) for name in COUNTER_NAMES},
            "results": [m.to_dict() for m in self.mailboxes],
        }
