"""Locate the EWS reference material (schemas, samples, real-server recordings)."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

ENV_VAR = "EXSYNC_EWS_REFERENCE"


def find_reference_dir() -> Path | None:
    """Return the reference directory, or None where it is absent.

    ``EXSYNC_EWS_REFERENCE`` wins; otherwise ``../shared/ews`` next to the
    repository root. A directory counts only if it holds ``schemas/``.
    """
    configured = os.environ.get(ENV_VAR)
    candidate = Path(configured) if configured else REPO_ROOT.parent / "shared" / "ews"
    if (candidate / "schemas").is_dir():
        return candidate

    return None


def describe_missing_reference() -> str:
    """Say why the reference-based checks cannot run, for a skip reason."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return f"EWS references not found at {ENV_VAR}={configured} (no schemas/)"

    default = REPO_ROOT.parent / "shared" / "ews"
    return f"EWS references not found at {default}; set {ENV_VAR} to their folder"
