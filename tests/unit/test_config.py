"""Reading, validating and writing config.toml."""

from __future__ import annotations

import os
import stat

import pytest
from configfiles import VALID, problems_of, write

from exsync.config import (
    Config,
    ExchangeSettings,
    NotificationSettings,
    Secret,
    SmtpSettings,
    find_config_path,
    load_config,
    to_toml_dict,
    write_config,
)
from exsync.errors import ConfigError


def test_load_config_minimal_file_fills_defaults(tmp_path):
    config = load_config(write(tmp_path, VALID))

    assert config.exchange.password == Secret(env="EXSYNC_PASSWORD")
    assert config.sync.batch_size == 512
    assert config.sync.category == "PegaSASync"
    assert config.source == tmp_path / "config.toml"


def test_load_config_exchange2007_names_the_three_versions(tmp_path):
    problems = problems_of(tmp_path, VALID + 'version = "Exchange2007"\n')

    assert problems == [
        "exchange.version: 'Exchange2007' is not supported; use one of "
        "Exchange2010, Exchange2013, Exchange2016"
    ]


@pytest.mark.parametrize(
    ("spelling", "version"),
    [
        ("Exchange2010_SP2", "Exchange2010"),
        ("Exchange2013_SP1", "Exchange2013"),
        ("exchange2016", "Exchange2016"),
        ("Exchange2019", "Exchange2016"),
    ],
)
def test_load_config_version_spelling_maps_to_supported(tmp_path, spelling, version):
    config = load_config(write(tmp_path, VALID + f'version = "{spelling}"\n'))

    assert config.exchange.version == version


def test_load_config_batch_size_600_names_the_range(tmp_path):
    problems = problems_of(tmp_path, VALID + "[sync]\nbatch_size = 600\n")

    assert problems == [
        "sync.batch_size: 600 is not allowed; use a whole number from 1 to 512"
    ]


def test_load_config_bad_recipient_is_named(tmp_path):
    text = VALID + (
        '[notifications]\nfailure_recipients = "a@example.com; bob@; c@example.org"\n'
        '[smtp]\nsender = "exsync@example.com"\n'
    )

    assert problems_of(tmp_path, text) == [
        "notifications.failure_recipients: 'bob@' is not a valid address; "
        "use name@example.com, separated by ';'"
    ]


def test_load_config_recipients_split_on_semicolons(tmp_path):
    text = VALID + (
        '[notifications]\nfailure_recipients = "a@example.com;  c@example.org;"\n'
        '[smtp]\nsender = "exsync@example.com"\n'
    )

    config = load_config(write(tmp_path, text))

    assert config.notifications.failure_recipients == ("a@example.com", "c@example.org")


def test_load_config_many_problems_reported_together(tmp_path):
    text = VALID + '[sync]\nslot_minutes = 20\ndirection = "both"\nbatchsize = 3\n'

    problems = problems_of(tmp_path, text)

    assert [problem.split(":")[0] for problem in problems] == [
        "sync.slot_minutes",
        "sync.direction",
        "sync.batchsize",
    ]
    assert "use one of 15, 30" in problems[0]
    assert "exchange-to-crm, crm-to-exchange, two-way" in problems[1]
    assert problems[2].startswith("sync.batchsize: unknown key;")


def test_load_config_unknown_section_is_flagged(tmp_path):
    problems = problems_of(tmp_path, VALID + "[exchnage]\n")

    assert problems[0].startswith("[exchnage]: unknown section;")


def test_load_config_plain_http_remote_host_refused(tmp_path):
    text = VALID.replace("https://mail", "http://mail") + "allow_http = true\n"

    problems = problems_of(tmp_path, text)

    assert problems[0].startswith("exchange.url: 'http://mail.example.com/")
    assert "only for 127.0.0.1, ::1 or localhost" in problems[0]


def test_load_config_http_loopback_needs_allow_http(tmp_path):
    text = VALID.replace("https://mail.example.com", "http://127.0.0.1:8080")

    problems = problems_of(tmp_path, text)

    assert "set allow_http = true" in problems[0]


def test_load_config_http_loopback_with_allow_http_accepted(tmp_path):
    text = VALID.replace("https://mail.example.com", "http://localhost:8080")

    config = load_config(write(tmp_path, text + "allow_http = true\n"))

    assert config.exchange.url == "http://localhost:8080/EWS/Exchange.asmx"


def test_load_config_secret_written_inline_refused(tmp_path):
    text = VALID.replace('{ env = "EXSYNC_PASSWORD" }', '"hunter2"')

    problems = problems_of(tmp_path, text)

    assert problems == [
        "exchange.password: a secret cannot be written in the file; "
        'use { env = "VARIABLE" } or { command = "program args" }'
    ]
    assert "hunter2" not in "".join(problems)


def test_load_config_missing_credentials_named(tmp_path):
    text = '[exchange]\nurl = "https://mail.example.com/EWS/Exchange.asmx"\n'

    assert problems_of(tmp_path, text) == [
        "exchange.username: missing; auth = 'ntlm' needs it",
        "exchange.password: missing; auth = 'ntlm' needs it",
    ]


def test_load_config_skip_contact_bad_syntax_refused(tmp_path):
    problems = problems_of(tmp_path, VALID + '[sync]\nskip_contact = "rules.skip"\n')

    assert problems[0].startswith("sync.skip_contact: 'rules.skip' is not allowed")


def test_load_config_boolean_as_string_refused(tmp_path):
    problems = problems_of(tmp_path, VALID + '[sync]\nsync_private = "yes"\n')

    assert problems == ["sync.sync_private: 'yes' is not allowed; use true or false"]


def test_load_config_missing_file_says_run_configure(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")

    assert (
        caught.value.message
        == f"there is no configuration file at {tmp_path}/absent.toml"
    )
    assert "exsync configure" in caught.value.hint


def test_load_config_invalid_toml_is_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "[exchange\n"))

    assert "is not valid TOML" in caught.value.message


def test_load_config_relative_store_path_is_beside_the_file(tmp_path):
    config = load_config(write(tmp_path, VALID + '[store]\npath = "data/x.db"\n'))

    assert config.store.path == tmp_path / "data" / "x.db"


def test_find_config_path_prefers_flag_then_env_then_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("EXSYNC_CONFIG", str(tmp_path / "env.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))

    assert find_config_path(tmp_path / "flag.toml") == tmp_path / "flag.toml"
    assert find_config_path(None) == tmp_path / "env.toml"
    monkeypatch.delenv("EXSYNC_CONFIG")
    assert find_config_path(None) == tmp_path / "xdg" / "exsync" / "config.toml"


def sample_config(tmp_path) -> Config:
    return Config(
        exchange=ExchangeSettings(
            url="https://mail.example.com/EWS/Exchange.asmx",
            username="svc@example.com",
            password=Secret(command="pass show exsync/token"),
        ),
        notifications=NotificationSettings(
            failure_recipients=("a@example.com", "b@example.com")
        ),
        smtp=SmtpSettings(sender="exsync@example.com"),
    )


def test_write_config_round_trips_through_load(tmp_path):
    path = write_config(sample_config(tmp_path), tmp_path / "sub" / "config.toml")

    loaded = load_config(path)

    assert to_toml_dict(loaded) == to_toml_dict(sample_config(tmp_path)) | {
        "store": {"path": str(loaded.store.path)}
    }


def test_write_config_file_mode_is_0600(tmp_path):
    path = write_config(sample_config(tmp_path), tmp_path / "config.toml")

    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_write_config_replaces_without_leftover_temp_files(tmp_path):
    write_config(sample_config(tmp_path), tmp_path / "config.toml")
    write_config(sample_config(tmp_path), tmp_path / "config.toml")

    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_to_toml_dict_mask_hides_command_arguments(tmp_path):
    shown = to_toml_dict(sample_config(tmp_path), mask=True)

    assert shown["exchange"]["password"] == {"command": "pass ****"}
    assert (
        shown["notifications"]["failure_recipients"] == "a@example.com; b@example.com"
    )


def test_load_config_password_in_url_refused_without_echo(tmp_path):
    text = VALID.replace("https://mail", "https://svc:Hunter2@mail")

    found = problems_of(tmp_path, text)

    assert found == [
        "exchange.url: a user name or password cannot be written in the URL; "
        "use exchange.username and exchange.password"
    ]


def test_load_config_notification_url_with_password_refused(tmp_path):
    text = VALID + '[notifications]\nurl = "https://u:TopSecret@n.example.com/x"\n'

    found = problems_of(tmp_path, text)

    assert found == [
        "notifications.url: a user name or password cannot be written in the URL; "
        "use the address alone"
    ]


@pytest.mark.parametrize(
    "value",
    [
        '{ value = "Hunter2" }',
        '{ env = "P", command = "vault -token=Hunter2" }',
        "123456789",
        '["Hunter2"]',
    ],
)
def test_load_config_malformed_secret_refused_without_echo(tmp_path, value):
    text = VALID.replace('{ env = "EXSYNC_PASSWORD" }', value)

    found = problems_of(tmp_path, text)

    assert found == [
        'exchange.password: not allowed; use { env = "VARIABLE" } or '
        '{ command = "program args" }'
    ]


def test_load_config_binary_file_is_config_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe")

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert caught.value.message == (
        f"the configuration {path} is not valid TOML: it is not UTF-8 text"
    )


def test_load_config_directory_is_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)

    assert caught.value.message == (
        f"the configuration {tmp_path} is a directory, not a file"
    )


def test_secret_repr_hides_command_arguments():
    assert repr(Secret(command="vault read -token=Hunter2")) == (
        "Secret(command='vault ****')"
    )


def test_load_config_frequency_beyond_a_year_names_the_range(tmp_path):
    text = VALID + "[notifications]\nfrequency_minutes = 1000000000000\n"

    assert problems_of(tmp_path, text) == [
        "notifications.frequency_minutes: 1000000000000 is not allowed; "
        "use a whole number from 1 to 525600"
    ]
