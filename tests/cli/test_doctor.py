"""exsync doctor against the emulator over real HTTP."""

from __future__ import annotations

import json

import pytest

from exsync.cli import cli
from exsync.config import Secret

from .emulated import (
    ALICE,
    BOB,
    NO_RIGHTS_ACCOUNT,
    PASSWORD,
    PASSWORD_ENV,
    build_site,
    free_port,
    small_seed,
)


@pytest.fixture
def emulator():
    from exsync.emulator import Emulator

    with Emulator(seed=small_seed()) as emu:
        yield emu


@pytest.fixture
def site(tmp_path, emulator, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    return build_site(tmp_path, emulator)


def _checks(result) -> dict[str, dict]:
    return {c["subject"]: c for c in json.loads(result.stdout)["checks"]}


def test_doctor_healthy_setup_passes_every_check(runner, site, emulator):
    emulator.owner(BOB).create_contact(
        {"display_name": "Cy Park", "categories": ["pegasasync"]}
    )

    result = runner.invoke(cli, site.args("doctor"))

    assert result.exit_code == 0, result.output
    assert "All checks passed." in result.stdout
    assert result.stderr == ""


def test_doctor_mailbox_counts_contacts_and_category(runner, site):
    result = runner.invoke(cli, site.args("doctor", "--json"))

    checks = _checks(result)
    assert checks[ALICE]["verdict"] == "ok"
    assert checks[ALICE]["detail"] == "3 contacts, 2 in category PegaSASync"


def test_doctor_mailbox_without_tagged_contacts_warns_and_exits_0(runner, site):
    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 0
    assert _checks(result)[BOB]["verdict"] == "warn"
    assert "tag the contacts" in _checks(result)[BOB]["advice"]


def test_doctor_missing_mailbox_fails_and_exits_1(runner, tmp_path, emulator, site):
    build_site(tmp_path, emulator, operators=("gone@example.com",))

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 1
    failed = _checks(result)["gone@example.com"]
    assert failed["verdict"] == "fail"
    assert failed["detail"].startswith("Exchange has no mailbox with this address")


def test_doctor_wrong_password_fails_service_account_and_exits_4(
    runner, site, monkeypatch
):
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 4
    checks = _checks(result)
    assert checks["service account svc@example.com"]["verdict"] == "fail"
    assert ALICE not in checks and BOB not in checks
    assert "not-the-password" not in result.output


def test_doctor_account_without_impersonation_fails_mailboxes_and_exits_4(runner, site):
    site.rewrite(username=NO_RIGHTS_ACCOUNT)

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 4
    assert _checks(result)[ALICE]["detail"].startswith(
        "The service account may not impersonate this mailbox"
    )


def test_doctor_exchange_down_fails_connection_and_exits_5(runner, site):
    site.rewrite(url=f"http://127.0.0.1:{free_port()}/EWS/Exchange.asmx")

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 5
    [connection] = [c for s, c in _checks(result).items() if "connection" in s]
    assert connection["verdict"] == "fail"


def test_doctor_https_to_plain_http_server_fails_connection_as_tls(runner, site):
    site.rewrite(url=site.config.exchange.url.replace("http://", "https://"))

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 5
    [connection] = [c for s, c in _checks(result).items() if "connection" in s]
    assert connection["detail"].startswith("The secure connection to Exchange failed")
    assert "certificate" in connection["advice"]


def test_doctor_unset_password_variable_fails_and_exits_3(runner, site, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 3
    secret = _checks(result)["service account secret"]
    assert secret["detail"] == f"the environment variable {PASSWORD_ENV} is not set"


def test_doctor_secret_check_names_the_source_not_the_value(runner, site):
    site.rewrite(password=Secret(command=f"printf {PASSWORD}"))

    result = runner.invoke(cli, site.args("doctor"))

    assert result.exit_code == 0, result.output
    assert "read from the command printf ****" in result.stdout
    assert PASSWORD not in result.stdout


def test_doctor_unreachable_smtp_server_fails_its_check(runner, site):
    site.rewrite("notifications", failure_recipients=("admin@example.com",))
    site.rewrite("smtp", host="127.0.0.1", port=free_port(), sender="x@example.com")

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 1
    smtp = [c for s, c in _checks(result).items() if s.startswith("SMTP")]
    assert [c["verdict"] for c in smtp] == ["fail"]
    assert smtp[0]["detail"] == "connection refused by the server"


def test_doctor_skip_rule_that_cannot_be_imported_fails_and_exits_3(runner, site):
    site.rewrite("sync", skip_contact="exsync_no_such_module:skip")

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 3
    rule = _checks(result)["skip rule"]
    assert rule["verdict"] == "fail"
    assert "exsync_no_such_module" in rule["detail"]
    assert ALICE not in _checks(result)


def test_doctor_sync_switched_off_warns(runner, site):
    site.rewrite("sync", contact_sync=False)

    result = runner.invoke(cli, site.args("doctor", "--json"))

    assert result.exit_code == 0
    assert _checks(result)["sync switches"]["verdict"] == "warn"


def test_doctor_unknown_operator_exits_2(runner, site):
    result = runner.invoke(cli, site.args("doctor", "--operator", "x@example.com"))

    assert result.exit_code == 2
    assert "no enabled operator has this address" in result.stdout


def test_doctor_one_operator_checks_only_that_mailbox(runner, site):
    result = runner.invoke(cli, site.args("doctor", "--json", "--operator", ALICE))

    checks = _checks(result)
    assert ALICE in checks and BOB not in checks


def test_doctor_missing_config_exits_3(runner, tmp_path):
    result = runner.invoke(cli, ["--config", str(tmp_path / "none.toml"), "doctor"])

    assert result.exit_code == 3
    assert "there is no configuration file" in result.stderr
