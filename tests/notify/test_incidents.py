"""record_outcome: one open incident per operator, attempts counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exsync.failures import CATALOGUE
from exsync.notify import format_stamp, record_outcome

from .conftest import OPERATOR_ID

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
AUTH = (CATALOGUE["auth-failed"], "UnauthorizedError: Invalid credentials")
DOWN = (CATALOGUE["exchange-unreachable"], "ErrorTimeoutExpired: refused")


def _incidents(db) -> list[dict]:
    return list(db["failures"].rows_where(order_by="id"))


def test_record_outcome_first_failure_opens_incident(db):
    record_outcome(db, OPERATOR_ID, AUTH, T0)

    [incident] = _incidents(db)
    assert incident["code"] == "auth-failed"
    assert incident["message"] == "UnauthorizedError: Invalid credentials"
    assert incident["attempts"] == 1
    assert incident["first_failed_at"] == "2026-12-04T09:00:00.000Z"
    assert incident["resolved_at"] is None


def test_record_outcome_repeated_failure_counts_attempts_in_one_incident(db):
    record_outcome(db, OPERATOR_ID, AUTH, T0)
    record_outcome(db, OPERATOR_ID, DOWN, T0 + timedelta(minutes=15))

    [incident] = _incidents(db)
    assert incident["attempts"] == 2
    assert incident["code"] == "exchange-unreachable"
    assert incident["first_failed_at"] == "2026-12-04T09:00:00.000Z"
    assert incident["last_failed_at"] == "2026-12-04T09:15:00.000Z"


def test_record_outcome_success_resolves_open_incident(db):
    record_outcome(db, OPERATOR_ID, AUTH, T0)
    record_outcome(db, OPERATOR_ID, None, T0 + timedelta(minutes=15))

    [incident] = _incidents(db)
    assert incident["resolved_at"] == "2026-12-04T09:15:00.000Z"


def test_record_outcome_success_without_incident_records_nothing(db):
    record_outcome(db, OPERATOR_ID, None, T0)

    assert _incidents(db) == []


def test_record_outcome_failure_after_recovery_opens_new_incident(db):
    record_outcome(db, OPERATOR_ID, AUTH, T0)
    record_outcome(db, OPERATOR_ID, None, T0 + timedelta(minutes=15))
    record_outcome(db, OPERATOR_ID, DOWN, T0 + timedelta(minutes=30))

    first, second = _incidents(db)
    assert first["resolved_at"] is not None
    assert (second["code"], second["attempts"], second["resolved_at"]) == (
        "exchange-unreachable",
        1,
        None,
    )


def test_record_outcome_inside_rolled_back_transaction_leaves_nothing(db):
    try:
        with db.atomic():
            record_outcome(db, OPERATOR_ID, AUTH, T0)
            raise RuntimeError("the run failed")
    except RuntimeError:
        pass

    assert _incidents(db) == []


def test_format_stamp_naive_time_is_taken_as_utc():
    assert format_stamp(datetime(2026, 1, 2, 3, 4, 5, 678900)) == (
        "2026-01-02T03:04:05.678Z"
    )
