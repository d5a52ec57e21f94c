"""Password hashes: salted scrypt in a versioned encoding, checked in constant time."""

from __future__ import annotations

import hashlib

import pytest

from onwatch.accounts.passwords import (
    CURRENT,
    ScryptParams,
    hash_password,
    needs_rehash,
    verify_password,
)

PASSWORD = "correct horse battery staple"
FAST = ScryptParams(n=2**10, r=8, p=1)  # old, weak parameters, as a past release might have used


def test_a_hash_names_its_scheme_and_parameters() -> None:
    scheme, n, r, p, salt, digest = hash_password(PASSWORD).split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", CURRENT.n, CURRENT.r, CURRENT.p)
    assert CURRENT.n >= 2**15  # 32 MiB per guess at least
    assert len(salt) >= 22  # 16 random bytes
    assert len(digest) == 43  # 32 bytes, unpadded base64


def test_the_right_password_verifies_and_any_other_does_not() -> None:
    stored = hash_password(PASSWORD)
    assert verify_password(PASSWORD, stored)
    for other in ("correct horse battery stapl", PASSWORD.upper(), PASSWORD + " ", ""):
        assert not verify_password(other, stored)


def test_the_same_password_hashes_differently_each_time() -> None:
    assert hash_password(PASSWORD) != hash_password(PASSWORD)


def test_non_ascii_passwords_work() -> None:
    stored = hash_password("mot de passe très sûr ✓")
    assert verify_password("mot de passe très sûr ✓", stored)
    assert not verify_password("mot de passe tres sur ✓", stored)


def test_the_hash_is_plain_scrypt_so_other_tools_can_check_it() -> None:
    import base64

    stored = hash_password(PASSWORD, FAST)
    _, n, r, p, salt, digest = stored.split("$")
    expected = hashlib.scrypt(
        PASSWORD.encode(),
        salt=base64.urlsafe_b64decode(salt + "=" * (-len(salt) % 4)),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=32,
    )
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == digest


def test_hashes_made_with_older_parameters_still_verify_and_ask_for_a_rehash() -> None:
    old = hash_password(PASSWORD, FAST)
    assert verify_password(PASSWORD, old)
    assert needs_rehash(old)
    assert not needs_rehash(hash_password(PASSWORD))


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plaintext-password",
        "bcrypt$2b$12$abcdefghijklmnopqrstuv",
        "scrypt$16384$8$1$c2FsdA",  # a field missing
        "scrypt$1000$8$1$c2FsdA$ZGlnZXN0",  # n not a power of two
        "scrypt$1073741824$8$1$c2FsdA$ZGlnZXN0",  # n so large a login would eat gigabytes
        "scrypt$16384$999$1$c2FsdA$ZGlnZXN0",
        "scrypt$16384$8$1$!!!$ZGlnZXN0",
        "scrypt$16384$8$1$c2FsdA$",
        "scrypt$x$8$1$c2FsdA$ZGlnZXN0",
    ],
)
def test_a_malformed_or_hostile_stored_value_never_verifies(stored: str) -> None:
    assert not verify_password(PASSWORD, stored)
    assert needs_rehash(stored)
