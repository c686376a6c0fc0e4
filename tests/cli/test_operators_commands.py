"""The enable-operator, operators and import-operators commands."""

from __future__ import annotations

import json

import pytest

from exsync.cli import cli

CONFIG = """
[exchange]
url = "https://mail.example.com/EWS/Exchange.asmx"
username = "svc@example.com"
password = {{ env = "EXSYNC_PASSWORD" }}
[store]
path = "{store}"
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(store=tmp_path / "exsync.db"), encoding="utf-8")
    return path


def invoke(runner, config, *args):
    return runner.invoke(cli, ["--config", str(config), *args])


def test_enable_operator_new_address_created(runner, config):
    result = invoke(runner, config, "enable-operator", "Ann@Example.com", "--id", "7")

    assert result.exit_code == 0
    assert result.stdout == "Operator 7 <Ann@Example.com> created; contact sync on.\n"


def test_enable_operator_disable_turns_sync_off(runner, config):
    invoke(runner, config, "enable-operator", "ann@example.com")

    result = invoke(runner, config, "enable-operator", "ANN@example.com", "--disable")

    assert result.exit_code == 0
    assert result.stdout.endswith("updated; contact sync off.\n")


def test_enable_operator_bad_address_is_usage_error(runner, config):
    result = invoke(runner, config, "enable-operator", "ann")

    assert result.exit_code == 2
    assert result.stderr == (
        "Error: EMAIL: 'ann' is not a valid email address; use name@example.com\n"
    )


def test_enable_operator_without_config_exits_3(runner, tmp_path):
    result = runner.invoke(
        cli, ["enable-operator", "a@example.com", "--config", str(tmp_path / "no")]
    )

    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: there is no configuration file at {tmp_path / 'no'}\n"
        "Hint: run 'exsync configure' to write one, or pass --config.\n"
    )


def test_operators_json_lists_operators(runner, config):
    invoke(runner, config, "enable-operator", "bob@example.com", "--name", "Bob")

    result = invoke(runner, config, "operators", "--json")

    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [(o["email"], o["name"], o["contact_sync"]) for o in listed] == [
        ("bob@example.com", "Bob", True)
    ]


def test_operators_show_finds_address_in_any_case(runner, config):
    invoke(runner, config, "enable-operator", "bob@example.com", "--disable")

    result = invoke(runner, config, "operators", "show", "BOB@example.com", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout)["contact_sync"] is False


def test_operators_show_unknown_address_exits_1(runner, config):
    result = invoke(runner, config, "operators", "show", "nobody@example.com")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: there is no operator with the address nobody@example.com\n"
    )


def write_csv(tmp_path, text):
    path = tmp_path / "staff.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_operators_bad_record_lists_it_and_exits_1(runner, config, tmp_path):
    csv = write_csv(tmp_path, "email;name\nann@example.com;Ann\nbob@;Bob\n")

    result = invoke(runner, config, "import-operators", csv)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 of 2 records is invalid; nothing was imported\n"
        "  - record 2 (line 3): 'bob@' is not a valid email address\n"
        "Hint: fix the records named above, or pass --skip-invalid to import "
        "the others.\n"
    )


def test_import_operators_json_summary_counts(runner, config, tmp_path):
    csv = write_csv(tmp_path, "email;name\nann@example.com;Ann\n")

    result = invoke(runner, config, "import-operators", csv, "--json")

    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["delimiter"]) == (1, ";")


def test_import_operators_summary_table_printed(runner, config, tmp_path):
    csv = write_csv(tmp_path, "email\nann@example.com\n")

    result = invoke(runner, config, "import-operators", csv, "--dry-run")

    assert result.exit_code == 0
    assert "Operators import (dry run: nothing written)" in result.stdout
    assert result.stderr == ""


def test_import_operators_skip_invalid_exits_1_with_skips(runner, config, tmp_path):
    csv = write_csv(tmp_path, "email\nann@example.com\nbob@\n")

    result = invoke(runner, config, "import-operators", csv, "--skip-invalid", "-q")

    assert result.exit_code == 1
    assert result.stdout == ""


def test_import_operators_unknown_encoding_is_usage_error(runner, config, tmp_path):
    csv = write_csv(tmp_path, "email\nann@example.com\n")

    result = invoke(runner, config, "import-operators", csv, "--encoding", "klingon")

    assert result.exit_code == 2
    assert result.stderr == (
        "Error: --encoding: 'klingon' is not a text encoding Python knows; "
        "use e.g. utf-8 or cp1252\n"
    )


def test_import_operators_cp1252_file_warns_and_stores_name(runner, config, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_bytes("email;name\nrene@example.com;René Müller\n".encode("cp1252"))

    result = invoke(runner, config, "import-operators", str(path))

    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: staff.csv is not UTF-8; read it as cp1252 (Windows Western "
        "European)\n"
    )
    shown = invoke(runner, config, "operators", "show", "rene@example.com", "--json")
    assert json.loads(shown.stdout)["name"] == "René Müller"


def test_operators_name_with_markup_printed_as_text(runner, config):
    invoke(runner, config, "enable-operator", "ann@example.com", "--name", "[/]Ann")

    result = invoke(runner, config, "operators")

    assert result.exit_code == 0
    assert "[/]Ann" in result.stdout


def test_operators_show_name_with_markup_printed_as_text(runner, config):
    invoke(runner, config, "enable-operator", "ann@example.com", "--name", "[b]Ann[/]")

    result = invoke(runner, config, "operators", "show", "ann@example.com")

    assert result.exit_code == 0
    assert "[b]Ann[/]" in result.stdout


def test_operators_show_name_with_escape_code_shown_harmless(runner, config):
    invoke(runner, config, "enable-operator", "ann@example.com", "--name", "A\x1b[2Jn")

    result = invoke(runner, config, "operators", "show", "ann@example.com")

    assert result.exit_code == 0
    assert "\x1b" not in result.stdout
    assert "A\ufffd[2Jn" in result.stdout


def test_operators_show_unknown_with_brackets_names_it_exit_1(runner, config):
    result = invoke(runner, config, "operators", "show", "[bold]x@example.com")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: there is no operator with the address [bold]x@example.com\n"
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_enable_operator_blank_id_is_usage_error(runner, config, blank):
    result = invoke(runner, config, "enable-operator", "ann@example.com", "--id", blank)

    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: --id: {blank!r} is not allowed; use a non-empty id\n"
    )


def test_import_operators_refused_file_still_shows_encoding_warning(
    runner, config, tmp_path
):
    csv_file = tmp_path / "staff.csv"
    csv_file.write_bytes("email,name\nbad,Jos\u00e9\n".encode("cp1252"))

    result = invoke(runner, config, "import-operators", str(csv_file))

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Warning: staff.csv is not UTF-8; read it as cp1252 "
        "(Windows Western European)\nError: 1 of 1 records is invalid"
    )


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib"])
def test_import_operators_non_text_codec_is_usage_error(
    runner, config, tmp_path, codec
):
    csv = write_csv(tmp_path, "email\nann@example.com\n")

    result = invoke(runner, config, "import-operators", csv, "--encoding", codec)

    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: --encoding: {codec!r} is not a text encoding Python knows; "
        "use e.g. utf-8 or cp1252\n"
    )


HOSTILE = (
    "\ufeffOperator ID; E-mail Address ;Name;Sync?\r\n"
    '1;Ann@Example.com;"Ann\r\nLee";yes\r\n'
    ";;;\r\n"
    "2;\u00a0bob@example.com\u00a0;=cmd|'/C calc'!A0;x\r\n"
    '3;"Cy <cy@example.com>";"\'); DROP TABLE operators;--";0\r\n'
)


def test_import_operators_hostile_file_twice_second_changes_nothing(
    runner, config, tmp_path
):
    csv = write_csv(tmp_path, HOSTILE)

    first = invoke(runner, config, "import-operators", csv, "--json")
    second = invoke(runner, config, "import-operators", csv, "--json")

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert json.loads(first.stdout)["created"] == 3
    assert json.loads(second.stdout)["unchanged"] == 3
    listed = json.loads(invoke(runner, config, "operators", "--json").stdout)
    assert [(o["id"], o["name"], o["email"], o["contact_sync"]) for o in listed] == [
        ("1", "Ann Lee", "Ann@Example.com", True),
        ("2", "=cmd|'/C calc'!A0", "bob@example.com", True),
        ("3", "'); DROP TABLE operators;--", "cy@example.com", False),
    ]
