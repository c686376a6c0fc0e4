"""``exsync status``, ``exsync contacts`` and ``exsync doctor``: read and check."""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from exsync.cli import AppContext, config_option, pass_app, verbosity_options
from exsync.cli.context import load_app_config, open_app_store
from exsync.diagnosis import FAIL, OK, WARN, exit_code_of, run_checks
from exsync.errors import UsageError
from exsync.store.contacts import list_contacts
from exsync.store.operators import get_operator, list_operators
from exsync.store.overview import (
    OpenFailure,
    OperatorOverview,
    last_run,
    list_overviews,
)

# Without a terminal, rich would wrap tables at 80 columns; a wide fixed
# width keeps each row on one line for pipes, mail and grep.
PIPE_WIDTH = 200
_VERDICTS = {
    OK: "[green]ok[/]",
    WARN: "[yellow]warn[/]",
    FAIL: "[bold red]FAIL[/]",
}

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the data as JSON."
)


def stdout_console() -> Console:
    """A console on stdout: rich on a terminal, plain and wide in a pipe."""
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=PIPE_WIDTH, no_color=True)
    return console


@click.command()
@json_option
@config_option
@verbosity_options
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Show each operator's sync: last success, contacts in sync, failures.

    Example: exsync status --json
    """
    config = load_app_config(app)
    db = open_app_store(config)
    try:
        overviews, run = list_overviews(db), last_run(db)
    finally:
        db.close()
    if as_json:
        data = {"last_run": run, "operators": [o.to_dict() for o in overviews]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return

    console = stdout_console()
    now = datetime.now(UTC)
    console.print(_describe_run(run, now))
    if not overviews:
        console.print("No operators yet: add them with `exsync enable-operator`.")
        return
    console.print(_status_table(overviews, now))
    _print_advice(console, overviews)


def _describe_run(run: dict[str, Any] | None, now: datetime) -> str:
    if run is None:
        return "No sync has run yet."
    if run["finished_at"] is None:
        return f"Last run: started {_when(run['started_at'], now)}, not finished."
    return f"Last run: {_when(run['finished_at'], now)}, exit code {run['exit_code']}."


def _status_table(overviews: list[OperatorOverview], now: datetime) -> Table:
    # The address is the row's key: shorter columns wrap before it is cut.
    widest = max(len(o.email) for o in overviews)
    table = Table()
    table.add_column("Operator", min_width=min(widest, 40), overflow="fold")
    for title in ("Sync", "Last success", "Last attempt", "In sync", "Failure"):
        table.add_column(title)
    table.add_column("Failing since")
    for overview in overviews:
        failure = overview.failure
        table.add_row(
            escape(overview.email),
            "on" if overview.enabled else "[dim]off[/]",
            _age(overview.last_success_at, now),
            _age(overview.last_attempt_at, now),
            str(overview.contacts_in_sync),
            f"[red]{failure.code}[/]" if failure else "",
            _since(failure, now) if failure else "",
        )
    return table


def _since(failure: OpenFailure, now: datetime) -> str:
    emailed = ", emailed" if failure.emailed_at else ""
    attempts = "1 attempt" if failure.attempts == 1 else f"{failure.attempts} attempts"
    return f"{_age(failure.since, now)}, {attempts}{emailed}"


def _print_advice(console: Console, overviews: list[OperatorOverview]) -> None:
    failing = [o for o in overviews if o.failure]
    if not failing:
        return
    console.print("\nFailures:")
    for overview in failing:
        failure = overview.failure
        console.print(
            f"  {overview.email}: {failure.title}. {failure.detail}", markup=False
        )
    console.print("What to do:")
    advice = {o.failure.code: o.failure.advice for o in failing}
    for code, text in advice.items():
        console.print(f"  {code}: {text}", markup=False)


def _age(stamp: str | None, now: datetime) -> str:
    # Recent times as an age, older ones as a date: a table cell stays short.
    if not stamp:
        return "never"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _when(stamp: str, now: datetime) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return f"{moment:%Y-%m-%d %H:%M} UTC ({_age(stamp, now)})"


@click.command()
@click.option("--operator", "email", help="Only this operator's contacts.")
@click.option("--deleted", is_flag=True, help="Include contacts marked deleted.")
@json_option
@config_option
@verbosity_options
@pass_app
def contacts(app: AppContext, email: str | None, deleted: bool, as_json: bool) -> None:
    """List the contacts in the CRM store, of one operator or all.

    Example: exsync contacts --operator ann.lee@example.com
    """
    config = load_app_config(app)
    db = open_app_store(config)
    try:
        owner_id = None
        if email is not None:
            operator = get_operator(db, email)
            if operator is None:
                raise UsageError(
                    f"no operator has the address {email}",
                    hint="list them with `exsync operators`.",
                )
            owner_id = operator.id
        rows = list_contacts(db, owner_id, include_deleted=deleted)
        owners = {o.id: o.email for o in list_operators(db)}
    finally:
        db.close()
    if as_json:
        for row in rows:
            row["owner_email"] = owners.get(row["owner_operator_id"])
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return

    console = stdout_console()
    console.print(_contacts_table(rows, owners))
    console.print(f"{len(rows)} contacts.")


def _contacts_table(rows: list[dict[str, Any]], owners: dict[str, str]) -> Table:
    table = Table("Id", "Name", "Company", "Email", "Phone", "Operator")
    for row in rows:
        # Contact data is the CRM's, not exsync's: never read it as markup.
        name = escape(row["display_name"])
        if row["deleted_at"]:
            name = f"[dim strike]{name}[/] [dim](deleted)[/]"
        table.add_row(
            str(row["id"]),
            name,
            escape(row["company"] or ""),
            escape(", ".join(e["address"] for e in row["emails"])),
            escape(", ".join(p["number"] for p in row["phones"][:2])),
            escape(owners.get(row["owner_operator_id"], "")),
        )
    return table


@click.command()
@click.option("--operator", "email", help="Check only this operator's mailbox.")
@json_option
@config_option
@verbosity_options
@pass_app
@click.pass_context
def doctor(ctx: click.Context, app: AppContext, email: str | None, as_json: bool):
    """Check the settings, Exchange, and each enabled operator's mailbox.

    The exit code is that of the first failed check: 3 for the settings,
    4 when Exchange refuses the service account, 5 when it cannot be
    reached, 1 for a mailbox; warnings leave it at 0.

    Example: exsync doctor --operator ann.lee@example.com
    """
    config = load_app_config(app)
    console = stdout_console()
    with console.status("Checking…") if console.is_terminal else nullcontext():
        checks = run_checks(config, operator=email)
    code = exit_code_of(checks)
    if as_json:
        data = [
            {
                "subject": c.subject,
                "verdict": c.verdict,
                "detail": c.detail,
                "advice": c.advice,
            }
            for c in checks
        ]
        click.echo(json.dumps({"checks": data, "exit_code": int(code)}, indent=2))
        ctx.exit(int(code))

    table = Table("Check", "Verdict", "Detail")
    for check in checks:
        detail = check.detail
        if check.advice and check.verdict in (WARN, FAIL):
            detail += f"\n[dim]→ {check.advice}[/]"
        table.add_row(
            check.subject, _VERDICTS.get(check.verdict, check.verdict), detail
        )
    console.print(table)
    failed = sum(c.verdict == FAIL for c in checks)
    warned = sum(c.verdict == WARN for c in checks)
    verdict = f"{failed} check(s) failed" if failed else "All checks passed"
    console.print(f"{verdict}, {warned} warning(s)." if warned else f"{verdict}.")
    ctx.exit(int(code))


COMMANDS = [status, contacts, doctor]
