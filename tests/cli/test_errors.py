"""How errors reach people: one line, a hint, an exit code, no traceback."""

from __future__ import annotations

import sqlite3

import click

from exsync import __version__
from exsync.cli import ExsyncGroup, cli, verbosity_options
from exsync.config import Secret
from exsync.credentials import reveal
from exsync.errors import StoreError


def group_raising(error: Exception) -> click.Group:
    @click.group(cls=ExsyncGroup)
    def group() -> None:
        """A group for the test."""

    @group.command()
    @verbosity_options
    def fail() -> None:
        """Raise the error."""
        raise error

    return group


def test_version_prints_program_and_version(runner):
    result = runner.invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"exsync, version {__version__}\n"


def test_exsync_error_prints_message_and_hint_without_traceback(runner):
    group = group_raising(StoreError("cannot open the store x.db", hint="check x"))

    result = runner.invoke(group, ["fail"])

    assert result.exit_code == 6
    assert result.stderr == "Error: cannot open the store x.db\nHint: check x\n"


def test_exsync_error_verbose_adds_traceback(runner):
    group = group_raising(StoreError("cannot open the store x.db"))

    result = runner.invoke(group, ["fail", "--verbose"])

    assert result.exit_code == 6
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith("Error: cannot open the store x.db\n")


def test_unexpected_error_is_bug_exit_70(runner):
    result = runner.invoke(group_raising(KeyError("boom")), ["fail"])

    assert result.exit_code == 70
    assert result.stderr == (
        "Error: unexpected KeyError: 'boom'\n"
        "Hint: this is a bug in exsync; run again with --verbose for the "
        "traceback and report it.\n"
    )


def test_unknown_command_is_usage_error(runner):
    result = runner.invoke(cli, ["frobnicate"])

    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr


def test_invalid_config_lists_problems_exit_3(runner, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[sync]\nslot_minutes = 20\n[exchange]\nurl = "https://x.example/EWS"\n'
        'username = "s"\npassword = { env = "P" }\n',
        encoding="utf-8",
    )

    result = runner.invoke(cli, ["--config", str(config), "operators"])

    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: the configuration {config} has 1 problem:\n"
        "  - sync.slot_minutes: 20 is not allowed; use one of 15, 30\n"
        "Hint: fix the keys named above; config.example.toml explains each.\n"
    )


def test_exsync_error_message_with_brackets_printed_as_text(runner):
    group = group_raising(StoreError("no operator [/] or [bold]x", hint="see [red]"))

    result = runner.invoke(group, ["fail"])

    assert result.exit_code == 6
    assert result.stderr == "Error: no operator [/] or [bold]x\nHint: see [red]\n"


def test_unexpected_error_with_brackets_is_bug_exit_70(runner):
    result = runner.invoke(group_raising(ValueError("tag [/] here")), ["fail"])

    assert result.exit_code == 70
    assert result.stderr.startswith("Error: unexpected ValueError: tag [/] here\n")


def test_config_env_naming_directory_is_config_error_exit_3(runner, tmp_path):
    result = runner.invoke(cli, ["operators"], env={"EXSYNC_CONFIG": str(tmp_path)})

    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"Error: the configuration {tmp_path} is a directory, not a file\n"
    )


def test_config_binary_file_is_config_error_exit_3(runner, tmp_path):
    config = tmp_path / "config.toml"
    config.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff")

    result = runner.invoke(cli, ["--config", str(config), "operators"])

    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"Error: the configuration {config} is not valid TOML: it is not UTF-8 text\n"
    )


def busy_error(tmp_path) -> sqlite3.OperationalError:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        return error
    finally:
        other.close()
        holder.close()
    raise AssertionError("the store was not locked")


def test_store_locked_past_busy_timeout_is_store_error_exit_6(runner, tmp_path):
    result = runner.invoke(group_raising(busy_error(tmp_path)), ["fail"])

    assert result.exit_code == 6
    assert result.stderr == (
        "Error: the store is locked by another program: database is locked\n"
        "Hint: try again later; if it persists, find the program that keeps "
        "the store busy.\n"
    )


def test_sqlite_programming_error_stays_bug_exit_70(runner):
    error = sqlite3.OperationalError("no such column: nope")

    result = runner.invoke(group_raising(error), ["fail"])

    assert result.exit_code == 70


def test_unexpected_error_quoting_revealed_secret_masks_it(runner, monkeypatch):
    monkeypatch.setenv("EXSYNC_TEST_SECRET", "pl4nted-s3cret")
    secret = reveal(Secret(env="EXSYNC_TEST_SECRET"))

    result = runner.invoke(group_raising(ValueError(f"bad {secret}")), ["fail"])

    assert result.exit_code == 70
    assert result.stderr.startswith("Error: unexpected ValueError: bad ****\n")
