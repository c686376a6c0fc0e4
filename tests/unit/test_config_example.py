"""config.example.toml loads as it is and documents every key."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from exsync.config import load_config
from exsync.configcheck import SECTIONS

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"


def test_config_example_loads_without_problems(tmp_path):
    copy = tmp_path / "config.toml"
    shutil.copy(EXAMPLE, copy)

    config = load_config(copy)

    assert config.exchange.url == "https://mail.example.com/EWS/Exchange.asmx"


def test_config_example_mentions_every_key():
    text = EXAMPLE.read_text(encoding="utf-8")
    written = set()
    section = None
    for line in text.splitlines():
        if match := re.match(r"^\[(\w+)\]$", line):
            section = match.group(1)
        elif match := re.match(r"^#? ?(\w+) = ", line):
            written.add(f"{section}.{match.group(1)}")

    expected = {f"{s}.{k}" for s, (_, keys) in SECTIONS.items() for k in keys}
    assert expected - written == set()
