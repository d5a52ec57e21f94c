"""Secrets are hidden before anything is shown: URL passwords and secret values."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from onwatch.redact import mask_secret, mask_url_password


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (
            "postgresql+psycopg://app:hunter2@db.internal:5432/onwatch",
            "postgresql+psycopg://app:***@db.internal:5432/onwatch",
        ),
        ("smtp://alerts:s3cret@mail.example.com:587", "smtp://alerts:***@mail.example.com:587"),
        (
            "postgresql://u:pw@[::1]:5432/db?sslmode=require",
            "postgresql://u:***@[::1]:5432/db?sslmode=require",
        ),
        (
            "mailtos://me:pass@gmail.com?to=ops@example.com",
            "mailtos://me:***@gmail.com?to=ops@example.com",
        ),
        ("postgresql://u:%40pw%2F@host/db", "postgresql://u:***@host/db"),
    ],
)
def test_it_replaces_the_password_and_keeps_the_rest_readable(url: str, masked: str) -> None:
    assert mask_url_password(url) == masked


@pytest.mark.parametrize(
    "password", ["p@ss", "pa/ss", "a@b@c", "we#ird", "que?ry", "x/y@z", "1234"]
)
def test_it_hides_unencoded_at_signs_and_slashes_inside_the_password(password: str) -> None:
    url = f"postgresql://app:{password}@db:5432/onwatch"

    assert mask_url_password(url) == "postgresql://app:***@db:5432/onwatch"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///./onwatch.db",
        "sqlite:////var/lib/onwatch/onwatch.db",
        "https://status.example.com/",
        "postgresql://db.internal:5432/onwatch",
        "postgresql://db:5432/onwatch?application_name=a@b",
        "smtp://alerts@mail.example.com:25",
        "https://example.com/path:with@colon",
        "postgresql://app:@db/onwatch",
        "not a url at all",
        "user:pass",
        "",
    ],
)
def test_it_leaves_text_without_a_password_unchanged(url: str) -> None:
    assert mask_url_password(url) == url


@pytest.mark.parametrize(
    "odd", ["://", "x://:@", "http://[", "smtp://u:p@", "a:b@c", "@@@", "://u:p@h", "\x00:\x00@"]
)
def test_it_never_raises_on_odd_input(odd: str) -> None:
    assert isinstance(mask_url_password(odd), str)


def test_it_accepts_a_non_string_without_raising() -> None:
    assert mask_url_password(None) == "None"  # type: ignore[arg-type]


@given(st.text())
def test_it_never_raises_on_any_text(text: str) -> None:
    assert isinstance(mask_url_password(text), str)


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1))
def test_it_never_shows_a_password_without_an_at_sign(password: str) -> None:
    # Digits then a path separator read as host:port/path, a URL without a password.
    assume("@" not in password and not re.match(r"\d+[/?#]", password))
    url = f"postgresql://user:{password}@host/db"

    assert mask_url_password(url) == "postgresql://user:***@host/db"


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_secret_is_described_as_not_set(value: str | None) -> None:
    assert mask_secret(value) == "(not set)"


def test_a_set_secret_is_described_only_by_its_length() -> None:
    value = "Kq9-vT2zWx8LmN4pRs7YbC1dFg6HjE3u"

    described = mask_secret(value)

    assert described == "*** (set, 32 chars)"
    assert not any(value[i : i + 3] in described for i in range(len(value) - 2))
