"""The text of failure and recovery emails: one message for many incidents.

A fault that hits every mailbox (Exchange down, the service account's
password expired) opens one incident per mailbox. The emails that fall due
in one run are composed here into one failure digest and one recovery
digest, so 200 failing mailboxes make one email, not 200. The failure
digest groups the mailboxes by failure code, shows each distinct error once
with the mailboxes it hit, and says once per code what to do.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from exsync.failures import CATALOGUE, FailureKind

WIDTH = 72


@dataclass(frozen=True)
class Digest:
    """One email: the incidents it covers, its subject and its body."""

    incident_ids: tuple[int, ...]
    recovery: bool
    subject: str
    body: str


def compose_failures(incidents: Sequence[dict], footer: str) -> Digest:
    """One failure email for ``incidents`` (rows of failures joined to operators)."""
    ids = tuple(i["id"] for i in incidents)
    if len(incidents) == 1:
        return Digest(ids, False, *_one_failure(incidents[0], footer))
    groups = _by_code(incidents)
    # The two largest groups name the subject; the body names them all.
    counts = ", ".join(
        f"{kind_of(code).title} ({len(rows)})" for code, rows in groups[:2]
    )
    if len(groups) == 1:
        counts = kind_of(groups[0][0]).title
    elif len(groups) > 2:
        counts += f" and {len(groups) - 2} other failures"
    subject = f"exsync: {len(incidents)} mailboxes failing: {counts}"
    lines = [
        f"exsync cannot sync the Exchange contacts of {len(incidents)} mailboxes.",
    ]
    for code, rows in groups:
        kind = kind_of(code)
        lines += ["", "", f"{kind.title} [{kind.code}]: {_count(len(rows))}"]
        for detail, same in groupby(rows, key=lambda row: row["message"]):
            lines += ["", f"Detail:  {detail}"]
            lines += [f"  - {_mailbox(row)}, {_since(row)}" for row in same]
        lines += ["", "What to do:", textwrap.fill(kind.advice, width=WIDTH)]
    lines += ["", "", _keep_trying("each")]
    lines.append(footer)
    return Digest(ids, False, subject, "\n".join(lines))


def compose_recoveries(incidents: Sequence[dict], footer: str) -> Digest:
    """One recovery email for ``incidents`` that had a failure email."""
    ids = tuple(i["id"] for i in incidents)
    if len(incidents) == 1:
        return Digest(ids, True, *_one_recovery(incidents[0], footer))
    subject = f"exsync: {len(incidents)} mailboxes syncing again"
    lines = [
        f"The Exchange contacts of {len(incidents)} mailboxes sync again.",
        "",
    ]
    for row in sorted(incidents, key=lambda r: r["email"]):
        lines.append(
            f"  - {_mailbox(row)}: recovered {_show_stamp(row['resolved_at'])}, "
            f"failing since {_show_stamp(row['first_failed_at'])} "
            f"({kind_of(row['code']).title} [{row['code']}])"
        )
    lines += ["", _NOTHING_TO_DO, footer]
    return Digest(ids, True, subject, "\n".join(lines))


def kind_of(code: str) -> FailureKind:
    """The catalogue entry for ``code``; a stand-in for a code this version lacks."""
    # A store written by another version may hold a code this one lacks.
    return CATALOGUE.get(code) or FailureKind(
        code, code, CATALOGUE["unexpected"].advice, retryable=False
    )


def _keep_trying(which: str) -> str:
    return textwrap.fill(
        f"exsync keeps trying at every run, and sends one more email when "
        f"{which} mailbox syncs again. 'exsync status' shows every mailbox; "
        "'exsync doctor' checks the connection and the mailbox access.",
        width=WIDTH,
    )


_NOTHING_TO_DO = (
    "Nothing more to do. Changes made in the meantime are picked up by the sync."
)


def _one_failure(incident: dict, footer: str) -> tuple[str, str]:
    kind = kind_of(incident["code"])
    body = "\n".join(
        [
            f"exsync cannot sync the Exchange contacts of {_mailbox(incident)}.",
            "",
            f"Error:   {kind.title} [{kind.code}]",
            f"Detail:  {incident['message']}",
            f"Since:   {_show_stamp(incident['first_failed_at'])}, "
            f"{incident['attempts']} attempts, the last at "
            f"{_show_stamp(incident['last_failed_at'])}",
            "",
            "What to do:",
            textwrap.fill(kind.advice, width=WIDTH),
            "",
            _keep_trying("this"),
            footer,
        ]
    )
    subject = f"exsync: contact sync failing for {incident['email']}: {kind.title}"
    return subject, body


def _one_recovery(incident: dict, footer: str) -> tuple[str, str]:
    kind = kind_of(incident["code"])
    body = "\n".join(
        [
            f"The Exchange contacts of {_mailbox(incident)} sync again.",
            "",
            f"Recovered: {_show_stamp(incident['resolved_at'])}",
            f"Failing since: {_show_stamp(incident['first_failed_at'])}, "
            f"{incident['attempts']} failed attempts",
            f"Last error: {kind.title} [{kind.code}]",
            "",
            _NOTHING_TO_DO,
            footer,
        ]
    )
    subject = f"exsync: contact sync working again for {incident['email']}"
    return subject, body


def _by_code(incidents: Sequence[dict]) -> list[tuple[str, list[dict]]]:
    # Largest group first; inside a group, mailboxes with the same error
    # together, so an outage's one error is shown once above its list.
    ordered = sorted(incidents, key=lambda r: (r["code"], r["message"], r["email"]))
    groups = [
        (code, list(rows)) for code, rows in groupby(ordered, lambda r: r["code"])
    ]
    return sorted(groups, key=lambda group: -len(group[1]))


def _count(mailboxes: int) -> str:
    return f"{mailboxes} mailbox" if mailboxes == 1 else f"{mailboxes} mailboxes"


def _mailbox(incident: dict) -> str:
    name, address = incident["name"], incident["email"]
    mailbox = f"{name} <{address}>" if name else address
    return f"{mailbox} (operator {incident['operator_id']})"


def _since(incident: dict) -> str:
    return (
        f"since {_show_stamp(incident['first_failed_at'])}, "
        f"{incident['attempts']} attempts"
    )


def _show_stamp(stamp: str) -> str:
    # "2026-12-04T16:00:00.000Z" -> "2026-12-04 16:00 UTC"
    return f"{stamp[:10]} {stamp[11:16]} UTC"
