"""A config file on disk for the config tests: valid text and its problems."""

from __future__ import annotations

import pytest

from exsync.config import load_config
from exsync.errors import ConfigError

VALID = """
[exchange]
url = "https://mail.example.com/EWS/Exchange.asmx"
username = "svc-exsync@example.com"
password = { env = "EXSYNC_PASSWORD" }
"""


def write(tmp_path, text, mode=0o600):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def problems_of(tmp_path, text, mode=0o600):
    return problems_of_path(write(tmp_path, text, mode))


def problems_of_path(path):
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems
