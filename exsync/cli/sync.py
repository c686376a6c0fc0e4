"""``exsync sync``: bring each enabled operator's Exchange contacts into the store."""

from __future__ import annotations

import json
import sys
import threading
from datetime import datetime

import click
from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from exsync.cli import AppContext, config_option, pass_app, verbosity_options
from exsync.cli.context import load_app_config
from exsync.logsetup import log_console
from exsync.report import MailboxReport, RunReport

_SHOWN_COUNTERS = ("created", "updated", "linked", "deleted", "unlinked", "ambiguous")
# Table headers per counter: every counter when the table fits the
# terminal with whole addresses, else (80 columns) only those an
# administrator acts on; the summary line below the table still names
# every counter that is not zero.
_WIDE_COUNTERS = {
    "created": "new",
    "updated": "upd",
    "linked": "link",
    "deleted": "del",
    "unlinked": "unlink",
    "skipped": "skip",
    "ambiguous": "amb",
    "unchanged": "same",
}
_UNBOUNDED = 10_000
_NARROW_COUNTERS = {
    "created": "new",
    "updated": "upd",
    "deleted": "del",
    "ambiguous": "amb",
}


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
        report = _run_sync(config, **options)
        click.echo(json.dumps(report.to_dict(), indent=2))
    elif sys.stdout.isatty() and not app.quiet:
        report = _run_with_progress(config, options)
    else:
        report = _run_sync(config, progress=_plain_progress(app.quiet), **options)
        if not app.quiet:
            click.echo(f"{_stamp()} {_summary_line(report)}")
    ctx.exit(int(report.exit_code))


def _run_sync(config, **options) -> RunReport:
    # Imported on use: the engine loads exchangelib, which ``exsync --help``
    # and the store-only commands should not pay for.
    from exsync.sync import run_sync

    return run_sync(config, **options)


def _run_with_progress(config, options) -> RunReport:
    console = progress_console()
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
                progress.update(task, status=progress_status(mailbox))
                if mailbox.done:
                    progress.remove_task(task)
                    progress.console.print(_mailbox_line(mailbox), markup=False)

        report = _run_sync(config, progress=show, **options)
    print_summary(Console(), report)
    return report


def progress_console() -> Console:
    """The console progress goes to: the log handler's, so lines never tear.

    Records logged while a bar is drawn then go above it through the same
    console; under plain logging (stderr not a terminal) the bars get a
    console of their own on stdout.
    """
    return log_console() or Console()


def print_summary(console: Console, report: RunReport) -> None:
    """Print the summary table, each failure's detail and the summary line."""
    table = _summary_table(report, _WIDE_COUNTERS)
    unbounded = console.options.update_width(_UNBOUNDED)
    if Measurement.get(console, unbounded, table).maximum > console.width:
        table = _summary_table(report, _NARROW_COUNTERS)
    console.print(table)
    for mailbox in report.failed:
        console.print(
            f"{mailbox.email} [{mailbox.failure_code}]: {mailbox.detail}",
            markup=False,
            overflow="fold",
        )
    console.print(_summary_line(report), markup=False)


def progress_status(mailbox: MailboxReport) -> str:
    """A mailbox's pages and counters so far, for its progress bar."""
    return f"{_count_of(mailbox.pages, 'page')}, {_counts(mailbox)}"


def _plain_progress(quiet: bool):
    def show(mailbox: MailboxReport) -> None:
        if mailbox.done and not (quiet and mailbox.outcome == "ok"):
            click.echo(f"{_stamp()} {_mailbox_line(mailbox)}")

    return show


def _mailbox_line(mailbox: MailboxReport) -> str:
    if mailbox.failure_code:
        return (
            f"mailbox {mailbox.email} {mailbox.outcome} "
            f"[{mailbox.failure_code}]: {mailbox.detail}"
        )
    return (
        f"mailbox {mailbox.email} {mailbox.outcome}: {progress_status(mailbox)}"
        f" in {mailbox.seconds:.1f}s"
    )


def _counts(mailbox: MailboxReport) -> str:
    return " ".join(f"{n}={mailbox.counters.get(n, 0)}" for n in _SHOWN_COUNTERS)


def _count_of(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _summary_line(report: RunReport) -> str:
    summary = report.to_dict()
    outcomes = " ".join(f"{k}={v}" for k, v in summary["mailboxes"].items())
    totals = " ".join(f"{k}={v}" for k, v in summary["totals"].items() if v)
    prefix = "dry run " if report.dry_run else ""
    return f"{prefix}summary: mailboxes {outcomes}; {totals or 'no changes'}"


def _summary_table(report: RunReport, counters: dict[str, str]) -> Table:
    wide = counters is _WIDE_COUNTERS
    title = "exsync sync" + (" (dry run)" if report.dry_run else "")
    table = Table(
        title=title, box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True
    )
    table.add_column("mailbox", overflow="fold")
    table.add_column("result", no_wrap=True)
    for header in counters.values():
        table.add_column(header, justify="right", no_wrap=True)
    if wide:
        table.add_column("secs", justify="right", no_wrap=True)
    for mailbox in report.mailboxes:
        cells = [str(mailbox.counters.get(name, 0)) for name in counters]
        if wide:
            cells.append(f"{mailbox.seconds:.1f}")
        table.add_row(mailbox.email, mailbox.failure_code or mailbox.outcome, *cells)
    return table


def _stamp() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")


COMMANDS = [sync]
