"""Every command follows the everyday conventions of the command line."""

from __future__ import annotations

import click
import pytest

from exsync.cli import cli


def all_commands(group: click.Group, path=("exsync",)):
    for name, command in sorted(group.commands.items()):
        yield " ".join((*path, name)), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*path, name))


COMMANDS = list(all_commands(cli))


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_accepts_quiet_and_verbose(name, command):
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}

    assert {"--quiet", "--verbose"} <= options, f"{name} lacks --quiet or --verbose"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_help_exits_0(runner, name, command):
    result = runner.invoke(cli, [*name.split()[1:], "--help"], prog_name="exsync")

    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: {name} ")


def test_shell_completion_bash_completes_command_names(runner):
    env = {
        "_EXSYNC_COMPLETE": "bash_complete",
        "COMP_WORDS": "exsync import-op",
        "COMP_CWORD": "1",
    }

    result = runner.invoke(cli, [], env=env, prog_name="exsync")

    assert result.exit_code == 0
    assert result.stdout == "plain,import-operators\n"
