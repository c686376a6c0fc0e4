"""The emulator benchmark script still runs (figures are not asserted)."""

import subprocess
import sys

from conformance.references import REPO_ROOT


def test_bench_emulator_small_run_prints_both_figures():
    command = [
        sys.executable,
        str(REPO_ROOT / "bench" / "emulator.py"),
        "--contacts", "512", "--repeats", "1", "--requests", "20",
    ]  # fmt: skip

    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=REPO_ROOT
    )

    assert result.returncode == 0, result.stderr
    assert "server/client ratio" in result.stdout
    assert "requests per second" in result.stdout
