"""Read a policy file into plain Python data that remembers where each value stood.

ruamel.yaml composes the YAML 1.2 document into nodes (so ``no`` and ``12:30``
stay strings); we turn the nodes into dicts, lists and scalars ourselves so that
every key and value keeps its ``line:col`` and *every* duplicate key is reported,
not only the first one the parser meets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from onwatch.policy.issues import Issue, PolicyError

PathPart = str | int
DataPath = tuple[PathPart, ...]

MAX_VALUES = 200_000  # far beyond any real policy
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"
_TOO_DEEP = "the YAML is nested too deeply to be a policy"
_RECURSIVE = "an alias refers to a collection that contains it"


@dataclass
class Document:
    """A parsed policy: plain data plus the position of every key and value.

    Positions are 1-based ``(line, column)`` pairs, as editors show them.
    """

    filename: str
    data: Any
    value_positions: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[DataPath, tuple[int, int]] = field(default_factory=dict)
    # Problems found while reading (duplicate keys) that do not stop validation.
    issues: list[Issue] = field(default_factory=list)

    def position(self, path: DataPath, *, prefer_key: bool = False) -> tuple[int, int]:
        """Where ``path`` stands, or its nearest ancestor that exists."""
        for length in range(len(path), -1, -1):
            prefix = path[:length]
            if prefer_key and prefix in self.key_positions:
                return self.key_positions[prefix]
            if prefix in self.value_positions:
                return self.value_positions[prefix]
        return (1, 1)

    def issue(self, path: DataPath, message: str, *, prefer_key: bool = False) -> Issue:
        """An :class:`Issue` located at ``path`` in this document."""
        line, col = self.position(path, prefer_key=prefer_key)
        return Issue(self.filename, line, col, path, message)


def _is_empty(node: Node) -> bool:
    """A document with nothing in it (a lone ``---``) composes to an empty null scalar."""
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG and node.value == ""


def _position(node: Node) -> tuple[int, int]:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


class _Builder:
    """Turns a composed node tree into plain data, collecting issues on the way."""

    def __init__(self, yaml: YAML, document: Document) -> None:
        self._constructor = yaml.constructor
        self._document = document
        self.issues: list[Issue] = []
        self._built = 0
        self._open: set[int] = set()  # collections being built: an alias back to one recurses

    def _issue(self, node: Node, path: DataPath, message: str) -> None:
        line, col = _position(node)
        self.issues.append(Issue(self._document.filename, line, col, path, message))

    def _not_yaml(self, node: Node, path: DataPath, problem: str) -> PolicyError:
        """A structure no policy can be read from: reported alone, like a syntax error."""
        line, col = _position(node)
        return PolicyError(
            [Issue(self._document.filename, line, col, path, f"not valid YAML: {problem}")]
        )

    def build(self, node: Node, path: DataPath) -> Any:
        self._built += 1
        if self._built > MAX_VALUES:
            # Aliases are expanded on use: a "billion laughs" file would never finish.
            raise self._not_yaml(node, path, f"more than {MAX_VALUES:,} values (aliases expanded)")
        self._document.value_positions[path] = _position(node)
        if not isinstance(node, MappingNode | SequenceNode):
            return self._scalar(node, path)
        if id(node) in self._open:
            raise self._not_yaml(node, path, _RECURSIVE)
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: DataPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in self._pairs(node, path):
            key = self._scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str | int | float | bool) or key is None:
                self._issue(key_node, path, "keys must be plain text")
                continue
            key = str(key)
            if key in first_seen:
                line, col = _position(key_node)
                seen_line = first_seen[key][0]
                self.issues.append(
                    Issue(
                        self._document.filename,
                        line,
                        col,
                        (*path, key),
                        f'duplicate key "{key}" (first given on line {seen_line})',
                    )
                )
                continue
            first_seen[key] = _position(key_node)
            self._document.key_positions[(*path, key)] = _position(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _pairs(self, node: MappingNode, path: DataPath) -> Iterator[tuple[Node, Node]]:
        """Key/value pairs, with YAML merge keys (``<<: *base``) expanded first.

        Own keys override merged ones; among merged mappings (``<<: [*a, *b]``) the
        first to give a key wins; a merged mapping's own merge keys are expanded too.
        """
        merged: list[tuple[Node, Node]] = []
        own: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        self._issue(source, path, "<< merges mappings only (<<: *name)")
                    elif id(source) in self._open:
                        raise self._not_yaml(source, path, _RECURSIVE)
                    else:
                        self._open.add(id(source))
                        try:
                            merged.extend(self._pairs(source, path))
                        finally:
                            self._open.discard(id(source))
            else:
                own.append((key_node, value_node))
        seen = {k.value for k, _ in own if isinstance(k, ScalarNode)}
        for key_node, value_node in merged:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    continue
                seen.add(key_node.value)
            yield key_node, value_node
        yield from own

    def _scalar(self, node: Node, path: DataPath) -> Any:
        try:
            value = self._constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, TypeError, OverflowError):
            # e.g. ``!!int abc``; the value is not echoed (it may be a secret).
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise self._not_yaml(node, path, f"the value cannot be read as {tag}") from None
        # ruamel returns its own scalar subclasses; plain types keep pydantic strict.
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else value
        return str(value)


def parse_yaml(text: str, filename: str) -> Document:
    """Parse YAML text into a :class:`Document`; raise :class:`PolicyError` when it is not YAML."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    document = Document(filename=filename, data=None)
    try:
        nodes = list(yaml.compose_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "malformed YAML"
        raise PolicyError([Issue(filename, line, col, (), f"not valid YAML: {problem}")]) from None
    except YAMLError as exc:
        raise PolicyError([Issue(filename, 1, 1, (), f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise PolicyError([Issue(filename, 1, 1, (), _TOO_DEEP)]) from None
    nodes = [n for n in nodes if n is not None and not _is_empty(n)]
    if not nodes:
        raise PolicyError(
            [
                Issue(
                    filename,
                    1,
                    1,
                    (),
                    "the file is empty; a policy starts with apiVersion: onwatch/v1",
                )
            ]
        )
    if len(nodes) > 1:
        line, col = _position(nodes[1])
        raise PolicyError(
            [
                Issue(
                    filename,
                    line,
                    col,
                    (),
                    "the file holds several YAML documents; keep one policy per file",
                )
            ]
        )
    root = nodes[0]
    if not isinstance(root, MappingNode):
        line, col = _position(root)
        kind = "a list" if isinstance(root, SequenceNode) else "a single value"
        raise PolicyError(
            [
                Issue(
                    filename,
                    line,
                    col,
                    (),
                    f"the policy is {kind}; it must be a mapping of sections (apiVersion, services, ...)",
                )
            ]
        )
    builder = _Builder(yaml, document)
    try:
        document.data = builder.build(root, ())
    except RecursionError:
        raise PolicyError([Issue(filename, 1, 1, (), _TOO_DEEP)]) from None
    document.issues.extend(builder.issues)
    return document
