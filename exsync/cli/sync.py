"""``exsync sync``: bring each enabled operator's Exchange contacts into the store."""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from exsync.cli import AppContext, config_option, pass_app, verbosity_options
from exsync.cli.context import load_app_config
from exsync.report import COUNTER_NAMES, MailboxReport, RunReport
from exsync.sync import run_sync

_SHOWN_COUNTERS = ("created", "updated", "linked", "deleted", "unlinked", "ambiguous")


@click.command()
@click.option("--operator", metavar="EMAIL", help="Sync only this operator's mailbox.")
@click.option(
    "--full", is_flag=True, help="Walk every mailbox again instead of the changes."
)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option(
    "--confirm-deletes",
    is_flag=True,
    help="Allow a run to delete more than max_delete_share of a mailbox.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@config_option
@verbosity_options
@pass_app
@click.pass_context
def sync(
    ctx: click.Context,
    app: AppContext,
    operator: str | None,
    full: bool,
    dry_run: bool,
    confirm_deletes: bool,
    as_json: bool,
) -> None:
    """Sync the contacts of every enabled operator from Exchange.

    Cron runs this every slot; it exits 0 when every mailbox synced, 1 when
    some failed, and 7 at once when another run holds the lock.

    Example: exsync sync --operator ann@example.com --dry-run
    """
    config = load_app_config(app)
    options = dict(
        operator=operator,
        full=full,
        dry_run=dry_run,
        confirm_deletes=confirm_deletes,
    )
    if as_json:
        report = run_sync(config, **options)
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif sys.stdout.isatty() and not app.quiet:
        report = _run_with_progress(config, options)
    else:
        report = run_sync(config, progress=_plain_progress(app.quiet), **options)
        if not app.quiet:
            click.echo(f"{_stamp()} {_summary_line(report)}")
    ctx.exit(int(report.exit_code))


def _run_with_progress(config, options) -> RunReport:
    console = Console()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, int] = {}
        lock = threading.Lock()

        def show(mailbox: MailboxReport) -> None:
            with lock:
                task = tasks.get(mailbox.operator_id)
                if task is None:
                    task = progress.add_task(mailbox.email, total=None, status="")
                    tasks[mailbox.operator_id] = task
                status = f"{mailbox.pages} pages, {_counts(mailbox)}"
                progress.update(task, status=status)
                if mailbox.done:
                    progress.remove_task(task)
                    console.print(_mailbox_line(mailbox), markup=False)

        report = run_sync(config, progress=show, **options)
    console.print(_summary_table(report))
    console.print(_summary_line(report), markup=False)
    return report


def _plain_progress(quiet: bool):
    def show(mailbox: MailboxReport) -> None:
        if mailbox.done and not (quiet and mailbox.outcome == "ok"):
            click.echo(f"{_stamp()} {_mailbox_line(mailbox)}")

    return show


def _mailbox_line(mailbox: MailboxReport) -> str:
    line = f"mailbox {mailbox.email} {mailbox.outcome}: {_counts(mailbox)}"
    line += f" in {mailbox.seconds:.1f}s"
    if mailbox.failure_code:
        line += f" [{mailbox.failure_code}] {mailbox.detail}"
    return line


def _counts(mailbox: MailboxReport) -> str:
    return " ".join(f"{n}={mailbox.counters.get(n, 0)}" for n in _SHOWN_COUNTERS)


def _summary_line(report: RunReport) -> str:
    summary = report.to_dict()
    outcomes = " ".join(f"{k}={v}" for k, v in summary["mailboxes"].items())
    totals = " ".join(f"{k}={v}" for k, v in summary["totals"].items() if v)
    prefix = "dry run " if report.dry_run else ""
    return f"{prefix}summary: mailboxes {outcomes}; {totals or 'no changes'}"


def _summary_table(report: RunReport) -> Table:
    table = Table(title="exsync sync" + (" (dry run)" if report.dry_run else ""))
    table.add_column("mailbox")
    table.add_column("outcome")
    for name in COUNTER_NAMES:
        table.add_column(name, justify="right")
    table.add_column("seconds", justify="right")
    for mailbox in report.mailboxes:
        table.add_row(
            mailbox.email,
            mailbox.failure_code or mailbox.outcome,
            *(str(mailbox.counters.get(n, 0)) for n in COUNTER_NAMES),
            f"{mailbox.seconds:.1f}",
        )
    return table


def _stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")


COMMANDS = [sync]
