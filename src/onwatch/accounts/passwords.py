"""Password hashing with scrypt: a slow, memory-hard KDF from the standard library.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash in
unpadded URL-safe base64), so parameters can be raised later: old hashes keep
verifying with their own parameters, and :func:`needs_rehash` tells the login
code to store a fresh hash with the current ones.

The cost (n=2**15, r=8, p=1: 32 MiB and roughly 50-100 ms per hash on a
current server core) is what an interactive login can afford on a small
machine while making an offline guess cost the same 32 MiB and time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass

__all__ = [
    "CURRENT",
    "SCHEME",
    "ScryptParams",
    "burn_verify_time",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

SCHEME = "scrypt"
SALT_BYTES = 16
HASH_BYTES = 32
# Bounds on stored parameters: a tampered row must not make a login allocate gigabytes.
MAX_N = 2**20
MAX_R = 32
MAX_P = 16


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's CPU/memory cost ``n`` (a power of two), block size ``r`` and parallelism ``p``."""

    n: int = 2**15
    r: int = 8
    p: int = 1

    @property
    def maxmem(self) -> int:
        # scrypt needs 128 * n * r bytes (plus a little); hashlib's default cap is 32 MiB.
        return 128 * self.n * self.r * (self.p + 1) + 1024 * 1024


CURRENT = ScryptParams()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, params: ScryptParams, length: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.maxmem,
        dklen=length,
    )


def hash_password(password: str, params: ScryptParams = CURRENT) -> str:
    """A new salted hash of ``password`` in the versioned ``scrypt$...`` encoding."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, params, HASH_BYTES)
    return f"{SCHEME}${params.n}${params.r}${params.p}${_b64(salt)}${_b64(digest)}"


def _parse(encoded: str) -> tuple[ScryptParams, bytes, bytes] | None:
    """The parameters, salt and hash of a stored value, or None if it is not one of ours."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = _unb64(parts[4]), _unb64(parts[5])
    except ValueError:  # also binascii.Error, a ValueError subclass
        return None
    power_of_two = n > 1 and n & (n - 1) == 0
    if not (power_of_two and n <= MAX_N and 0 < r <= MAX_R and 0 < p <= MAX_P and digest):
        return None
    return ScryptParams(n, r, p), salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the stored hash (compared in constant time)."""
    parsed = _parse(encoded)
    if parsed is None:
        return False
    params, salt, digest = parsed
    return hmac.compare_digest(_derive(password, salt, params, len(digest)), digest)


def needs_rehash(encoded: str, params: ScryptParams = CURRENT) -> bool:
    """Whether a stored hash uses other parameters than ``params`` (rehash after a login)."""
    parsed = _parse(encoded)
    return parsed is None or parsed[0] != params or len(parsed[2]) != HASH_BYTES


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))  # made once, on the first unknown user


def burn_verify_time(password: str) -> None:
    """Spend a verify's time for an unknown user, so timing does not reveal who exists."""
    verify_password(password, _dummy_hash())
