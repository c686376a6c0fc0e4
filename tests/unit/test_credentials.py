"""Reading secrets from the environment and from commands."""

from __future__ import annotations

import sys

import pytest

from exsync.config import Secret
from exsync.credentials import reveal
from exsync.errors import CredentialError


def script(tmp_path, body: str) -> str:
    path = tmp_path / "secret.py"
    path.write_text(body, encoding="utf-8")
    return f"{sys.executable} {path}"


def test_reveal_env_returns_value(monkeypatch):
    monkeypatch.setenv("EXSYNC_TEST_SECRET", "s3cret")

    assert reveal(Secret(env="EXSYNC_TEST_SECRET")) == "s3cret"


def test_reveal_env_unset_names_variable(monkeypatch):
    monkeypatch.delenv("EXSYNC_TEST_SECRET", raising=False)

    with pytest.raises(CredentialError) as caught:
        reveal(Secret(env="EXSYNC_TEST_SECRET"))

    assert (
        caught.value.message == "the environment variable EXSYNC_TEST_SECRET is not set"
    )


def test_reveal_env_empty_says_empty(monkeypatch):
    monkeypatch.setenv("EXSYNC_TEST_SECRET", "")

    with pytest.raises(CredentialError) as caught:
        reveal(Secret(env="EXSYNC_TEST_SECRET"))

    assert (
        caught.value.message == "the environment variable EXSYNC_TEST_SECRET is empty"
    )


def test_reveal_command_strips_one_trailing_newline(tmp_path):
    command = script(tmp_path, "print('pa ss ')")

    assert reveal(Secret(command=command)) == "pa ss "


def test_reveal_command_runs_without_shell(tmp_path):
    command = script(tmp_path, "import sys; print(sys.argv[1])") + " '$HOME;echo'"

    assert reveal(Secret(command=command)) == "$HOME;echo"


def test_reveal_command_failing_hides_its_output(tmp_path):
    command = script(tmp_path, "import sys; print('leaked'); sys.exit(3)")

    with pytest.raises(CredentialError) as caught:
        reveal(Secret(command=command))

    assert caught.value.message == (
        f"the secret command {sys.executable!r} failed with exit status 3"
    )
    assert "leaked" not in caught.value.message + (caught.value.hint or "")


def test_reveal_command_missing_program_named():
    with pytest.raises(CredentialError) as caught:
        reveal(Secret(command="/nonexistent/exsync-secret --token abc"))

    assert caught.value.message == (
        "the secret command's program '/nonexistent/exsync-secret' was not found"
    )


def test_reveal_command_timeout_is_credential_error(tmp_path):
    command = script(tmp_path, "import time; time.sleep(5)")

    with pytest.raises(CredentialError) as caught:
        reveal(Secret(command=command), timeout=0.2)

    assert "did not finish within 0.2 seconds" in caught.value.message


def test_reveal_command_empty_output_refused(tmp_path):
    with pytest.raises(CredentialError) as caught:
        reveal(Secret(command=script(tmp_path, "print()")))

    assert caught.value.message.endswith("printed nothing")


def test_reveal_command_unbalanced_quotes_refused():
    with pytest.raises(CredentialError) as caught:
        reveal(Secret(command="pass show 'exsync"))

    assert caught.value.message.startswith("the secret command cannot be split")


def test_reveal_command_non_utf8_output_is_credential_error(tmp_path):
    command = script(tmp_path, "import sys; sys.stdout.buffer.write(b'\\xff\\xfeab')")

    with pytest.raises(CredentialError) as caught:
        reveal(Secret(command=command))

    assert caught.value.message == (
        f"the secret command {sys.executable!r} printed something that is not "
        "UTF-8 text"
    )


def test_reveal_command_strips_trailing_blank_lines(tmp_path):
    command = script(tmp_path, "print('s3cret'); print(); print()")

    assert reveal(Secret(command=command)) == "s3cret"
