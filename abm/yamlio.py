"""Reading YAML files and command-line values without letting them exhaust the machine.

- :func:`read_yaml_file` reads regular files only (no FIFOs, devices or sockets),
  refuses a file over :data:`MAX_FILE_BYTES` before parsing it, and parses with
  :class:`LimitedLoader`;
- :class:`LimitedLoader` is PyYAML's safe loader that refuses duplicate keys in a
  mapping, nesting deeper than :data:`MAX_DEPTH`, and documents holding more than
  :data:`MAX_NODES` values, with aliases counted as expanded (so a "billion laughs"
  is refused while it is read, not when something later walks the structure);
- :func:`parse_value` reads a command-line value (``--set key=VALUE``) as a YAML 1.2
  core scalar: whole numbers in decimal only, ``true``/``false``, ``null``; no YAML
  1.1 readings (``yes`` -> True, ``1:00`` -> 60, ``0x10`` -> 16), which stay text;
- :func:`parse_whole_number` reads ``--seed``-like flags: decimal digits only.

Errors are :class:`YamlInputError` (where, message); :mod:`abm.config` turns them
into a ``ConfigError`` naming the file. Messages quote at most a short prefix of a
value (:func:`short`).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["YamlInputError", "LimitedLoader", "read_yaml_file", "parse_value",
           "parse_whole_number", "short", "MAX_FILE_BYTES", "MAX_NODES", "MAX_DEPTH",
           "MAX_VALUE_CHARS"]

MAX_FILE_BYTES = 1_000_000   # the largest shipped file (configs/baseline.yaml) is ~20 KB
MAX_NODES = 100_000          # values in one document, aliases counted expanded
MAX_DEPTH = 64               # nesting levels, aliases counted expanded
MAX_VALUE_CHARS = 10_000     # one command-line value
SHORT = 60                   # characters of a bad value quoted in a message


class YamlInputError(ValueError):
    """A YAML file or value that is refused: where (e.g. ``line 3``, may be ``""``) and why."""

    def __init__(self, where: str, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def short(value: Any, limit: int = SHORT) -> str:
    """``repr(value)`` cut to ``limit`` characters (with ``...`` and the full length)."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def _line(node: Node) -> str:
    return f"line {node.start_mark.line + 1}"


class LimitedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with limits on size and depth, and no duplicate keys."""

    def __init__(self, stream: str, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH):
        super().__init__(stream)
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self._depth = 0
        self._measured: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth)

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            if id(node) not in self._measured:
                raise YamlInputError(_line(node), "an alias refers to the collection that "
                                     "contains it (a recursive structure); not allowed")
            return node
        self._depth += 1
        if self._depth > self.max_depth:
            mark = self.peek_event().start_mark
            raise YamlInputError(f"line {mark.line + 1}", f"nested deeper than "
                                 f"{self.max_depth} levels; not allowed")
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._measure(node)
        return node

    def _measure(self, node: Node) -> None:
        if isinstance(node, ScalarNode):
            size, depth = 1, 1
        else:
            if isinstance(node, MappingNode):
                children = [n for pair in node.value for n in pair]
            elif isinstance(node, SequenceNode):
                children = list(node.value)
            else:  # pragma: no cover - PyYAML has no other node kinds
                children = []
            size, depth = 1, 1
            for child in children:
                c_size, c_depth = self._measured[id(child)]
                size += c_size
                depth = max(depth, c_depth + 1)
        if size > self.max_nodes:
            raise YamlInputError(_line(node), f"holds more than {self.max_nodes:,} values "
                                 "(aliases counted as expanded); not allowed")
        if depth > self.max_depth:
            raise YamlInputError(_line(node), f"nested deeper than {self.max_depth} levels "
                                 "(aliases counted as expanded); not allowed")
        self._measured[id(node)] = (size, depth)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:  # type: ignore[override]
        if isinstance(node, MappingNode):
            seen: dict[Any, str] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # PyYAML reports unhashable keys itself
                if key in seen:
                    raise YamlInputError(_line(key_node), f"duplicate key {short(key)} "
                                         f"(first on {seen[key]}); give each key once")
                seen[key] = _line(key_node)
        return super().construct_mapping(node, deep=deep)


class ValueLoader(LimitedLoader):
    """YAML 1.2 core scalars for command-line values (no yes/no, no 0x, no 1:00)."""

    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in (
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
        ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                  r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
        ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("merge", r"^(?:<<)$", "<")):
    ValueLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern),
                                      list(_first))


def _decimal_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(str(loader.construct_scalar(node)), 10)  # "010" is ten, not eight


ValueLoader.add_constructor("tag:yaml.org,2002:int", _decimal_int)


def _load(text: str, loader: type[LimitedLoader]) -> Any:
    reader = loader(text)
    try:
        return reader.get_single_data()
    except RecursionError:  # a limit above should stop this first; never a traceback
        raise YamlInputError("", f"nested too deeply (limit {MAX_DEPTH} levels)") from None
    finally:
        reader.dispose()


def read_yaml_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse one YAML file (a regular file of at most ``max_bytes``) with the limits.

    Raises :class:`YamlInputError` for a refused file and ``yaml.YAMLError`` for
    malformed YAML.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise YamlInputError("", "file not found") from None
    except PermissionError:
        raise YamlInputError("", "cannot be read (permission denied)") from None
    except OSError as exc:
        raise YamlInputError("", f"cannot be read ({exc.strerror or exc})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise YamlInputError("", "is not a valid file path (it contains a NUL "
                             "character)") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise YamlInputError("", "is a directory, expected a YAML file")
        if not stat.S_ISREG(st.st_mode):
            raise YamlInputError("", "is not a regular file (a device, pipe or socket); "
                                 "expected a YAML file")
        if st.st_size > max_bytes:
            raise YamlInputError("", f"is {st.st_size:,} bytes; a YAML file here may hold "
                                 f"at most {max_bytes:,} bytes")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            try:
                chunk = os.read(fd, min(remaining, 1 << 16))
            except OSError as exc:
                raise YamlInputError("", f"cannot be read ({exc.strerror or exc})") from None
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise YamlInputError("", f"holds more than {max_bytes:,} bytes; not allowed")
    finally:
        os.close(fd)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise YamlInputError("", "not a UTF-8 text file") from None
    return _load(text, LimitedLoader)


def parse_value(text: str) -> Any:
    """A command-line value read as YAML 1.2 core (see the module docstring).

    Raises :class:`YamlInputError` for a refused value and ``yaml.YAMLError`` for
    malformed YAML (callers may then take the text as it is).
    """
    if len(text) > MAX_VALUE_CHARS:
        raise YamlInputError("", f"a value may hold at most {MAX_VALUE_CHARS:,} characters "
                             f"(got {len(text):,})")
    return _load(text, ValueLoader)


_WHOLE = re.compile(r"[-+]?[0-9]+")


def parse_whole_number(value: Any) -> int:
    """An integer from decimal digits (``"12"``, ``"-3"``); ValueError for anything else
    (``"yes"``, ``"1:00"``, ``"0x10"``, ``"1.0"``, ``True``)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number (an integer; got {short(value)})")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if len(text) > 40 or not _WHOLE.fullmatch(text):
        raise ValueError(f"expected a whole number (an integer in decimal digits; got "
                         f"{short(str(value))})")
    return int(text, 10)
