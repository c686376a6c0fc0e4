"""The manual page stays in step with the commands and the settings."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from exsync.cli import cli
from exsync.cli.manpage import escape, render_manpage
from exsync.configcheck import SECTIONS
from exsync.errors import ExitCode

MANPAGE = Path(__file__).parents[2] / "man" / "exsync.1"


def all_commands(group: click.Group, path=("exsync",)):
    for name, command in sorted(group.commands.items()):
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))


def test_manpage_committed_page_matches_the_commands():
    assert MANPAGE.read_text(encoding="utf-8") == render_manpage(), (
        "man/exsync.1 is out of date: run python -m exsync.cli.manpage > man/exsync.1"
    )


@pytest.mark.parametrize(
    ("path", "command"), list(all_commands(cli)), ids=lambda value: str(value)
)
def test_manpage_command_has_help_and_a_section(path, command):
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    assert f'.SS "{escape(" ".join(path))} ' in render_manpage()


def test_manpage_every_config_key_listed():
    page = render_manpage()

    missing = [
        f"{section}.{key}"
        for section, (_, keys) in SECTIONS.items()
        for key in keys
        if f"\\fB{escape(section + '.' + key)}\\fR" not in page
    ]

    assert missing == []


def test_manpage_every_exit_code_listed():
    page = render_manpage()

    assert all(f".TP\n\\fB{int(code)}\\fR\n" in page for code in ExitCode)


def test_escape_leading_dot_and_hyphen_protected():
    assert escape(".hidden -x") == "\\&.hidden \\-x"


def test_manpage_unchanged_by_commands_having_run(runner):
    before = render_manpage()

    runner.invoke(cli, ["--help"])
    runner.invoke(cli, ["operators", "show", "--help"])

    assert render_manpage() == before
    assert ".TP\n\\fB\\-h, \\-\\-help\\fR\n" in before


def test_manpage_usage_lines_spelled_by_exsync_not_click():
    page = render_manpage()

    assert '.SS "exsync operators [OPTIONS] COMMAND [ARGS]..."' in page
    assert '.SS "exsync operators show [OPTIONS] EMAIL"' in page
    assert "\\fBEMAIL\\fR" not in page
