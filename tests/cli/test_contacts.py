"""exsync contacts: the CRM store's contacts, all or one operator's."""

from __future__ import annotations

import json

import pytest

from exsync.cli import cli
from exsync.store.contacts import insert_contact, soft_delete_contact


@pytest.fixture
def contact_ids(db):
    ids = {
        "Zoë Brandt": insert_contact(
            db,
            {
                "owner_operator_id": "op-ann",
                "display_name": "Zoë Brandt",
                "company": "Brandt GmbH",
                "emails": [{"label": "EmailAddress1", "address": "zoe@brandt.example"}],
                "phones": [{"label": "MobilePhone", "number": "+49 170 2"}],
            },
        ),
        "Carl Dunn": insert_contact(
            db,
            {
                "owner_operator_id": "op-ben",
                "display_name": "Carl Dunn",
                "company": "[bold]Dunn[/bold] Ltd",
            },
        ),
        "Old Friend": insert_contact(
            db, {"owner_operator_id": "op-ann", "display_name": "Old Friend"}
        ),
    }
    soft_delete_contact(db, ids["Old Friend"])
    return ids


def _contacts(runner, config_path, *options):
    return runner.invoke(cli, ["--config", str(config_path), "contacts", *options])


def test_contacts_table_lists_live_contacts_with_their_operator(
    runner, config_path, contact_ids
):
    result = _contacts(runner, config_path)

    assert result.exit_code == 0
    assert result.stderr == ""
    [zoe] = [line for line in result.stdout.splitlines() if "Zoë Brandt" in line]
    assert "Brandt GmbH" in zoe and "zoe@brandt.example" in zoe
    assert "+49 170 2" in zoe and "ann@example.com" in zoe
    assert "Old Friend" not in result.stdout
    assert "2 contacts." in result.stdout


def test_contacts_table_shows_brackets_in_data_as_text(
    runner, config_path, contact_ids
):
    result = _contacts(runner, config_path)

    assert "[bold]Dunn[/bold] Ltd" in result.stdout


def test_contacts_operator_option_lists_only_theirs(runner, config_path, contact_ids):
    result = _contacts(runner, config_path, "--operator", "BEN@example.com", "--json")

    assert result.exit_code == 0
    assert [c["display_name"] for c in json.loads(result.stdout)] == ["Carl Dunn"]


def test_contacts_json_holds_decoded_fields_and_owner(runner, config_path, contact_ids):
    result = _contacts(runner, config_path, "--json")

    zoe = json.loads(result.stdout)[0]
    assert zoe["id"] == contact_ids["Zoë Brandt"]
    assert zoe["emails"] == [
        {"label": "EmailAddress1", "address": "zoe@brandt.example"}
    ]
    assert zoe["owner_email"] == "ann@example.com"


def test_contacts_deleted_option_includes_deleted(runner, config_path, contact_ids):
    result = _contacts(runner, config_path, "--deleted", "--json")

    names = [c["display_name"] for c in json.loads(result.stdout)]
    assert names == ["Zoë Brandt", "Carl Dunn", "Old Friend"]


def test_contacts_unknown_operator_exits_2(runner, config_path, contact_ids):
    result = _contacts(runner, config_path, "--operator", "nobody@example.com")

    assert result.exit_code == 2
    assert "no operator has the address nobody@example.com" in result.stderr
    assert result.stdout == ""
