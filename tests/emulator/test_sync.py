"""SyncFolderItems semantics, driven through unmodified exchangelib."""

from __future__ import annotations

import pytest
from conftest import ALICE
from exchangelib.errors import ErrorInvalidSyncStateData


def _walk(folder, state, page=512, fields=("display_name", "job_title")):
    folder.item_sync_state = state
    changes = list(
        folder.sync_items(
            sync_state=state, max_changes_returned=page, only_fields=list(fields)
        )
    )
    return changes, folder.item_sync_state


def _summary(changes):
    result = []
    for kind, item in changes:
        if kind == "delete":
            result.append((kind, item.id))
        else:
            result.append((kind, item.display_name))
    return sorted(result)


def test_sync_first_walk_in_pages_of_one_returns_each_item_once(account):
    changes, _ = _walk(account.contacts, None, page=1)
    assert _summary(changes) == [("create", "Ana Souza"), ("create", "Jürgen Groß")]


def test_sync_after_owner_edit_reports_update(account, emulator):
    _, state = _walk(account.contacts, None)
    owner = emulator.owner(ALICE)
    item_id = owner.contacts()[0]["item_id"]
    owner.update_contact(item_id, {"job_title": "CFO"})
    changes, _ = _walk(account.contacts, state)
    assert [(k, i.job_title) for k, i in changes] == [("update", "CFO")]


def test_sync_created_then_updated_reports_single_create(account, emulator):
    _, state = _walk(account.contacts, None)
    owner = emulator.owner(ALICE)
    item_id = owner.create_contact({"display_name": "Nova"})
    owner.update_contact(item_id, {"job_title": "Dev"})
    changes, _ = _walk(account.contacts, state)
    assert [(k, i.display_name, i.job_title) for k, i in changes] == [
        ("create", "Nova", "Dev")
    ]


def test_sync_created_and_deleted_between_walks_reports_nothing(account, emulator):
    _, state = _walk(account.contacts, None)
    owner = emulator.owner(ALICE)
    owner.delete_contact(owner.create_contact({"display_name": "Brief"}))
    changes, new_state = _walk(account.contacts, state)
    assert changes == []
    assert new_state != state


def test_sync_seen_item_deleted_reports_delete(account, emulator):
    _, state = _walk(account.contacts, None)
    owner = emulator.owner(ALICE)
    item_id = owner.contacts()[1]["item_id"]
    owner.delete_contact(item_id)
    changes, _ = _walk(account.contacts, state)
    assert _summary(changes) == [("delete", item_id)]


def test_sync_unchanged_mailbox_returns_no_changes(account):
    _, state = _walk(account.contacts, None)
    changes, _ = _walk(account.contacts, state)
    assert changes == []


def test_sync_garbage_state_raises_invalid_sync_state(account):
    with pytest.raises(ErrorInvalidSyncStateData):
        _walk(account.contacts, "bm90IGEgc3RhdGU=")


def test_sync_invalidated_states_raise_invalid_sync_state(account, emulator):
    _, state = _walk(account.contacts, None)
    emulator.faults.invalidate_sync_states(ALICE)
    with pytest.raises(ErrorInvalidSyncStateData):
        _walk(account.contacts, state)


def test_sync_state_of_other_mailbox_is_refused(account, emulator):
    from conftest import make_account

    emulator.add_mailbox("bob@example.com")
    emulator.add_contacts("bob@example.com", [{"display_name": "Bob's friend"}])
    _, bob_state = _walk(make_account(emulator, "bob@example.com").contacts, None)
    with pytest.raises(ErrorInvalidSyncStateData):
        _walk(make_account(emulator).contacts, bob_state)


def test_sync_distribution_list_arrives_as_group(account, emulator):
    from exchangelib import DistributionList

    emulator.owner(ALICE).create_contact(
        {
            "kind": "distribution_list",
            "display_name": "Team",
            "members": ["a@example.com"],
        }
    )
    changes, _ = _walk(account.contacts, None, fields=("display_name",))
    groups = [i for _, i in changes if isinstance(i, DistributionList)]
    assert [g.display_name for g in groups] == ["Team"]


def test_sync_delete_carries_last_change_key(account, emulator):
    _, state = _walk(account.contacts, None)
    owner = emulator.owner(ALICE)
    item_id = owner.contacts()[0]["item_id"]
    owner.delete_contact(item_id)
    changes, _ = _walk(account.contacts, state)
    assert changes[0][1].changekey is not None


def test_sync_fresh_walk_after_invalidation_omits_earlier_deletes(account, emulator):
    from exsync.emulator.synthetic import make_contacts

    emulator.add_contacts(ALICE, make_contacts(10))
    _walk(account.contacts, None, page=10)
    emulator.faults.invalidate_sync_states(ALICE)
    owner = emulator.owner(ALICE)
    owner.delete_contact(owner.contacts()[0]["item_id"])
    changes, _ = _walk(account.contacts, None, page=10)
    assert [kind for kind, _ in changes] == ["create"] * 11


def test_sync_item_reported_then_deleted_mid_walk_reports_delete(account, emulator):
    from exsync.emulator.synthetic import make_contacts

    emulator.add_contacts(ALICE, make_contacts(4))
    folder = account.contacts
    pages = folder.sync_items(
        sync_state=None, max_changes_returned=2, only_fields=["display_name"]
    )
    first = [next(pages), next(pages)]
    emulator.owner(ALICE).delete_contact(first[0][1].id)
    rest = list(pages)
    assert ("delete", first[0][1].id) in [(k, i.id) for k, i in rest]


def test_sync_item_created_mid_walk_and_deleted_is_not_reported(account, emulator):
    from exsync.emulator.synthetic import make_contacts

    emulator.add_contacts(ALICE, make_contacts(4))
    folder = account.contacts
    pages = folder.sync_items(
        sync_state=None, max_changes_returned=2, only_fields=["display_name"]
    )
    next(pages)
    owner = emulator.owner(ALICE)
    owner.delete_contact(owner.create_contact({"display_name": "Blip"}))
    kinds = [kind for kind, _ in pages]
    assert "delete" not in kinds


def test_sync_walks_stay_consistent_under_concurrent_owner_edits(emulator):
    import threading
    import time

    from conftest import make_account

    from exsync.emulator.synthetic import make_contacts

    ids = emulator.add_contacts(ALICE, make_contacts(300))
    owner = emulator.owner(ALICE)
    stop = threading.Event()

    def edit_some():
        for index in range(150):
            if stop.is_set():
                return
            owner.update_contact(ids[index * 2], {"job_title": f"v{index}"})
            time.sleep(0.001)

    editor = threading.Thread(target=edit_some)
    editor.start()
    try:
        folder = make_account(emulator).contacts
        first, state = _walk(folder, None, page=50)
    finally:
        stop.set()
        editor.join()
    final, _ = _walk(folder, state, page=50)
    kinds: dict[str, list[str]] = {}
    for kind, item in first:
        kinds.setdefault(item.id, []).append(kind)
    # An item edited after it was listed comes again later, as an update.
    assert len(kinds) == 302
    assert all(k[0] == "create" and set(k[1:]) <= {"update"} for k in kinds.values())
    assert {kind for kind, _ in final} <= {"update"}
