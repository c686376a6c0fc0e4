"""What every command needs first: logging, the configuration and the store.

A command that needs the configuration starts with::

    @click.command()
    @config_option
    @verbosity_options
    @pass_app
    def status(app: AppContext) -> None:
        config = load_app_config(app)
        db = open_app_store(config)

:func:`load_app_config` sets up logging for the chosen verbosity, finds
the file (``--config``, then ``EXSYNC_CONFIG``, then XDG) and validates it;
its :class:`~exsync.errors.ConfigError` reaches the central handler, which
prints every problem and exits 3. A command that reads no configuration
calls :func:`setup_app_logging` itself.
"""

from __future__ import annotations

from sqlite_utils import Database

from exsync.cli import AppContext
from exsync.config import Config, find_config_path, load_config
from exsync.logsetup import setup_logging
from exsync.store import open_store


def setup_app_logging(app: AppContext) -> None:
    """Configure logging for the verbosity the command line chose."""
    setup_logging(app.verbosity)


def load_app_config(app: AppContext) -> Config:
    """Set up logging, then find, read and validate the configuration.

    Raises :class:`~exsync.errors.ConfigError`.
    """
    setup_app_logging(app)
    return load_config(find_config_path(app.config_path))


def open_app_store(config: Config) -> Database:
    """Open and migrate the store the configuration names.

    Raises :class:`~exsync.errors.StoreError`.
    """
    return open_store(config.store.path)
