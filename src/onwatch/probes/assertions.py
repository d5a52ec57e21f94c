"""What a good HTTP answer looks like, judged: expected status, keyword, absent text, JSON paths.

Pure functions over a status code and the body bytes, so every rule can be
tested without a server. Each returns ``None`` when the rule holds, or the
detail that tells the user which rule broke and what was there instead::

    status: 503 Service Unavailable, expected 2xx or 3xx
    assertion: keyword "Thanks" not found
    assertion: $.status is "degraded", expected "ok"
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from http import HTTPStatus

from onwatch.policy.monitors import HttpExpect, JsonAssertion

_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]")
_MISSING = object()
_SHOWN_CHARS = 80  # a value quoted in a detail is cut here: details are one line


def status_matches(code: int, spec: int | str) -> bool:
    """``503`` matches ``503`` and ``"5xx"``."""
    if isinstance(spec, int):
        return code == spec
    return str(code)[0] == spec[0] and len(str(code)) == 3


def judge_status(code: int, expected: Sequence[int | str]) -> str | None:
    """``status: ...`` when ``code`` is none of the expected codes or classes."""
    if any(status_matches(code, spec) for spec in expected):
        return None
    try:
        shown = f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        shown = str(code)
    wanted = " or ".join(str(spec) for spec in expected)
    return f"status: {shown}, expected {wanted}"


def _show(value: object) -> str:
    """A JSON value as the user would write it, cut to one short line."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _step_into(value: object, key: str | None, index: int | None) -> object:
    if key is not None:
        return value.get(key, _MISSING) if isinstance(value, dict) else _MISSING
    if isinstance(value, list) and index is not None and index < len(value):
        return value[index]
    return _MISSING


def find_path(document: object, path: str) -> object:
    """The value at ``$.a.b[0]`` in a parsed JSON document, or a private *missing* marker."""
    value = document
    for match in _PATH_STEP.finditer(path, 1):
        key, index = match.group(1), match.group(2)
        value = _step_into(value, key, int(index) if index is not None else None)
        if value is _MISSING:
            break
    return value


def _same(found: object, expected: object) -> bool:
    # JSON true is not 1 and "200" is not 200: compare like a strict reader would.
    if isinstance(expected, bool) or isinstance(found, bool):
        return type(found) is type(expected) and found == expected
    if isinstance(expected, int | float):
        return isinstance(found, int | float) and found == expected
    return found == expected


def judge_json(document: object, assertion: JsonAssertion) -> str | None:
    """``assertion: ...`` when the path is missing or holds another value."""
    found = find_path(document, assertion.path)
    if found is _MISSING:
        return f"assertion: {assertion.path} is missing"
    if assertion.equals is not None and not _same(found, assertion.equals):
        return f"assertion: {assertion.path} is {_show(found)}, expected {_show(assertion.equals)}"
    return None


def judge_body(body: bytes, expect: HttpExpect, charset: str | None = None) -> str | None:
    """The first broken body rule (keyword, absent, then JSON paths), or ``None``."""
    if expect.keyword is None and expect.absent is None and not expect.json_:
        return None
    text = decode(body, charset)
    if expect.keyword is not None and expect.keyword not in text:
        return f"assertion: keyword {_show(expect.keyword)} not found"
    if expect.absent is not None and expect.absent in text:
        return f"assertion: {_show(expect.absent)} is present, expected absent"
    if expect.json_:
        try:
            document = json.loads(text)
        except ValueError:
            return f"assertion: body is not JSON (starts {_show(text[:40])})"
        for assertion in expect.json_:
            broken = judge_json(document, assertion)
            if broken is not None:
                return broken
    return None


def decode(body: bytes, charset: str | None) -> str:
    """Body text in the declared charset, else UTF-8; undecodable bytes never fail a check."""
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return body.decode("utf-8", errors="replace")
