"""Fixtures for the commands that read the store without Exchange."""

from __future__ import annotations

import pytest

from exsync.store import open_store
from exsync.store.operators import upsert_operator

from .emulated import write_offline_config


@pytest.fixture
def config_path(tmp_path):
    """A config whose store is ``tmp_path / "exsync.db"``; no Exchange."""
    return write_offline_config(tmp_path)


@pytest.fixture
def db(tmp_path, config_path):
    """That store, with operators op-ann and op-ben enabled."""
    store = open_store(tmp_path / "exsync.db")
    upsert_operator(store, email="ann@example.com", operator_id="op-ann")
    upsert_operator(store, email="ben@example.com", operator_id="op-ben")
    yield store
    store.close()
