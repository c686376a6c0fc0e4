"""Single-value checks shared by the config reader and configure."""

from __future__ import annotations

import pytest

from exsync.addresses import address_key, is_valid_address, split_named_address
from exsync.validation import (
    InvalidValueError,
    int_between,
    is_loopback_host,
    parse_callable_name,
    parse_command,
    parse_env_name,
    parse_exchange_url,
)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.8.9.1", "::1"])
def test_is_loopback_host_loopback_names_true(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["10.0.0.1", "mail.example.com", "localhost.evil"])
def test_is_loopback_host_other_hosts_false(host):
    assert not is_loopback_host(host)


def test_parse_exchange_url_ipv6_loopback_http_allowed():
    url = "http://[::1]:8080/EWS/Exchange.asmx"

    assert parse_exchange_url(url, allow_http=True) == url


def test_parse_exchange_url_bad_port_refused():
    with pytest.raises(InvalidValueError, match="is not a valid URL"):
        parse_exchange_url("https://mail.example.com:99999/EWS", allow_http=False)


def test_int_between_bool_refused():
    with pytest.raises(InvalidValueError, match="from 1 to 512"):
        int_between(1, 512)(True)


def test_int_between_upper_bound_zero_refuses_one():
    with pytest.raises(InvalidValueError, match="use a whole number from -5 to 0"):
        int_between(-5, 0)(1)


def test_parse_callable_name_dotted_module_accepted():
    assert parse_callable_name(" acme.rules:skip ") == "acme.rules:skip"


def test_parse_command_unbalanced_quote_refused():
    with pytest.raises(InvalidValueError, match="cannot be split into words"):
        parse_command("pass show 'exsync")


@pytest.mark.parametrize(
    "address", ["a@example", "a@@example.com", "a b@example.com", "a@example..com"]
)
def test_is_valid_address_malformed_false(address):
    assert not is_valid_address(address)


def test_address_key_lowers_ascii_only_like_sqlite():
    assert address_key(" Ann.LEE@Example.COM ") == "ann.lee@example.com"
    assert address_key("RENÉ@example.com") == "renÉ@example.com"


def test_split_named_address_quoted_name():
    assert split_named_address('"Lee, Ann" <ann@example.com>') == (
        "Lee, Ann",
        "ann@example.com",
    )


def test_parse_env_name_password_given_instead_not_echoed():
    with pytest.raises(InvalidValueError) as caught:
        parse_env_name("Hunter2!")

    assert str(caught.value) == (
        "not a variable name (was the secret itself given?); use a name such as "
        "EXSYNC_PASSWORD"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://mail.example.com/EWS\nX-Injected: 1",
        "https://mail.exa mple.com/EWS/Exchange.asmx",
        "https://mail.example.com/EWS/\x00",
    ],
)
def test_parse_exchange_url_space_or_control_character_refused(url):
    with pytest.raises(InvalidValueError) as caught:
        parse_exchange_url(url, allow_http=False)

    assert str(caught.value) == (
        "the URL holds a space or a control character; "
        "use a URL such as https://mail.example.com/EWS/Exchange.asmx"
    )
