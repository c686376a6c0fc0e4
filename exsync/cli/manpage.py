"""Build ``man/exsync.1`` from the click commands themselves.

Run ``python -m exsync.cli.manpage > man/exsync.1`` after changing a
command; a test fails while the committed page differs from what this
prints, so the manual cannot drift away from the program.
"""

from __future__ import annotations

import inspect
import textwrap

import click

from exsync import __version__
from exsync.cli import cli
from exsync.cli.configure import SETTINGS
from exsync.errors import ExitCode

EXIT_MEANINGS = {
    ExitCode.OK: "Success.",
    ExitCode.PARTIAL: "The run finished, but some mailboxes or records failed.",
    ExitCode.USAGE: "The command line was wrong.",
    ExitCode.CONFIG: "The configuration is missing or invalid, or a secret "
    "could not be read.",
    ExitCode.EXCHANGE_AUTH: "Exchange refused the service account or its "
    "impersonation right.",
    ExitCode.EXCHANGE_UNREACHABLE: "Exchange could not be reached; worth "
    "retrying later.",
    ExitCode.STORE: "The store cannot be opened, migrated or written.",
    ExitCode.LOCKED: "Another exsync run holds the lock.",
    ExitCode.BUG: "A bug in exsync; run again with --verbose and report it.",
}
CRON_LINE = "*/15 * * * * exsync sync --quiet"
LIMITATIONS = (
    "Exchange 2010, 2013 and 2016 are supported (2019 speaks the 2016 "
    "schema); Exchange 2007 is not.",
    "Contact photos are never synchronised; contact groups are ignored.",
    "An import never deletes operators; turn their sync off instead.",
    "An operator's id cannot change once exsync has synced data under it.",
)


def escape(text: str) -> str:
    """Escape ``text`` for roff: backslashes, hyphens and leading dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = [
        "\\&" + line if line.startswith((".", "'")) else line
        for line in text.split("\n")
    ]
    return "\n".join(lines)


def _context(
    command: click.Command, name: str, parent: click.Context | None = None
) -> click.Context:
    # As click builds it for a real run: with the command's settings and its
    # parent's (-h as well as --help). click caches the help option of a
    # command the first time it is asked for, so a context built any other
    # way would make the page depend on what ran before.
    return click.Context(
        command, info_name=name, parent=parent, **command.context_settings
    )


def _render_command(
    command: click.Command, path: list[str], parent: click.Context
) -> list[str]:
    """Return the roff lines for ``command`` and, for a group, its children."""
    ctx = _context(command, path[-1], parent)
    lines = [f'.SS "{escape(" ".join(path))} {escape(_usage(command))}"']
    lines += _paragraphs(inspect.cleandoc(command.help or ""))
    for param in command.get_params(ctx):
        # Each command's own --help is said once, under GLOBAL OPTIONS. The
        # option is compared itself: click names it differently by version.
        if not isinstance(param, click.Option) or param is command.get_help_option(ctx):
            continue
        record = param.get_help_record(ctx)
        if record:
            lines += [".TP", f"\\fB{escape(record[0])}\\fR", escape(record[1])]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            lines += _render_command(command.commands[name], [*path, name], ctx)
    return lines


def _usage(command: click.Command) -> str:
    # Built here rather than by click, whose spelling changes between
    # versions; the arguments are explained in each command's help.
    pieces = ["[OPTIONS]"]
    for param in command.params:
        if isinstance(param, click.Argument):
            name = param.human_readable_name + ("..." if param.nargs == -1 else "")
            pieces.append(name if param.required else f"[{name}]")
    if isinstance(command, click.Group):
        pieces.append("COMMAND [ARGS]...")
    return " ".join(pieces)


def _paragraphs(text: str) -> list[str]:
    lines = []
    for block in text.split("\n\n"):
        block = block.replace("\b\n", "")
        if block.startswith("    "):
            lines += [
                ".PP",
                ".nf",
                ".RS 4",
                escape(textwrap.dedent(block).strip("\n")),
                ".RE",
                ".fi",
            ]
        elif block.strip():
            lines += [".PP", escape(" ".join(block.split()))]
    return lines


def render_manpage() -> str:
    """Return the whole manual page as roff text."""
    lines = [
        f'.TH EXSYNC 1 "" "exsync {__version__}" "User Commands"',
        ".SH NAME",
        "exsync \\- keep Exchange contacts and a CRM contact store in step",
        ".SH SYNOPSIS",
        "\\fBexsync\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]...",
        ".SH DESCRIPTION",
        *_paragraphs(inspect.cleandoc(cli.help or "")),
        ".SH GLOBAL OPTIONS",
    ]
    ctx = _context(cli, "exsync")
    for param in cli.get_params(ctx):
        record = param.get_help_record(ctx)
        if record:
            lines += [".TP", f"\\fB{escape(record[0])}\\fR", escape(record[1])]
    lines.append(".SH COMMANDS")
    for name in sorted(cli.commands):
        lines += _render_command(cli.commands[name], ["exsync", name], ctx)
    lines += _configuration_section() + _exit_section() + _closing_sections()
    return "\n".join(lines) + "\n"


def _configuration_section() -> list[str]:
    lines = [
        ".SH CONFIGURATION",
        "The file is TOML, found through \\fB\\-\\-config\\fR, then "
        "\\fBEXSYNC_CONFIG\\fR, then \\fI$XDG_CONFIG_HOME/exsync/config.toml\\fR. "
        "Secrets are tables naming where they come from: "
        '\\fB{ env = "VARIABLE" }\\fR or \\fB{ command = "program args" }\\fR. '
        "A file holding a secret command must not be readable by other users. "
        "\\fBconfig.example.toml\\fR explains each key.",
    ]
    for setting in SETTINGS:
        lines += [".TP", f"\\fB{escape(setting.key)}\\fR", escape(setting.prompt) + "."]
    return lines


def _exit_section() -> list[str]:
    lines = [".SH EXIT STATUS"]
    for code, meaning in EXIT_MEANINGS.items():
        lines += [".TP", f"\\fB{int(code)}\\fR", escape(meaning)]
    return lines


def _closing_sections() -> list[str]:
    return [
        ".SH EXAMPLES",
        "Run a sync every 15 minutes from cron; exsync takes its own lock, so "
        "a run still going makes the next one exit at once with status 7:",
        ".PP",
        ".nf",
        ".RS 4",
        escape(CRON_LINE),
        ".RE",
        ".fi",
        ".SH KNOWN LIMITATIONS",
        *[line for limit in LIMITATIONS for line in (".IP \\(bu 2", escape(limit))],
        ".SH ENVIRONMENT",
        ".TP",
        "\\fBEXSYNC_CONFIG\\fR",
        "The configuration file, unless \\fB\\-\\-config\\fR is given.",
        ".TP",
        "\\fBXDG_CONFIG_HOME\\fR, \\fBXDG_DATA_HOME\\fR",
        "Where the configuration and the store live by default.",
    ]


if __name__ == "__main__":
    click.echo(render_manpage(), nl=False)
