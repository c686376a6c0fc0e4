"""The ``exsync`` command line: the only place that prints, prompts or exits.

Each command family lives in a module of its own under this package and is
registered on the group below. Errors raised by the core as
:class:`~exsync.errors.ExsyncError` are turned into one line on stderr, a
hint, and the error's exit code, in :meth:`ExsyncGroup.invoke`.
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import click
from rich.console import Console
from rich.text import Text

from exsync import __version__
from exsync.errors import ConfigError, ExitCode, ExsyncError, StoreError
from exsync.logsetup import hide_secrets

# Modules under exsync.cli that define commands, each exporting COMMANDS: a
# list of click commands. A module that is missing is skipped, so a
# half-built tree still runs the commands it has.
_COMMAND_MODULES = (
    "configure",
    "operators",
    "sync",
    "status",
    "listen",
    "emulator",
    "demo",
)


@dataclass
class AppContext:
    """What the global options decided, shared with every command."""

    config_path: Path | None = None
    verbosity: int = 0  # -1 quiet, 0 normal, 1 verbose, 2 debug

    @property
    def quiet(self) -> bool:
        return self.verbosity < 0

    @property
    def verbose(self) -> bool:
        return self.verbosity > 0


pass_app = click.make_pass_decorator(AppContext, ensure=True)


def stderr_console() -> Console:
    """The console errors and warnings go to: stderr, no highlighting, no wrap."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def show_error(error: ExsyncError) -> None:
    """Print an :class:`ExsyncError` as people should see it, on stderr."""
    # Messages quote what people typed and what files hold: never markup.
    # A library's error text may quote a revealed secret: masked as in logs.
    console = stderr_console()
    message = hide_secrets(error.message)
    console.print(Text.assemble(("Error:", "bold red"), " ", message))
    for problem in error.problems:
        console.print(f"  - {hide_secrets(problem)}", markup=False)
    if error.hint:
        console.print(Text.assemble(("Hint:", "dim"), " ", hide_secrets(error.hint)))


class ExsyncGroup(click.Group):
    """A group that turns exsync's errors into a message and an exit code."""

    def invoke(self, ctx: click.Context):
        # Made here, not by the first option that needs it: an object made
        # in a subcommand's context would be invisible to this handler.
        ctx.ensure_object(AppContext)
        try:
            try:
                return super().invoke(ctx)
            except sqlite3.Error as error:
                store_error = _store_error(error)
                if store_error is None:
                    raise
                raise store_error from error
        except ExsyncError as error:
            if _verbosity(ctx) > 0:
                sys.stderr.write(hide_secrets(traceback.format_exc()))
            show_error(error)
            ctx.exit(int(error.exit_code))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            stderr_console().print("Interrupted.")
            ctx.exit(130)
        except Exception as error:  # noqa: BLE001 - the last resort is the point
            if _verbosity(ctx) > 0:
                sys.stderr.write(hide_secrets(traceback.format_exc()))
            show_error(
                ExsyncError(
                    f"unexpected {type(error).__name__}: {error}",
                    hint="this is a bug in exsync; run again with --verbose "
                    "for the traceback and report it.",
                )
            )
            ctx.exit(int(ExitCode.BUG))


# SQLite's result codes for a store that is busy, unwritable or damaged:
# things an administrator fixes. Any other SQLite error is a bug in exsync.
_STORE_FAULTS = ("READONLY", "IOERR", "FULL", "CORRUPT", "NOTADB", "CANTOPEN", "PERM")


def _store_error(error: sqlite3.Error) -> StoreError | None:
    name = (getattr(error, "sqlite_errorname", None) or "").removeprefix("SQLITE_")
    if name.startswith(("BUSY", "LOCKED")):
        return StoreError(
            f"the store is locked by another program: {error}",
            hint="try again later; if it persists, find the program that keeps "
            "the store busy.",
        )
    if name.startswith(_STORE_FAULTS):
        return StoreError(
            f"the store cannot be used: {error}",
            hint="check that the store file is writable by this user, that the "
            "disk is not full, and that the file is not damaged.",
        )
    return None


def _verbosity(ctx: click.Context) -> int:
    app = ctx.find_object(AppContext)
    return app.verbosity if app else 0


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    app = ctx.ensure_object(AppContext)
    app.verbosity = -1 if param.name == "quiet" else max(app.verbosity, 1)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        ctx.ensure_object(AppContext).verbosity = 2


def _set_config(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value and not ctx.resilient_parsing:
        ctx.ensure_object(AppContext).config_path = Path(value)


def verbosity_options(command):
    """Add ``--verbose``, ``--quiet`` and ``--debug`` to a command.

    They are accepted before the command name and after it alike, so
    ``exsync -q sync`` and ``exsync sync -q`` mean the same.
    """
    options = [
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_set_verbosity,
            help="Say more, and show a traceback on errors.",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_set_verbosity,
            help="Print only errors.",
        ),
        click.option(
            "--debug",
            is_flag=True,
            expose_value=False,
            callback=_set_debug,
            help="Log every decision, third-party libraries included.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def config_option(command):
    """Add ``--config`` (also ``EXSYNC_CONFIG``) to a command."""
    return click.option(
        "--config",
        "config_path",
        # Not dir_okay=False: a directory is a configuration error (exit 3),
        # reported by load_config, not a usage error.
        type=click.Path(),
        metavar="FILE",
        envvar="EXSYNC_CONFIG",
        expose_value=False,
        callback=_set_config,
        help="The configuration file (default: $XDG_CONFIG_HOME/exsync/config.toml).",
    )(command)


@click.group(cls=ExsyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="exsync")
@config_option
@verbosity_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Keep Exchange contacts and the CRM contact store in step.

    Run ``exsync configure`` once, enable operators, then let cron run
    ``exsync sync`` every slot. ``exsync demo`` shows the whole job on the
    built-in Exchange emulator.
    """
    ctx.ensure_object(AppContext)


def _register_commands() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"exsync.cli.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"exsync.cli.{name}":
                raise
            continue
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def main() -> None:
    """Run the ``exsync`` console script."""
    try:
        cli.main(prog_name="exsync")
    except ConfigError as error:  # raised while reading options, before invoke
        show_error(error)
        sys.exit(int(error.exit_code))
