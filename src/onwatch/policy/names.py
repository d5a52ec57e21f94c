"""Names: the identifiers one part of a policy uses to refer to another."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def _check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(
            f'"{value}" is not a valid name: use lowercase letters, digits, - and _ '
            "(at most 63, starting with a letter or digit)"
        )
    return value


Name = Annotated[str, AfterValidator(_check_slug), Field(examples=["checkout"])]
"""An identifier other parts of the policy refer to (``checkout``, ``alice``)."""
