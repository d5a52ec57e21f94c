"""The public API is exactly what ``onwatch.__all__`` lists, and each member says what it is."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import onwatch


def test_every_exported_name_resolves_and_has_a_docstring() -> None:
    undocumented = []
    for name in onwatch.__all__:
        value = getattr(onwatch, name)
        if name != "__version__" and not inspect.getdoc(value):
            undocumented.append(name)
    assert undocumented == []


def test_dir_lists_exactly_the_public_api() -> None:
    assert dir(onwatch) == sorted(onwatch.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        onwatch.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_package_does_not_load_the_database_stack() -> None:
    code = "import sys, onwatch; print('sqlalchemy' in sys.modules, 'alembic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
