"""``exsync enable-operator``, ``exsync operators`` and ``exsync import-operators``."""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from exsync.cli import (
    AppContext,
    config_option,
    pass_app,
    stderr_console,
    verbosity_options,
)
from exsync.cli.context import load_app_config, open_app_store
from exsync.errors import ExitCode, InputError, UsageError
from exsync.operators import OperatorsFile
from exsync.store.imports import ImportReport, import_operators
from exsync.store.operators import (
    Operator,
    get_operator,
    list_operators,
    upsert_operator,
)
from exsync.validation import InvalidValueError, parse_address

# C0 and C1 control characters, tab and line breaks aside: a name holding
# an escape sequence must not be able to drive the administrator's terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _shown(value: str) -> Text:
    """Return stored text for a table cell: never markup, no control codes."""
    return Text(_CONTROL.sub("\ufffd", value))


def _operator_dict(operator: Operator) -> dict:
    return asdict(operator)


def _checked_address(email: str) -> str:
    try:
        return parse_address(email)
    except InvalidValueError as error:
        raise UsageError(f"EMAIL: {error}") from None


def _checked_id(operator_id: str | None) -> str | None:
    if operator_id is not None and not operator_id.strip():
        raise UsageError(f"--id: {operator_id!r} is not allowed; use a non-empty id")
    return operator_id


@click.command("enable-operator")
@click.argument("email")
@click.option("--name", help="The operator's name (kept if not given).")
@click.option("--id", "operator_id", help="The operator's id (default: the address).")
@click.option("--disable", is_flag=True, help="Turn contact sync off instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the operator as JSON.")
@config_option
@verbosity_options
@pass_app
def enable_operator(
    app: AppContext,
    email: str,
    name: str | None,
    operator_id: str | None,
    disable: bool,
    as_json: bool,
) -> None:
    """Create or update one operator and turn their contact sync on.

    Addresses compare case-insensitively, so this never creates a second
    operator for the same mailbox. Example:

        exsync enable-operator ann.lee@example.com --name "Ann Lee" --id 1042
    """
    email = _checked_address(email)
    operator_id = _checked_id(operator_id)
    db = open_app_store(load_app_config(app))
    with db.conn:
        operator, outcome = upsert_operator(
            db,
            email=email,
            operator_id=operator_id,
            name=name,
            contact_sync=not disable,
        )
    if as_json:
        click.echo(json.dumps(_operator_dict(operator) | {"outcome": outcome}))
    elif not app.quiet:
        state = "on" if operator.contact_sync else "off"
        _stdout().print(
            _shown(
                f"Operator {operator.id} <{operator.email}> {outcome}; "
                f"contact sync {state}."
            ),
        )


@click.group("operators", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@config_option
@verbosity_options
@pass_app
@click.pass_context
def operators(ctx: click.Context, app: AppContext, as_json: bool) -> None:
    """List the operators, or show one with ``operators show EMAIL``.

    Example: exsync operators --json
    """
    if ctx.invoked_subcommand is not None:
        return
    db = open_app_store(load_app_config(app))
    found = list_operators(db)
    if as_json:
        click.echo(json.dumps([_operator_dict(operator) for operator in found]))
        return
    table = Table("id", "name", "email", "contact sync")
    for operator in found:
        sync = "yes" if operator.contact_sync else "no"
        table.add_row(
            _shown(operator.id), _shown(operator.name), _shown(operator.email), sync
        )
    _stdout().print(table)
    if not app.quiet:
        _stdout().print(f"{len(found)} operator{'' if len(found) == 1 else 's'}.")


@operators.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the profile as JSON.")
@config_option
@verbosity_options
@pass_app
def show_operator(app: AppContext, email: str, as_json: bool) -> None:
    """Show one operator's profile: contact sync and the Exchange address.

    Example: exsync operators show ann.lee@example.com
    """
    db = open_app_store(load_app_config(app))
    operator = get_operator(db, email)
    if operator is None:
        raise InputError(
            f"there is no operator with the address {email}",
            hint="see 'exsync operators' for the list; add one with "
            "'exsync enable-operator'.",
        )
    if as_json:
        click.echo(json.dumps(_operator_dict(operator)))
        return
    table = Table(show_header=False, box=None)
    for label, value in (
        ("id", operator.id),
        ("name", operator.name),
        ("Exchange email", operator.email),
        ("contact sync", "true" if operator.contact_sync else "false"),
        ("created", operator.created_at),
        ("updated", operator.updated_at),
    ):
        table.add_row(label, _shown(value))
    _stdout().print(table)


@click.command("import-operators")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count, but write nothing.")
@click.option(
    "--delimiter",
    type=click.Choice([",", ";", "tab"]),
    help="The field separator (default: detected from the header).",
)
@click.option(
    "--encoding",
    help="The file's encoding (default: UTF-8, else cp1252 with a warning).",
)
@click.option(
    "--skip-invalid", is_flag=True, help="Import the good records, skip the bad."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@config_option
@verbosity_options
@pass_app
def import_operators_command(
    app: AppContext,
    file: Path,
    dry_run: bool,
    delimiter: str | None,
    encoding: str | None,
    skip_invalid: bool,
    as_json: bool,
) -> None:
    """Create or update operators from a CSV file, all or nothing.

    The file needs an email column; id, name (or first and last name) and
    contact sync (yes/no, true/false, 1/0, x) are optional. Running the same
    file twice changes nothing. Example:

        exsync import-operators staff.csv --dry-run
    """
    _check_encoding(encoding)
    db = open_app_store(load_app_config(app))
    source = OperatorsFile(file, encoding=encoding, delimiter=delimiter)
    try:
        report = import_operators(
            db, source.rows(), skip_invalid=skip_invalid, dry_run=dry_run
        )
    except InputError:
        # How the file was read (e.g. as cp1252) helps make sense of the
        # refusal, so it comes first.
        if not app.quiet:
            _print_warnings(source)
        raise
    if as_json:
        click.echo(json.dumps(_report_dict(report, source)))
    elif not app.quiet:
        _print_warnings(source)
        _print_report(report, source)
    if report.problems:
        # Some records were skipped: the import is only partly done.
        click.get_current_context().exit(int(ExitCode.PARTIAL))


def _check_encoding(encoding: str | None) -> None:
    if encoding is None:
        return
    try:
        # As open() will: rot13 or zlib are codecs, but not text encodings.
        io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    except LookupError:
        raise UsageError(
            f"--encoding: {encoding!r} is not a text encoding Python knows; "
            "use e.g. utf-8 or cp1252"
        ) from None


def _report_dict(report: ImportReport, source: OperatorsFile) -> dict:
    return {
        "file": str(source.path),
        "encoding": source.encoding,
        "delimiter": source.delimiter,
        "dry_run": report.dry_run,
        "records": report.records,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "repeated": report.repeated,
        "skipped": report.skipped,
        "problems": [str(problem) for problem in report.problems],
        "warnings": source.warnings,
    }


def _print_warnings(source: OperatorsFile) -> None:
    errors = stderr_console()
    for warning in source.warnings:
        errors.print(f"Warning: {warning}", markup=False)


def _print_report(report: ImportReport, source: OperatorsFile) -> None:
    console = _stdout()
    errors = stderr_console()
    for problem in report.problems:
        errors.print(f"Skipped {problem}", markup=False)
    title = "Operators import (dry run: nothing written)" if report.dry_run else None
    table = Table("outcome", "records", title=title or "Operators import")
    for label, count in (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("repeated, ignored", report.repeated),
        ("skipped, invalid", report.skipped),
    ):
        table.add_row(label, str(count))
    table.add_row("total", str(report.records), style="bold")
    console.print(table)


COMMANDS = [enable_operator, operators, import_operators_command]
