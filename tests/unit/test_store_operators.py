"""Operators in the store."""

from __future__ import annotations

import pytest

from exsync.errors import InputError
from exsync.store import open_store
from exsync.store.operators import (
    get_operator,
    list_operators,
    set_contact_sync,
    upsert_operator,
)


@pytest.fixture
def db(tmp_path):
    return open_store(tmp_path / "exsync.db")


def test_upsert_operator_new_address_is_created(db):
    operator, outcome = upsert_operator(
        db, email="Ann.Lee@Example.com", operator_id="op1", name="Ann Lee"
    )

    assert outcome == "created"
    assert (operator.id, operator.name, operator.email) == (
        "op1",
        "Ann Lee",
        "Ann.Lee@Example.com",
    )
    assert operator.contact_sync is True


def test_upsert_operator_same_values_is_unchanged(db):
    upsert_operator(db, email="ann@example.com", operator_id="op1", name="Ann")

    _, outcome = upsert_operator(
        db, email="ANN@example.com", operator_id="op1", name="Ann"
    )

    assert outcome == "unchanged"
    assert len(list_operators(db)) == 1


def test_upsert_operator_other_case_updates_and_keeps_spelling(db):
    upsert_operator(db, email="ann@example.com", operator_id="op1")

    operator, outcome = upsert_operator(db, email="ANN@EXAMPLE.COM", name="Ann")

    assert outcome == "updated"
    assert (operator.email, operator.name) == ("ann@example.com", "Ann")


def test_upsert_operator_new_id_without_synced_data_is_updated(db):
    upsert_operator(db, email="ann@example.com")

    operator, outcome = upsert_operator(db, email="ann@example.com", operator_id="7")

    assert (operator.id, outcome) == ("7", "updated")


def test_upsert_operator_new_id_with_synced_data_refused(db):
    upsert_operator(db, email="ann@example.com", operator_id="op1")
    db.execute("INSERT INTO sync_state (operator_id) VALUES ('op1')")

    with pytest.raises(InputError) as caught:
        upsert_operator(db, email="ann@example.com", operator_id="op2")

    assert caught.value.message == (
        "ann@example.com is already operator 'op1', not 'op2', and has synced "
        "data under that id"
    )


def test_upsert_operator_id_of_another_address_refused(db):
    upsert_operator(db, email="ann@example.com", operator_id="op1")

    with pytest.raises(InputError) as caught:
        upsert_operator(db, email="bob@example.com", operator_id="op1")

    assert (
        caught.value.message == "operator id 'op1' already belongs to ann@example.com"
    )


def test_get_operator_ignores_case(db):
    upsert_operator(db, email="ann@example.com", operator_id="op1")

    assert get_operator(db, "Ann@Example.COM").id == "op1"


def test_set_contact_sync_off_excludes_from_enabled_list(db):
    upsert_operator(db, email="ann@example.com", operator_id="op1")
    upsert_operator(db, email="bob@example.com", operator_id="op2")

    set_contact_sync(db, "ann@example.com", False)

    assert [o.id for o in list_operators(db, enabled_only=True)] == ["op2"]


def test_set_contact_sync_unknown_address_returns_none(db):
    assert set_contact_sync(db, "nobody@example.com", True) is None


def test_upsert_operator_blank_id_refused(db):
    with pytest.raises(InputError) as caught:
        upsert_operator(db, email="ann@example.com", operator_id=" ")

    assert caught.value.message == "an operator id cannot be empty"


def test_upsert_operator_id_stripped(db):
    operator, _ = upsert_operator(db, email="ann@example.com", operator_id=" 7 ")

    assert operator.id == "7"
