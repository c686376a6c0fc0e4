"""``exsync emulator``: run the built-in Exchange emulator in the foreground."""

from __future__ import annotations

import logging
import signal
import threading

import click

from exsync.cli import AppContext, pass_app, verbosity_options
from exsync.cli.context import setup_app_logging
from exsync.errors import ConfigError, UsageError


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, type=int, help="Port to bind (default: a free one).")
@click.option(
    "--seed",
    "seed_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A TOML seed file (default: the shipped sample seed).",
)
@click.option(
    "--version",
    "version",
    default="Exchange2016",
    show_default=True,
    type=click.Choice(["Exchange2010", "Exchange2013", "Exchange2016"]),
    help="The Exchange release to behave as.",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    help="Keep mailboxes in this file so they survive a restart.",
)
@click.option(
    "--allow-remote-push",
    is_flag=True,
    help="Deliver push notifications to non-loopback hosts too.",
)
@verbosity_options
@pass_app
def emulator(
    app: AppContext, host, port, seed_path, version, state_file, allow_remote_push
) -> None:
    """Serve an Exchange (EWS) emulator until Ctrl-C.

    Example: ``exsync emulator --port 8443 --seed rehearsal.toml``. The
    service account of the sample seed is svc-exsync@example.com with the
    password emulator-password.
    """
    from exsync.emulator import Emulator, Seed, SeedError

    setup_app_logging(app)
    if host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger(__name__).warning("binding to %s, not loopback", host)
    try:
        seed = Seed.load(seed_path) if seed_path else Seed.sample()
        emu = Emulator(
            seed=seed,
            version=version,
            host=host,
            port=port,
            state_file=state_file,
            allow_remote_push=allow_remote_push,
        )
    except SeedError as error:
        raise ConfigError(str(error), hint="Check the seed file.") from None
    except ValueError as error:
        raise ConfigError(str(error), hint="Remove or fix the state file.") from None
    try:
        emu.start()
    except OSError as error:
        raise UsageError(
            f"cannot listen on {host}:{port}: {error.strerror}",
            hint="Pick another --port.",
        ) from None
    stopped = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    click.echo(emu.url)
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        emu.stop()
    click.echo("Emulator stopped.", err=True)


COMMANDS = [emulator]
