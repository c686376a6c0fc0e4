"""Importing many operators at once, all or nothing.

Rows are staged in a temporary table, checked there with a few set-based
queries (repeated addresses, ids that belong to someone else), and merged
into ``operators`` with one statement, all inside one transaction. The
temporary table lives in SQLite's temp file, not in Python, so memory
stays flat however long the file is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice

from sqlite_utils import Database

from exsync.addresses import address_key
from exsync.errors import InputError
from exsync.operators import OperatorRow, RowProblem
from exsync.store.operators import operator_in_use
from exsync.store.schema import NOW

BATCH_ROWS = 2_000


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    repeated: int = 0  # records that repeat an earlier one exactly
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def skipped(self) -> int:
        return len(self.problems)


def import_operators(
    db: Database,
    rows: Iterable[OperatorRow | RowProblem],
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Create or update the operators in ``rows`` in one transaction.

    Nothing is written when ``dry_run`` is set, or when any record is bad
    and ``skip_invalid`` is not: then :class:`InputError` lists every bad
    record with its number and reason. Raises what reading ``rows`` raises.
    """
    report = ImportReport(dry_run=dry_run)
    db.execute("BEGIN IMMEDIATE")
    try:
        _stage(db, rows, report)
        _check_staged(db, report)
        if report.problems and not skip_invalid:
            raise _refusal(report)
        _count(db, report)
        _merge(db)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("ROLLBACK" if dry_run else "COMMIT")
    db.execute("DROP TABLE IF EXISTS temp.import_rows")
    report.problems.sort(key=lambda problem: problem.record)
    return report


def _refusal(report: ImportReport) -> InputError:
    report.problems.sort(key=lambda problem: problem.record)
    count = len(report.problems)
    return InputError(
        f"{count} of {report.records} records {'is' if count == 1 else 'are'} "
        "invalid; nothing was imported",
        hint="fix the records named above, or pass --skip-invalid to import "
        "the others.",
        problems=[str(problem) for problem in report.problems],
    )


def _stage(db: Database, rows: Iterable, report: ImportReport) -> None:
    db.execute("DROP TABLE IF EXISTS temp.import_rows")
    db.execute(
        "CREATE TEMP TABLE import_rows (record INTEGER PRIMARY KEY, line INTEGER, "
        "id TEXT, name TEXT, email TEXT, email_key TEXT, contact_sync INTEGER)"
    )
    rows = iter(rows)
    while batch := list(islice(rows, BATCH_ROWS)):
        good = []
        for row in batch:
            report.records += 1
            if isinstance(row, RowProblem):
                report.problems.append(row)
                continue
            good.append(
                (row.record, row.line, row.operator_id, row.name, row.email)
                + (address_key(row.email), int(row.contact_sync))
            )
        db.conn.executemany(
            "INSERT INTO temp.import_rows VALUES (?, ?, ?, ?, ?, ?, ?)", good
        )
    db.execute("CREATE INDEX temp.import_rows_key ON import_rows(email_key)")
    # A record without an id keeps the stored one, or gets its address.
    db.execute(
        "UPDATE temp.import_rows SET id = coalesce(id, (SELECT o.id FROM "
        "main.operators o WHERE o.email_key = import_rows.email_key), email_key)"
    )
    db.execute("CREATE INDEX temp.import_rows_id ON import_rows(id)")


# Each query yields (record, line, reason) for records to leave out.
_CHECKS = (
    # A later record repeating an address, with the same values: harmless.
    """SELECT b.record, b.line, NULL FROM import_rows a JOIN import_rows b
       ON b.email_key = a.email_key AND b.record > a.record
       WHERE a.record = (SELECT min(record) FROM import_rows c
                         WHERE c.email_key = a.email_key)
       AND b.id = a.id AND b.name IS a.name AND b.contact_sync = a.contact_sync""",
    """SELECT b.record, b.line, 'address ' || b.email || ' repeats record '
       || a.record || ' with other values (addresses ignore case)'
       FROM import_rows a JOIN import_rows b
       ON b.email_key = a.email_key AND b.record > a.record
       WHERE a.record = (SELECT min(record) FROM import_rows c
                         WHERE c.email_key = a.email_key)
       AND NOT (b.id = a.id AND b.name IS a.name
                AND b.contact_sync = a.contact_sync)""",
    """SELECT b.record, b.line, 'id ' || quote(b.id) || ' is also record '
       || a.record || ' (' || a.email || ')'
       FROM import_rows a JOIN import_rows b
       ON b.id = a.id AND b.email_key != a.email_key AND b.record > a.record
       WHERE a.record = (SELECT min(record) FROM import_rows c WHERE c.id = a.id)""",
    """SELECT i.record, i.line, 'id ' || quote(i.id) || ' already belongs to '
       || o.email FROM import_rows i
       JOIN main.operators o ON o.id = i.id WHERE o.email_key != i.email_key""",
)


def _check_staged(db: Database, report: ImportReport) -> None:
    dropped = _check_id_changes(db, report)
    for check in _CHECKS:
        for record, line, reason in db.execute(check).fetchall():
            if record in dropped:
                continue
            dropped.add(record)
            if reason is None:
                report.repeated += 1
            else:
                report.problems.append(RowProblem(record, line, reason))
    db.conn.executemany(
        "DELETE FROM temp.import_rows WHERE record = ?", [(r,) for r in dropped]
    )


def _check_id_changes(db: Database, report: ImportReport) -> set[int]:
    # Few rows change an id, so each is checked on its own: an id may
    # change only while nothing in the store hangs on it.
    changes = db.execute(
        "SELECT i.record, i.line, i.email, o.id, i.id FROM import_rows i "
        "JOIN main.operators o ON o.email_key = i.email_key WHERE o.id != i.id"
    ).fetchall()
    refused = set()
    for record, line, email, stored_id, new_id in changes:
        if operator_in_use(db, stored_id):
            refused.add(record)
            reason = (
                f"{email} is already operator {stored_id!r}, not {new_id!r}, "
                "and has synced data under that id"
            )
            report.problems.append(RowProblem(record, line, reason))
    return refused


def _count(db: Database, report: ImportReport) -> None:
    counts = db.execute(
        """SELECT count(*) FILTER (WHERE o.id IS NULL),
                  count(*) FILTER (WHERE o.id IS NOT NULL AND (
                      o.id != i.id OR o.contact_sync != i.contact_sync
                      OR (i.name IS NOT NULL AND o.name != i.name)))
           FROM import_rows i LEFT JOIN main.operators o
           ON o.email_key = i.email_key"""
    ).fetchone()
    staged = db.execute("SELECT count(*) FROM import_rows").fetchone()[0]
    report.created, report.updated = counts
    report.unchanged = staged - report.created - report.updated


def _merge(db: Database) -> None:
    # An empty name is a record without one (the reader gives no empty
    # names): the stored name stays.
    db.execute(
        f"""INSERT INTO main.operators (id, name, email, email_key, contact_sync)
            SELECT id, coalesce(name, ''), email, email_key, contact_sync
            FROM import_rows WHERE true
            ON CONFLICT (email_key) DO UPDATE SET
                id = excluded.id,
                name = coalesce(nullif(excluded.name, ''), name),
                contact_sync = excluded.contact_sync,
                updated_at = {NOW}
            WHERE id != excluded.id OR contact_sync != excluded.contact_sync
               OR name != coalesce(nullif(excluded.name, ''), name)"""
    )
