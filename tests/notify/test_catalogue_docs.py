"""The README documents the catalogue of failure messages word for word."""

from __future__ import annotations

from pathlib import Path

from exsync.failures import CATALOGUE

README = Path(__file__).parents[2] / "README.md"


def test_readme_lists_every_catalogue_entry_with_its_advice():
    text = README.read_text(encoding="utf-8")

    missing = [
        kind.code
        for kind in CATALOGUE.values()
        if f"| `{kind.code}` | {kind.title} | {kind.advice} |" not in text
    ]

    assert missing == [], "README.md's failure table is out of date"


def test_catalogue_advice_has_no_angle_brackets_markdown_would_hide():
    assert [k.code for k in CATALOGUE.values() if "<" in k.advice] == []
