"""Email addresses: validation, the comparison key and "Name <address>" forms.

Addresses compare case-insensitively everywhere in exsync. The key lowers
ASCII letters only, exactly as SQLite's ``lower()`` does in the store's
triggers, so a key computed here matches one computed in SQL.
"""

from __future__ import annotations

import re

# Deliberately plain: one "@", no spaces, control characters or list
# separators, a dot in the domain. Exchange itself decides whether the
# mailbox exists.
_ADDRESS = re.compile(
    r"^[^@\s<>;,\"\x00-\x1f\x7f-\x9f]+@[^@\s<>;,\"\x00-\x1f\x7f-\x9f]+"
    r"\.[^@\s<>;,\".\x00-\x1f\x7f-\x9f]+$"
)
_NAMED = re.compile(r"^(?P<name>.*?)\s*<(?P<address>[^<>]*)>$")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def is_valid_address(address: str) -> bool:
    """Tell whether ``address`` looks like a deliverable email address."""
    return bool(_ADDRESS.match(address)) and ".." not in address


# What address keys are trimmed of; the store's triggers trim the same.
_BLANKS = " \t\n\x0b\x0c\r\xa0"


def address_key(address: str) -> str:
    """Return the form of ``address`` used to compare addresses."""
    return address.strip(_BLANKS).translate(_ASCII_LOWER)


def split_named_address(text: str) -> tuple[str, str]:
    """Split ``"Ann Lee <ann@example.com>"`` into its name and address.

    Text without angle brackets is returned as the address, with no name.
    """
    match = _NAMED.match(text.strip())
    if not match:
        return "", text.strip()
    return match.group("name").strip().strip('"').strip(), match.group(
        "address"
    ).strip()
