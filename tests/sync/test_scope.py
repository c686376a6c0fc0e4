"""Which contacts sync: category, privacy, the skip rule, contact groups."""

from __future__ import annotations

import pytest

from exsync.errors import ConfigError
from exsync.sync import run_sync

from .conftest import ALICE, contact, crm_rows, with_sync

RULES = """
def skip_vip(contact):
    if contact.get("job_title") == "VIP":
        return True
    if contact.get("job_title") == "Partner":
        return False
    return None

def broken(contact):
    raise RuntimeError("boom")

not_callable = 3
"""


@pytest.fixture
def rules(tmp_path, monkeypatch):
    (tmp_path / "exsync_test_rules.py").write_text(RULES)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "exsync_test_rules"


def _names(db):
    return sorted(row["display_name"] for row in crm_rows(db))


def test_run_sync_category_matches_case_insensitively(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Ann Lee", categories=["pegasasync"]))

    run_sync(config, operator=ALICE)

    assert _names(db) == ["Ann Lee"]


def test_run_sync_private_contact_is_skipped_by_default(emulator, config, db):
    owner = emulator.owner(ALICE)
    owner.create_contact(contact("Secret Sam", sensitivity="Private"))
    owner.create_contact(contact("Open Olga"))

    report = run_sync(config, operator=ALICE)

    assert _names(db) == ["Open Olga"]
    assert report.totals["skipped"] == 1


def test_run_sync_sync_private_brings_private_contacts(emulator, config, db):
    emulator.owner(ALICE).create_contact(contact("Secret Sam", sensitivity="Private"))

    run_sync(with_sync(config, sync_private=True), operator=ALICE)

    assert _names(db) == ["Secret Sam"]


def test_run_sync_contact_group_is_ignored(emulator, config, db):
    owner = emulator.owner(ALICE)
    owner.create_contact(
        {
            "kind": "distribution_list",
            "display_name": "Team",
            "categories": ["PegaSASync"],
            "members": [],
        }
    )
    owner.create_contact(contact("Ann Lee"))

    run_sync(config, operator=ALICE)

    assert _names(db) == ["Ann Lee"]


def test_run_sync_skip_rule_true_skips_and_false_includes_private(
    emulator, config, db, rules
):
    owner = emulator.owner(ALICE)
    owner.create_contact(contact("Vip Vic", job_title="VIP"))
    owner.create_contact(
        contact("Partner Pat", job_title="Partner", sensitivity="Private")
    )
    owner.create_contact(contact("Plain Paul"))

    run_sync(with_sync(config, skip_contact=f"{rules}:skip_vip"), operator=ALICE)

    assert _names(db) == ["Partner Pat", "Plain Paul"]


def test_run_sync_skip_rule_missing_module_is_a_config_error(config, db):
    with pytest.raises(ConfigError, match="cannot import"):
        run_sync(with_sync(config, skip_contact="no_such_module_x:rule"))


def test_run_sync_skip_rule_not_callable_is_a_config_error(config, db, rules):
    with pytest.raises(ConfigError, match="not a function"):
        run_sync(with_sync(config, skip_contact=f"{rules}:not_callable"))


def test_run_sync_skip_rule_raising_fails_only_that_mailbox(
    emulator, config, db, rules
):
    emulator.owner(ALICE).create_contact(contact("Ann Lee"))

    report = run_sync(with_sync(config, skip_contact=f"{rules}:broken"))

    outcomes = {m.email: (m.outcome, m.failure_code) for m in report.mailboxes}
    assert outcomes[ALICE] == ("failed", "skip-rule-failed")
    assert outcomes["bob@example.com"] == ("ok", None)
    assert report.exit_code == 1
