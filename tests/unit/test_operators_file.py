"""Reading operators CSV files as spreadsheets and HR systems write them."""

from __future__ import annotations

import csv
import os
import tracemalloc

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from exsync.errors import InputError
from exsync.operators import OperatorRow, OperatorsFile, RowProblem


def read(tmp_path, data: bytes, **options):
    path = tmp_path / "operators.csv"
    path.write_bytes(data)
    source = OperatorsFile(path, **options)
    return list(source.rows()), source


def test_rows_utf8_bom_header_is_recognised(tmp_path):
    rows, source = read(tmp_path, b"\xef\xbb\xbfemail,name\nann@example.com,Ann\n")

    assert rows == [OperatorRow(1, 2, "ann@example.com", None, "Ann", True)]
    assert source.encoding == "utf-8-sig"


@pytest.mark.parametrize("mark", [";", "\t", ","])
def test_rows_delimiter_detected_from_header(tmp_path, mark):
    text = f"id{mark}email{mark}name\n7{mark}ann@example.com{mark}Lee, Ann\n"
    if mark == ",":
        text = text.replace("Lee, Ann", '"Lee, Ann"')

    rows, source = read(tmp_path, text.encode())

    assert rows[0].name == "Lee, Ann" and rows[0].operator_id == "7"
    assert source.delimiter == mark


def test_rows_cp1252_file_falls_back_with_warning(tmp_path):
    rows, source = read(
        tmp_path, "email;name\nrene@example.com;René Müller\n".encode("cp1252")
    )

    assert rows[0].name == "René Müller"
    assert source.encoding == "cp1252"
    assert source.warnings == [
        "operators.csv is not UTF-8; read it as cp1252 (Windows Western European)"
    ]


def test_rows_quoted_line_break_keeps_record_numbers(tmp_path):
    data = b'email,name\nann@example.com,"Ann\nLee"\nbob@,Bob\n'

    rows, _ = read(tmp_path, data)

    assert rows[0].name == "Ann Lee"
    assert rows[1] == RowProblem(2, 4, "'bob@' is not a valid email address")


@pytest.mark.parametrize(
    "header", ["E-mail Address", " EMAIL ", "Primary SMTP Address", "e_mail"]
)
def test_rows_header_spelling_variants_accepted(tmp_path, header):
    rows, _ = read(tmp_path, f'"{header}"\nann@example.com\n'.encode())

    assert rows[0].email == "ann@example.com"


def test_rows_first_and_last_name_columns_joined(tmp_path):
    rows, _ = read(tmp_path, b" First Name ;Last Name;Mail\nAnn;Lee;a@example.com\n")

    assert rows[0].name == "Ann Lee"


def test_rows_nonbreaking_and_stray_spaces_stripped(tmp_path):
    data = "email,name\n\u00a0ann@example.com \u00a0, Ann\u00a0 Lee \n".encode()

    rows, _ = read(tmp_path, data)

    assert (rows[0].email, rows[0].name) == ("ann@example.com", "Ann Lee")


def test_rows_blank_and_delimiter_only_rows_skipped(tmp_path):
    rows, _ = read(tmp_path, b"email;name\n\n;;\n ; \nann@example.com;Ann\n")

    assert [(row.record, row.line) for row in rows] == [(4, 5)]


def test_rows_name_and_address_form_split(tmp_path):
    rows, _ = read(tmp_path, b'email\n"Ann Lee <Ann@Example.com>"\n')

    assert (rows[0].name, rows[0].email) == ("Ann Lee", "Ann@Example.com")


@pytest.mark.parametrize(
    ("flag", "enabled"),
    [
        ("yes", True),
        ("No", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        ("x", True),
        ("", False),
    ],
)
def test_rows_contact_sync_flags_understood(tmp_path, flag, enabled):
    rows, _ = read(tmp_path, f"email,contact sync\nann@example.com,{flag}\n".encode())

    assert rows[0].contact_sync is enabled


def test_rows_unknown_flag_is_problem(tmp_path):
    rows, _ = read(tmp_path, b"email,sync\nann@example.com,maybe\n")

    assert rows == [
        RowProblem(
            1,
            2,
            "contact sync 'maybe' is not one of yes, no, true, false, 1, 0, x or empty",
        )
    ]


def test_rows_without_flag_column_default_to_enabled(tmp_path):
    rows, _ = read(tmp_path, b"email\nann@example.com\n")

    assert rows[0].contact_sync is True


def test_rows_no_email_column_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        read(tmp_path, b"id,name\n1,Ann\n")

    assert caught.value.message == (
        "the header has no email address column (found 'id', 'name')"
    )


def test_rows_given_encoding_that_does_not_fit_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        read(tmp_path, "email\nrené@example.com\n".encode("cp1252"), encoding="utf-8")

    assert caught.value.message.endswith("is not valid utf-8 (it holds byte 0xe9)")


def test_rows_unused_column_warned(tmp_path):
    _, source = read(tmp_path, b"email,department\nann@example.com,Sales\n")

    assert source.warnings == ["column 'department' is not used"]


def test_rows_utf16_unicode_text_export_read(tmp_path):
    data = "Email\tName\nrene@example.com\tRené\n".encode("utf-16")

    rows, source = read(tmp_path, data)

    assert (rows[0].name, source.encoding, source.delimiter) == ("René", "utf-16", "\t")


def _ambiguous(data: bytes) -> bool:
    try:
        return data.decode("utf-8") != data.decode("cp1252")
    except UnicodeDecodeError:
        return False


names = st.text(
    alphabet=st.characters(codec="cp1252", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
    max_size=20,
).map(lambda text: " ".join(text.split()))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(st.tuples(names, st.booleans()), min_size=1, max_size=8),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8-sig", "utf-8", "cp1252"]),
)
def test_rows_any_spreadsheet_export_round_trips(tmp_path, people, delimiter, encoding):
    path = tmp_path / "export.csv"
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
        writer.writerow(["E-mail Address", "Full Name", "Sync"])
        for number, (name, flag) in enumerate(people):
            writer.writerow([f"op{number}@example.com", name, "x" if flag else ""])
    # cp1252 bytes that also happen to be valid UTF-8 ("Ã©") are ambiguous.
    assume(encoding != "cp1252" or not _ambiguous(path.read_bytes()))

    rows = list(OperatorsFile(path).rows())

    assert [(row.name or "", row.contact_sync) for row in rows] == [
        (name, flag) for name, flag in people
    ]


def test_rows_multiline_record_reports_its_first_line(tmp_path):
    data = b'email,name\n"bob@","Bob\nde\nBuilder"\n'

    rows, _ = read(tmp_path, data)

    assert rows == [RowProblem(1, 2, "'bob@' is not a valid email address")]


def test_rows_empty_file_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        read(tmp_path, b"")

    assert caught.value.message.endswith("is empty: it has no header line")


def test_rows_blank_lines_only_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        read(tmp_path, b"\r\n ; \r\n\r\n")

    assert caught.value.message.endswith("is empty: it has no header line")


def test_rows_many_unused_columns_one_warning(tmp_path):
    header = "email," + ",".join(f"c{n}" for n in range(10_000))

    _, source = read(tmp_path, f"{header}\nann@example.com\n".encode())

    assert source.warnings == [
        "10000 columns are not used: 'c0', 'c1', 'c2' and 9997 more"
    ]


def test_rows_huge_header_line_refused_with_little_memory(tmp_path):
    data = b"email" + b",h" * 5_000_000 + b"\nann@example.com\n"

    tracemalloc.start()
    try:
        with pytest.raises(InputError) as caught:
            read(tmp_path, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert caught.value.message.endswith(
        "the header (line 1) is longer than 1048576 characters; "
        "this is not an operators file"
    )
    assert peak < 8_000_000


def test_rows_huge_multiline_record_refused(tmp_path):
    cell = '"' + "x\n" * 50_000 + '"'  # each within csv's field size limit
    data = "email,name\nann@example.com,Ann," + ",".join([cell] * 12) + "\n"

    with pytest.raises(InputError) as caught:
        read(tmp_path, data.encode())

    assert "record 1 (line 2) is longer than 1048576 characters" in (
        caught.value.message
    )


def test_rows_address_with_control_character_is_problem(tmp_path):
    rows, _ = read(tmp_path, b"email\nann\x1b@example.com\n")

    assert rows == [
        RowProblem(1, 2, "'ann\\x1b@example.com' is not a valid email address")
    ]


def test_rows_name_control_characters_dropped(tmp_path):
    rows, _ = read(tmp_path, b"email,name\nann@example.com,A\x1b[2Jnn\x07\n")

    assert rows[0].name == "A[2Jnn"


def test_rows_utf16_without_byte_order_mark_refused_with_hint(tmp_path):
    data = "email,name\nann@example.com,Ann\n".encode("utf-16-le")

    with pytest.raises(InputError) as caught:
        read(tmp_path, data)

    assert caught.value.message.endswith(
        "holds NUL bytes: it is binary, or UTF-16 without a byte-order mark"
    )
    assert caught.value.hint == "name its encoding, e.g. --encoding utf-16-le."


def test_rows_utf16_without_byte_order_mark_read_when_named(tmp_path):
    data = "email,name\nann@example.com,Ann\n".encode("utf-16-le")

    rows, _ = read(tmp_path, data, encoding="utf-16-le")

    assert rows == [OperatorRow(1, 2, "ann@example.com", None, "Ann", True)]


def test_rows_pipe_refused_as_not_a_regular_file(tmp_path):
    path = tmp_path / "staff.csv"
    os.mkfifo(path)

    with pytest.raises(InputError) as caught:
        list(OperatorsFile(path).rows())

    assert caught.value.message == (
        f"{path} is not a regular file (a pipe or a device); save it to a file first"
    )
