"""``exsync demo``: the whole job, end to end, on the built-in emulator."""

from __future__ import annotations

import threading

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table

from exsync.cli import AppContext, pass_app, verbosity_options
from exsync.cli.context import setup_app_logging
from exsync.cli.status import stdout_console
from exsync.demo import (
    DemoSite,
    OutlookChange,
    count_crm_contacts,
    crm_contacts,
    import_sample_operators,
    linked_contact_ids,
    make_outlook_changes,
)
from exsync.errors import ExitCode
from exsync.report import MailboxReport, RunReport

_COUNTERS = ("created", "updated", "linked", "deleted", "skipped")


@click.command()
@click.option(
    "--keep", is_flag=True, help="Keep the temporary folder (config, store) to explore."
)
@verbosity_options
@pass_app
@click.pass_context
def demo(ctx: click.Context, app: AppContext, keep: bool) -> None:
    """Show the whole job on the built-in Exchange emulator, in seconds.

    Starts the emulator with sample mailboxes, writes a throwaway config
    and store, imports the operators, syncs, changes contacts "in Outlook",
    syncs again and shows what changed. Nothing outside a temporary folder
    is touched, and nothing leaves this machine.

    Example: exsync demo --keep
    """
    setup_app_logging(app)
    console = stdout_console()
    console.print("[bold]exsync demo[/]: the whole job on the built-in emulator\n")
    with DemoSite(keep=keep) as site:
        code = _run_demo(console, site)
        if keep:
            console.print(
                f"\nKept {site.folder}; the emulator is gone, the store stays. "
                f"Try: exsync --config {site.config_path} contacts",
                soft_wrap=True,
            )
    if not keep:
        console.print("\nCleaned up: the emulator is stopped, the folder removed.")
    ctx.exit(int(code))


def _run_demo(console: Console, site: DemoSite) -> ExitCode:
    console.print(
        f"1. Started the Exchange emulator at {site.emulator.url} with "
        f"{len(site.mailboxes)} sample mailboxes."
    )
    console.print(f"2. Wrote a throwaway config and store in {site.folder}.")
    imported = import_sample_operators(site)
    console.print(
        f"3. Imported operators from operators.csv: {imported.created} created "
        f"({', '.join(site.mailboxes)})."
    )

    console.print("4. Initial sync: every contact in the category comes over.")
    first = _sync(console, site)
    console.print(_report_table(first))
    if first.failed:
        return first.exit_code

    mailbox = site.mailboxes[0]
    console.print(f"5. In Outlook, {mailbox} edits, adds and deletes a contact:")
    changes = make_outlook_changes(site, mailbox)
    before = linked_contact_ids(site, [c.item_id for c in changes])
    for change in changes:
        detail = f" ({change.detail})" if change.detail else ""
        console.print(f"   {change.action:<8}{change.name}{detail}", markup=False)

    console.print("6. Incremental sync: only the changes travel.")
    second = _sync(console, site)
    console.print(_changes_table(site, changes, before))
    figures = _figures(first, second, count_crm_contacts(site))
    console.print(figures, markup=False, soft_wrap=True)
    return second.exit_code


def _sync(console: Console, site: DemoSite) -> RunReport:
    # Imported here so that ``exsync --help`` does not load exchangelib.
    from exsync.sync import run_sync

    if not console.is_terminal:
        report = run_sync(site.config, progress=_line_progress(console))
        return report

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
    columns += (TextColumn("{task.fields[pages]} pages"),)
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, int] = {}
        lock = threading.Lock()

        def show(mailbox: MailboxReport) -> None:
            with lock:
                if mailbox.operator_id not in tasks:
                    tasks[mailbox.operator_id] = progress.add_task(
                        f"   {mailbox.email}", total=None, pages=0
                    )
                progress.update(tasks[mailbox.operator_id], pages=mailbox.pages)

        return run_sync(site.config, progress=show)


def _line_progress(console: Console):
    lock = threading.Lock()

    def show(mailbox: MailboxReport) -> None:
        if mailbox.done:
            with lock:
                pages = "1 page" if mailbox.pages == 1 else f"{mailbox.pages} pages"
                console.print(
                    f"   {mailbox.email}: {mailbox.outcome}, {pages}", markup=False
                )

    return show


def _report_table(report: RunReport) -> Table:
    table = Table("Mailbox", "Outcome", *_COUNTERS, "Pages")
    for mailbox in report.mailboxes:
        outcome = mailbox.outcome
        if mailbox.failure_code:
            outcome = f"{outcome} ({mailbox.failure_code})"
        counts = (str(mailbox.counters.get(name, 0)) for name in _COUNTERS)
        table.add_row(mailbox.email, outcome, *counts, str(mailbox.pages))
    return table


def _changes_table(
    site: DemoSite, changes: list[OutlookChange], before: dict[str, int]
) -> Table:
    after = linked_contact_ids(site, [c.item_id for c in changes])
    ids = {**before, **after}
    contacts = crm_contacts(site, list(ids.values()))
    table = Table("In Outlook", "Contact", "In the CRM store after the sync")
    for change in changes:
        contact = contacts.get(ids.get(change.item_id, -1))
        table.add_row(change.action, escape(change.name), _crm_state(change, contact))
    return table


def _crm_state(change: OutlookChange, contact: dict | None) -> str:
    if contact is None:
        return "[red]not in the store[/]"
    if contact["deleted_at"]:
        return f"contact {contact['id']} marked deleted"
    if change.action == "added":
        emails = ", ".join(e["address"] for e in contact["emails"])
        made = f"({contact['company']}; {emails})"
        return f"contact {contact['id']} created {escape(made)}"
    return f"contact {contact['id']}: job title {escape(contact['job_title'] or '')}"


def _figures(first: RunReport, second: RunReport, live: int) -> str:
    one, two = first.totals, second.totals
    return (
        f"Initial sync: {one['created']} created, {one['linked']} linked; "
        f"incremental sync: {two['created']} created, {two['updated']} updated, "
        f"{two['deleted']} deleted; {live} live contacts in the CRM store."
    )


COMMANDS = [demo]
