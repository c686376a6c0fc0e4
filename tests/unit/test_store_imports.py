"""Importing operators: all or nothing, idempotent, case-insensitive."""

from __future__ import annotations

import tracemalloc

import pytest

from exsync.errors import InputError
from exsync.operators import OperatorsFile
from exsync.store import open_store
from exsync.store.imports import import_operators
from exsync.store.operators import list_operators, upsert_operator


@pytest.fixture
def db(tmp_path):
    return open_store(tmp_path / "exsync.db")


def run(db, tmp_path, text: str, **options):
    path = tmp_path / "operators.csv"
    path.write_text(text, encoding="utf-8")
    return import_operators(db, OperatorsFile(path).rows(), **options)


GOOD = "id,email,name,sync\n1,ann@example.com,Ann,yes\n2,bob@example.com,Bob,no\n"


def test_import_operators_good_file_creates_all(db, tmp_path):
    report = run(db, tmp_path, GOOD)

    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    assert [(o.id, o.contact_sync) for o in list_operators(db)] == [
        ("1", True),
        ("2", False),
    ]


def test_import_operators_second_run_changes_nothing(db, tmp_path):
    run(db, tmp_path, GOOD)
    before = list_operators(db)

    report = run(db, tmp_path, GOOD)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list_operators(db) == before


def test_import_operators_bad_record_imports_nothing(db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(db, tmp_path, GOOD + "3,carl@,Carl,yes\n")

    assert caught.value.message == "1 of 3 records is invalid; nothing was imported"
    assert caught.value.problems == [
        "record 3 (line 4): 'carl@' is not a valid email address"
    ]
    assert list_operators(db) == []


def test_import_operators_skip_invalid_imports_the_rest(db, tmp_path):
    report = run(db, tmp_path, GOOD + "3,carl@,Carl,yes\n", skip_invalid=True)

    assert (report.created, report.skipped) == (2, 1)


def test_import_operators_dry_run_writes_nothing(db, tmp_path):
    report = run(db, tmp_path, GOOD, dry_run=True)

    assert report.created == 2
    assert list_operators(db) == []


def test_import_operators_case_repeat_with_other_values_is_problem(db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(db, tmp_path, GOOD + "1,ANN@example.com,Ann,no\n")

    assert caught.value.problems == [
        "record 3 (line 4): address ANN@example.com repeats record 1 with other "
        "values (addresses ignore case)"
    ]


def test_import_operators_exact_repeat_in_other_case_is_ignored(db, tmp_path):
    report = run(db, tmp_path, GOOD + "1,ANN@EXAMPLE.COM,Ann,yes\n")

    assert (report.created, report.repeated, report.skipped) == (2, 1, 0)


def test_import_operators_stored_address_in_other_case_is_updated(db, tmp_path):
    upsert_operator(db, email="Ann@Example.com", operator_id="1", name="A")

    report = run(db, tmp_path, GOOD)

    assert (report.created, report.updated) == (1, 1)
    assert [(o.email, o.name) for o in list_operators(db)][0] == (
        "Ann@Example.com",
        "Ann",
    )


def test_import_operators_gives_ids_to_operators_enabled_without(db, tmp_path):
    upsert_operator(db, email="ann@example.com")

    report = run(db, tmp_path, GOOD)

    assert (report.created, report.updated) == (1, 1)
    assert [o.id for o in list_operators(db)] == ["1", "2"]


def test_import_operators_id_change_with_synced_data_is_problem(db, tmp_path):
    upsert_operator(db, email="ann@example.com", operator_id="a1")
    db.execute("INSERT INTO links (operator_id, item_id) VALUES ('a1', 'AAMk1')")

    with pytest.raises(InputError) as caught:
        run(db, tmp_path, GOOD)

    assert caught.value.problems == [
        "record 1 (line 2): ann@example.com is already operator 'a1', not '1', "
        "and has synced data under that id"
    ]


def test_import_operators_id_of_another_stored_address_is_problem(db, tmp_path):
    upsert_operator(db, email="zed@example.com", operator_id="1")

    with pytest.raises(InputError) as caught:
        run(db, tmp_path, GOOD)

    assert caught.value.problems == [
        "record 1 (line 2): id '1' already belongs to zed@example.com"
    ]


def test_import_operators_same_id_twice_in_file_is_problem(db, tmp_path):
    with pytest.raises(InputError) as caught:
        run(db, tmp_path, GOOD + "1,carl@example.com,Carl,yes\n")

    assert caught.value.problems == [
        "record 3 (line 4): id '1' is also record 1 (ann@example.com)"
    ]


def test_import_operators_missing_name_keeps_stored_name(db, tmp_path):
    upsert_operator(db, email="ann@example.com", operator_id="1", name="Ann Lee")

    report = run(db, tmp_path, "email\nann@example.com\n")

    assert report.unchanged == 1
    assert list_operators(db)[0].name == "Ann Lee"


def peak_python_memory(db, tmp_path, rows: int) -> int:
    path = tmp_path / f"ops-{rows}.csv"
    with path.open("w", encoding="utf-8") as stream:
        stream.write("id,name,email,sync\n")
        for number in range(rows):
            stream.write(f"{number},Operator {number},op{number}@example.com,yes\n")
    tracemalloc.start()
    try:
        import_operators(db, OperatorsFile(path).rows(), dry_run=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_import_operators_memory_flat_in_rows(db, tmp_path):
    small = peak_python_memory(db, tmp_path, 6_000)

    large = peak_python_memory(db, tmp_path, 30_000)

    # Both files are larger than one read block and several staging batches,
    # so a reader that streams peaks at the same height for both.
    assert large < small * 1.2, (small, large)
