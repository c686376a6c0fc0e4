"""Who may read and change a config file, and what it may then hold."""

from __future__ import annotations

import os
import tomllib

import pytest
from configfiles import VALID, problems_of, problems_of_path, write

from exsync.config import Secret, load_config
from exsync.configcheck import check_config
from exsync.errors import ConfigError


def test_load_config_secret_command_readable_by_others_refused(tmp_path):
    text = VALID.replace('{ env = "EXSYNC_PASSWORD" }', '{ command = "pass show x" }')

    problems = problems_of(tmp_path, text, mode=0o644)

    assert problems == [
        f"file: {tmp_path / 'config.toml'} holds a secret command and other "
        f"users can read or change it (mode 0644); run: chmod 600 "
        f"{tmp_path / 'config.toml'}"
    ]


def test_load_config_secret_command_private_file_accepted(tmp_path):
    text = VALID.replace('{ env = "EXSYNC_PASSWORD" }', '{ command = "pass show x" }')

    config = load_config(write(tmp_path, text, mode=0o600))

    assert config.exchange.password == Secret(command="pass show x")


def test_load_config_world_writable_file_refused(tmp_path):
    problems = problems_of(tmp_path, VALID, mode=0o666)

    assert problems == [
        f"file: {tmp_path / 'config.toml'} can be changed by any user (mode 0666); "
        f"run: chmod 600 {tmp_path / 'config.toml'}"
    ]


def test_load_config_env_secret_readable_file_accepted(tmp_path):
    config = load_config(write(tmp_path, VALID, mode=0o644))

    assert config.exchange.password == Secret(env="EXSYNC_PASSWORD")


SKIP_RULE = VALID + '[sync]\nskip_contact = "rules:skip"\n'


def test_check_config_skip_rule_in_file_of_other_user_refused(tmp_path):
    path = tmp_path / "config.toml"

    with pytest.raises(ConfigError) as caught:
        check_config(tomllib.loads(SKIP_RULE), path, 0o600, owner=os.geteuid() + 1)

    assert caught.value.problems == [
        f"file: {path} belongs to another user (uid {os.geteuid() + 1}) and "
        "names code exsync runs (a secret command or the skip rule); "
        f"run: chown {os.geteuid()} {path}"
    ]


def test_check_config_env_secret_in_file_of_other_user_accepted(tmp_path):
    config = check_config(
        tomllib.loads(VALID), tmp_path / "c.toml", 0o644, owner=os.geteuid() + 1
    )

    assert config.exchange.username == "svc-exsync@example.com"


def test_check_config_root_owned_file_with_skip_rule_accepted(tmp_path):
    config = check_config(tomllib.loads(SKIP_RULE), tmp_path / "c.toml", 0o600, owner=0)

    assert config.sync.skip_contact == "rules:skip"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_load_config_file_given_away_with_secret_command_refused(tmp_path):
    path = write(tmp_path, VALID.replace('env = "EXSYNC_PASSWORD"', 'command = "x"'))
    os.chown(path, 65534, 65534)

    found = problems_of_path(path)

    assert found[0].startswith(f"file: {path} belongs to another user (uid 65534)")


def test_load_config_skip_rule_in_group_writable_file_refused(tmp_path):
    path = tmp_path / "config.toml"

    found = problems_of(tmp_path, SKIP_RULE, mode=0o660)

    assert found == [
        f"file: {path} names a skip rule and other users can change it "
        f"(mode 0660); run: chmod 600 {path}"
    ]


def test_load_config_skip_rule_in_readable_file_accepted(tmp_path):
    config = load_config(write(tmp_path, SKIP_RULE, mode=0o644))

    assert config.sync.skip_contact == "rules:skip"
