"""Seeds, Outlook CSV exports, and state that survives a restart."""

from __future__ import annotations

import pytest
from conftest import ALICE, make_account, small_seed

from exsync.emulator import Emulator, Seed, SeedError
from exsync.emulator.outlook_csv import parse_outlook_csv, parse_outlook_date

HEADER = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,"
    "Business Street,Business City,Business Postal Code,Business Country,"
    "Mobile Phone,Business Phone,Birthday,Categories,E-mail Address,"
    "E-mail 2 Address,Notes,Sensitivity\r\n"
)


def test_sample_seed_has_three_mailboxes_and_accounts():
    seed = Seed.sample()
    users = {a.username: a.impersonation for a in seed.accounts}
    assert len(seed.mailboxes) == 3
    assert (users["svc-exsync@example.com"], users["no-rights@example.com"]) == (
        True,
        False,
    )


def test_sample_seed_has_group_private_and_untagged_contacts():
    contacts = [c for m in Seed.sample().mailboxes for c in m.contacts]
    assert any(c.get("kind") == "distribution_list" for c in contacts)
    assert any(c.get("sensitivity") == "Private" for c in contacts)
    assert any(not c.get("categories") for c in contacts)


def test_seed_load_reads_csv_relative_to_file(tmp_path):
    (tmp_path / "a.csv").write_bytes(
        (
            "\ufeff"
            + HEADER
            + ",Zoë,,Ñúñez,,ACME,,,,,,,,,0/0/00,A;B,z@x.org,,,Private\r\n"
        ).encode()
    )
    (tmp_path / "seed.toml").write_text(
        '[[mailboxes]]\naddress = "a@example.com"\ncontacts_csv = "a.csv"\n'
    )
    contact = Seed.load(tmp_path / "seed.toml").mailboxes[0].contacts[0]
    assert (contact["display_name"], contact["categories"], contact["sensitivity"]) == (
        "Zoë Ñúñez",
        ["A", "B"],
        "Private",
    )
    assert "birthday" not in contact


def test_outlook_csv_cp1252_short_row_is_read():
    raw = (HEADER + ",Jos\xe9,,Garc\xeda,,Bodega\r\n").encode("cp1252")
    from exsync.emulator.outlook_csv import decode_export

    (contact,) = parse_outlook_csv(decode_export(raw))
    assert (contact["display_name"], contact["company_name"]) == (
        "José García",
        "Bodega",
    )


def test_outlook_date_formats_are_read():
    assert [parse_outlook_date(v) for v in ("3/14/1979", "14.03.1979", "0/0/00")] == [
        "1979-03-14",
        "1979-03-14",
        None,
    ]


def test_seed_load_bad_toml_raises_seed_error(tmp_path):
    (tmp_path / "bad.toml").write_text("[[mailboxes]\n")
    with pytest.raises(SeedError):
        Seed.load(tmp_path / "bad.toml")


def test_contact_without_display_name_is_refused():
    with pytest.raises(SeedError):
        Seed(mailboxes=[{"address": "a@example.com", "contacts": [{"surname": "X"}]}])


def test_state_file_keeps_contacts_and_sync_state_across_restart(tmp_path):
    state = tmp_path / "emu.json"
    with Emulator(seed=small_seed(), state_file=state) as emu:
        folder = make_account(emu).contacts
        list(folder.sync_items(sync_state=None, only_fields=["display_name"]))
        sync_state = folder.item_sync_state
        emu.owner(ALICE).create_contact({"display_name": "Late Arrival"})
    with Emulator(seed=Seed(), state_file=state) as emu:
        folder = make_account(emu).contacts
        changes = list(
            folder.sync_items(sync_state=sync_state, only_fields=["display_name"])
        )
    assert [(kind, item.display_name) for kind, item in changes] == [
        ("create", "Late Arrival")
    ]


def test_sample_seed_reads_its_windows_1252_outlook_export():
    carla = {m.address: m for m in Seed.sample().mailboxes}["carla@example.com"]
    by_name = {c["display_name"]: c for c in carla.contacts}
    assert (
        by_name["Jörg Weiß"]["sensitivity"],
        "birthday" in by_name["Jörg Weiß"],
    ) == (
        "Private",
        False,
    )
