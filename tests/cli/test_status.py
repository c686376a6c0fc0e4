"""exsync status: each operator's sync as the store records it."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from exsync.cli import cli
from exsync.failures import CATALOGUE
from exsync.notify import format_stamp, record_outcome


def _synced(db, operator_id: str, contacts: int, at: datetime) -> None:
    db["sync_state"].insert(
        {
            "operator_id": operator_id,
            "phase": "incremental",
            "last_attempt_at": format_stamp(at),
            "last_success_at": format_stamp(at),
        }
    )
    for number in range(contacts):
        contact_id = db.execute(
            "INSERT INTO crm_contacts (owner_operator_id, display_name) VALUES (?, ?)",
            [operator_id, f"Contact {number}"],
        ).lastrowid
        db["links"].insert(
            {
                "operator_id": operator_id,
                "contact_id": contact_id,
                "item_id": f"i{number}",
            }
        )


def _status(runner, config_path, *options):
    return runner.invoke(cli, ["--config", str(config_path), "status", *options])


def test_status_before_any_run_says_so(runner, config_path, db):
    result = _status(runner, config_path)

    assert result.exit_code == 0
    assert "No sync has run yet." in result.stdout
    assert result.stderr == ""


def test_status_json_reports_contacts_in_sync_and_last_success(runner, config_path, db):
    _synced(db, "op-ann", 3, datetime(2026, 12, 4, 9, 0, tzinfo=UTC))

    result = _status(runner, config_path, "--json")

    ann, ben = json.loads(result.stdout)["operators"]
    assert (ann["email"], ann["contacts_in_sync"]) == ("ann@example.com", 3)
    assert ann["last_success_at"] == "2026-12-04T09:00:00.000Z"
    assert (ben["contacts_in_sync"], ben["last_success_at"]) == (0, None)


def test_status_contact_deleted_in_crm_is_not_counted_in_sync(runner, config_path, db):
    _synced(db, "op-ann", 2, datetime(2026, 12, 4, 9, 0, tzinfo=UTC))
    db.execute("UPDATE crm_contacts SET deleted_at = '2026-12-04T10:00:00.000Z'")

    result = _status(runner, config_path, "--json")

    assert json.loads(result.stdout)["operators"][0]["contacts_in_sync"] == 0


def test_status_json_reports_open_failure_with_code_and_since(runner, config_path, db):
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    failure = (CATALOGUE["mailbox-not-found"], "MailboxNotFoundError: no mailbox")
    record_outcome(db, "op-ben", failure, start)
    record_outcome(db, "op-ben", failure, start + timedelta(minutes=15))

    result = _status(runner, config_path, "--json")

    ben = json.loads(result.stdout)["operators"][1]["failure"]
    assert (ben["code"], ben["attempts"]) == ("mailbox-not-found", 2)
    assert ben["since"] == "2026-12-04T09:00:00.000Z"
    assert ben["detail"] == "MailboxNotFoundError: no mailbox"


def test_status_resolved_failure_is_not_shown(runner, config_path, db):
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    record_outcome(db, "op-ben", (CATALOGUE["throttled"], "busy"), start)
    record_outcome(db, "op-ben", None, start + timedelta(minutes=15))

    result = _status(runner, config_path, "--json")

    assert json.loads(result.stdout)["operators"][1]["failure"] is None


def test_status_table_shows_failure_title_and_advice(runner, config_path, db):
    record_outcome(
        db,
        "op-ben",
        (CATALOGUE["impersonation-denied"], "ImpersonationDeniedError: denied"),
        datetime.now(UTC) - timedelta(minutes=20),
    )

    result = _status(runner, config_path)

    assert result.exit_code == 0
    assert "The service account may not impersonate this mailbox" in result.stdout
    assert "20 min ago, 1 attempt" in result.stdout
    assert (
        "ben@example.com: The service account may not impersonate this mailbox. "
        "ImpersonationDeniedError: denied"
    ) in result.stdout
    assert (
        "impersonation-denied: Give the service account the ApplicationImpersonation"
        in result.stdout
    )


def test_status_same_failure_twice_gives_its_advice_once(runner, config_path, db):
    failure = (CATALOGUE["auth-failed"], "ExchangeAuthError: refused")
    record_outcome(db, "op-ann", failure, datetime.now(UTC))
    record_outcome(db, "op-ben", failure, datetime.now(UTC))

    result = _status(runner, config_path)

    assert result.stdout.count("auth-failed: Check the service account") == 1
    assert result.stdout.count("ExchangeAuthError: refused") == 2


def test_status_table_shows_last_run_exit_code(runner, config_path, db):
    db.execute(
        "INSERT INTO runs (started_at, finished_at, exit_code) VALUES (?, ?, 1)",
        ["2026-12-04T09:00:00.000Z", "2026-12-04T09:01:00.000Z"],
    )

    result = _status(runner, config_path)

    assert "Last run: 2026-12-04 09:01 UTC" in result.stdout
    assert "exit code 1." in result.stdout


def test_status_without_operators_says_how_to_add_them(runner, config_path):
    result = _status(runner, config_path)

    assert result.exit_code == 0
    assert "No operators yet" in result.stdout


def test_status_missing_config_exits_3(runner, tmp_path):
    result = runner.invoke(cli, ["--config", str(tmp_path / "none.toml"), "status"])

    assert result.exit_code == 3
    assert "there is no configuration file" in result.stderr


def test_status_after_sync_against_closed_port_shows_refused_connection(
    runner, config_path, db, monkeypatch
):
    monkeypatch.setenv("EXSYNC_TEST_UNUSED_PASSWORD", "unused-Hunter2")
    url = tomllib.loads(config_path.read_text())["exchange"]["url"]
    endpoint = urlsplit(url).netloc
    runner.invoke(
        cli, ["--config", str(config_path), "sync", "--operator", "ann@example.com"]
    )

    result = _status(runner, config_path, "--json")

    assert result.exit_code == 0, result.stderr
    ann = json.loads(result.stdout)["operators"][0]
    assert ann["failure"]["detail"] == f"connection refused by {endpoint}"
    assert result.stderr == ""
