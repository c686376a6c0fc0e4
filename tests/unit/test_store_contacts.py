"""CRM contacts in the store, and how exsync's own writes are marked."""

from __future__ import annotations

import pytest

from exsync.store import open_store
from exsync.store.contacts import (
    exsync_writes,
    find_contacts_by_email,
    find_contacts_by_name,
    get_contact,
    insert_contact,
    list_contacts,
    soft_delete_contact,
    update_contact,
)
from exsync.store.operators import upsert_operator


@pytest.fixture
def db(tmp_path):
    db = open_store(tmp_path / "exsync.db")
    upsert_operator(db, email="ann@example.com", operator_id="op1")
    return db


ADA = {
    "owner_operator_id": "op1",
    "display_name": "Ada Byron",
    "company": "Engines Ltd",
    "emails": [{"label": "EmailAddress1", "address": "Ada@Engines.example"}],
}


def origins(db):
    return [row["origin"] for row in db.query("SELECT origin FROM crm_changes")]


def test_insert_contact_round_trips_json_fields(db):
    contact_id = insert_contact(db, ADA)

    contact = get_contact(db, contact_id)

    assert contact["emails"] == ADA["emails"]
    assert contact["phones"] == []


def test_insert_contact_unknown_field_refused(db):
    with pytest.raises(ValueError, match="not CRM contact fields: nickname"):
        insert_contact(db, {"nickname": "Ada"})


def test_exsync_writes_marks_changes_as_exsync(db):
    with exsync_writes(db):
        insert_contact(db, ADA)

    assert origins(db) == ["exsync"]


def test_exsync_writes_resets_origin_for_later_writes(db):
    with exsync_writes(db):
        contact_id = insert_contact(db, ADA)

    update_contact(db, contact_id, {"job_title": "Analyst"})

    assert origins(db) == ["exsync", None]


def test_exsync_writes_rolls_back_on_error(db):
    with pytest.raises(RuntimeError), exsync_writes(db):
        insert_contact(db, ADA)
        raise RuntimeError("stop")

    assert list_contacts(db) == []
    assert next(db.query("SELECT origin FROM change_origin"))["origin"] is None


def test_exsync_writes_inside_open_transaction_leaves_commit_to_owner(db):
    db.execute("BEGIN")
    with exsync_writes(db):
        insert_contact(db, ADA)

    assert db.conn.in_transaction
    db.execute("ROLLBACK")
    assert list_contacts(db) == []


def test_soft_delete_contact_hides_it_and_logs_delete(db):
    contact_id = insert_contact(db, ADA)

    soft_delete_contact(db, contact_id)

    assert list_contacts(db, "op1") == []
    assert [c["id"] for c in list_contacts(db, include_deleted=True)] == [contact_id]
    assert [r["operation"] for r in db.query("SELECT operation FROM crm_changes")] == [
        "insert",
        "delete",
    ]


def test_find_contacts_by_email_ignores_case(db):
    contact_id = insert_contact(db, ADA)

    found = find_contacts_by_email(db, "ada@ENGINES.example", operator_id="op1")

    assert [c["id"] for c in found] == [contact_id]


def test_find_contacts_by_email_follows_updates(db):
    contact_id = insert_contact(db, ADA)

    update_contact(db, contact_id, {"emails": [{"address": "new@engines.example"}]})

    assert find_contacts_by_email(db, "ada@engines.example") == []
    assert len(find_contacts_by_email(db, "NEW@engines.example")) == 1


def test_find_contacts_by_name_matches_name_and_company(db):
    contact_id = insert_contact(db, ADA)

    assert [c["id"] for c in find_contacts_by_name(db, "ada byron", "ENGINES LTD")] == [
        contact_id
    ]
    assert find_contacts_by_name(db, "Ada Byron", "Other Co") == []


def test_exsync_writes_nested_block_keeps_outer_writes_marked(db):
    with exsync_writes(db):
        with exsync_writes(db):
            insert_contact(db, {"display_name": "Inner"})
        insert_contact(db, {"display_name": "After the inner block"})

    assert origins(db) == ["exsync", "exsync"]


def test_exsync_writes_failing_joined_block_unmarks_later_writes(db):
    db.execute("BEGIN")
    with pytest.raises(RuntimeError):
        with exsync_writes(db):
            raise RuntimeError("a failed step the caller recovers from")
    db.execute("COMMIT")

    insert_contact(db, {"display_name": "Written by the CRM"})

    assert origins(db) == [None]


def test_exsync_writes_missing_origin_row_recreated_and_marks(db):
    db.execute("DELETE FROM change_origin")

    with exsync_writes(db):
        insert_contact(db, {"display_name": "Mine"})
    insert_contact(db, {"display_name": "Written by the CRM"})

    assert origins(db) == ["exsync", None]
