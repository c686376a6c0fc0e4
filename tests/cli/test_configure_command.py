"""exsync configure, interactive and not."""

from __future__ import annotations

import json
import stat

from exsync.cli import cli
from exsync.config import load_config

REQUIRED = [
    "--exchange-url",
    "https://mail.example.com/EWS/Exchange.asmx",
    "--exchange-username",
    "svc@example.com",
    "--exchange-password-env",
    "EXSYNC_PASSWORD",
]


def configure(runner, path, *args, **kwargs):
    return runner.invoke(cli, ["configure", "--config", str(path), *args], **kwargs)


def test_configure_non_interactive_writes_private_file(runner, tmp_path):
    path = tmp_path / "exsync" / "config.toml"

    result = configure(runner, path, "--non-interactive", *REQUIRED)

    assert result.exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path).exchange.username == "svc@example.com"


def test_configure_non_interactive_reports_every_bad_option(runner, tmp_path):
    result = configure(
        runner,
        tmp_path / "config.toml",
        "--non-interactive",
        *REQUIRED,
        "--exchange-version",
        "Exchange2007",
        "--sync-batch-size",
        "600",
    )

    assert result.exit_code == 3
    assert result.stderr == (
        "Error: the settings are not valid, nothing was written:\n"
        "  - exchange.version: 'Exchange2007' is not supported; use one of "
        "Exchange2010, Exchange2013, Exchange2016\n"
        "  - sync.batch_size: 600 is not allowed; use a whole number from 1 to 512\n"
        "Hint: each key is set by its option, e.g. sync.batch_size by "
        "--sync-batch-size.\n"
    )
    assert not (tmp_path / "config.toml").exists()


def test_configure_shows_secret_command_masked(runner, tmp_path):
    args = REQUIRED[:-2] + ["--exchange-password-command", "vault read -token=abc"]

    result = configure(
        runner, tmp_path / "c.toml", "--non-interactive", *args, "--json"
    )

    assert result.exit_code == 0
    shown = json.loads(result.stdout)["config"]["exchange"]["password"]
    assert shown == {"command": "vault ****"}
    assert "abc" not in result.stdout


def test_configure_both_secret_sources_is_usage_error(runner, tmp_path):
    result = configure(
        runner,
        tmp_path / "c.toml",
        "--non-interactive",
        *REQUIRED,
        "--exchange-password-command",
        "pass show x",
    )

    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: give --exchange-password-env or --exchange-password-command, not both\n"
    )


def test_configure_writes_to_exsync_config_env(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("EXSYNC_CONFIG", str(tmp_path / "env.toml"))

    result = runner.invoke(cli, ["configure", "--non-interactive", *REQUIRED])

    assert result.exit_code == 0
    assert (tmp_path / "env.toml").exists()


def test_configure_interactive_reasks_bad_answers(runner, tmp_path):
    answers = [
        "ftp://mail.example.com",  # refused, asked again
        "https://mail.example.com/EWS/Exchange.asmx",
        "Exchange2007",  # refused, asked again
        "Exchange2010_SP2",
        "",  # auth: ntlm
        "svc@example.com",
        "env",
        "1BAD",  # refused, asked again
        "EXSYNC_PASSWORD",
    ]
    answers += ["", "", "", "", "", "30", "600", "100"]
    answers += [""] * 30
    result = configure(runner, tmp_path / "c.toml", input="\n".join(answers) + "\n")

    assert result.exit_code == 0
    assert result.stdout.count("Error: 'ftp://mail.example.com' is not allowed") == 1
    assert (
        "Error: 600 is not allowed; use a whole number from 1 to 512" in result.stdout
    )
    config = load_config(tmp_path / "c.toml")
    assert (config.exchange.version, config.sync.slot_minutes) == ("Exchange2010", 30)
    assert config.sync.batch_size == 100


def test_configure_keeps_earlier_answers_as_defaults(runner, tmp_path):
    path = tmp_path / "c.toml"
    configure(runner, path, "--non-interactive", *REQUIRED, "--sync-batch-size", "64")

    result = configure(runner, path, "--non-interactive", *REQUIRED[:2])

    assert result.exit_code == 0
    assert load_config(path).sync.batch_size == 64


def test_configure_oauth2_names_missing_client_settings(runner, tmp_path):
    result = configure(
        runner,
        tmp_path / "c.toml",
        "--non-interactive",
        *REQUIRED[:2],
        "--exchange-auth",
        "oauth2",
    )

    assert result.exit_code == 3
    assert result.stderr.splitlines()[1:4] == [
        "  - exchange.client_id: missing; auth = 'oauth2' needs it",
        "  - exchange.tenant_id: missing; auth = 'oauth2' needs it",
        "  - exchange.client_secret: missing; auth = 'oauth2' needs it",
    ]


def test_configure_interactive_secret_command_is_stored(runner, tmp_path):
    answers = ["https://mail.example.com/EWS/Exchange.asmx", "", "", "svc@example.com"]
    answers += ["command", "pass show 'exsync", "pass show exsync/svc"]
    answers += [""] * 40

    result = configure(runner, tmp_path / "c.toml", input="\n".join(answers) + "\n")

    assert result.exit_code == 0
    assert "Error: the command cannot be split into words" in result.stdout
    assert 'command = "pass ****"' in result.stdout.split("Wrote ")[1]
    config = load_config(tmp_path / "c.toml")
    assert config.exchange.password.command == "pass show exsync/svc"


def test_configure_loopback_http_needs_allow_http(runner, tmp_path):
    args = ["--exchange-url", "http://127.0.0.1:8080/EWS/Exchange.asmx"]
    args += REQUIRED[2:]

    refused = configure(runner, tmp_path / "c.toml", "--non-interactive", *args)
    allowed = configure(
        runner,
        tmp_path / "c.toml",
        "--non-interactive",
        *args,
        "--exchange-allow-http",
        "true",
    )

    assert refused.exit_code == 3
    assert refused.stderr.splitlines()[1] == (
        "  - exchange.url: 'http://127.0.0.1:8080/EWS/Exchange.asmx' uses plain "
        "http; set allow_http = true to allow it for this loopback address"
    )
    assert allowed.exit_code == 0
    assert load_config(tmp_path / "c.toml").exchange.allow_http is True


def test_configure_non_interactive_word_for_number_names_range_exit_2(runner, tmp_path):
    result = configure(
        runner,
        tmp_path / "c.toml",
        "--non-interactive",
        *REQUIRED,
        "--sync-batch-size",
        "abc",
    )

    assert result.exit_code == 2
    assert result.stderr.endswith(
        "Error: Invalid value for '--sync-batch-size': 'abc' is not allowed; "
        "use a whole number from 1 to 512\n"
    )
    assert not (tmp_path / "c.toml").exists()


def test_configure_interactive_word_for_number_names_range(runner, tmp_path):
    answers = ["https://mail.example.com/EWS/Exchange.asmx", "", "", "svc@example.com"]
    answers += ["env", "EXSYNC_PASSWORD", "", "", "", "", "", "", "abc", "64"]
    answers += [""] * 30

    result = configure(runner, tmp_path / "c.toml", input="\n".join(answers) + "\n")

    assert result.exit_code == 0
    assert (
        "Error: 'abc' is not allowed; use a whole number from 1 to 512" in result.stdout
    )
    assert load_config(tmp_path / "c.toml").sync.batch_size == 64


def test_configure_uppercase_http_scheme_takes_allow_http(runner, tmp_path):
    args = ["--exchange-url", "HTTP://127.0.0.1:8080/EWS/Exchange.asmx"]

    result = configure(
        runner,
        tmp_path / "c.toml",
        "--non-interactive",
        *args,
        *REQUIRED[2:],
        "--exchange-allow-http",
        "true",
    )

    assert result.exit_code == 0
    assert load_config(tmp_path / "c.toml").exchange.allow_http is True


def test_configure_interactive_secret_command_default_masked(runner, tmp_path):
    path = tmp_path / "c.toml"
    args = REQUIRED[:-2] + ["--exchange-password-command", "vault read -token=abc"]
    configure(runner, path, "--non-interactive", *args)
    answers = ["", "", "", "", "command", ""] + [""] * 40

    result = configure(runner, path, input="\n".join(answers) + "\n")

    assert result.exit_code == 0
    assert "Command that prints it [vault ****]: " in result.stdout
    assert "abc" not in result.stdout
    assert load_config(path).exchange.password.command == "vault read -token=abc"


def test_configure_over_binary_file_replaces_it(runner, tmp_path):
    path = tmp_path / "c.toml"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff")

    result = configure(runner, path, "--non-interactive", *REQUIRED)

    assert result.exit_code == 0
    assert load_config(path).exchange.username == "svc@example.com"


def test_configure_help_example_keeps_its_line_breaks(runner):
    result = runner.invoke(cli, ["configure", "--help"], terminal_width=80)

    assert result.exit_code == 0
    assert "      exsync configure --non-interactive \\\n" in result.output
    assert (
        "        --exchange-url https://mail.example.com/EWS/Exchange.asmx \\\n"
        in result.output
    )
