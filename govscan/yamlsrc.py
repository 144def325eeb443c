"""YAML loading that remembers where each key stood, so errors can name the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from govscan.errors import ConfigError

Path_ = tuple  # a key path such as ("rules", "dead-link", "level")
# libyaml's parser when PyYAML was built with it (7× faster on the bundled preset), same nodes and marks
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Located:
    """A parsed YAML document plus the line of every key path (1-based)."""

    def __init__(self, source: str, data: Any, lines: dict[Path_, int]) -> None:
        self.source = source
        self.data = data
        self.lines = lines

    def where(self, path: Path_) -> str:
        """``key a.b.c (line N)`` for messages; the nearest known line for the path."""
        dotted = ".".join(str(p) for p in path)
        for cut in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:cut]))
            if line:
                return f"line {line}, key '{dotted}'" if dotted else f"line {line}"
        return f"key '{dotted}'" if dotted else ""

    def error(self, path: Path_, problem: str) -> ConfigError:
        return ConfigError(self.source, self.where(path), problem)


def load_text(text: str, source: str) -> Located:
    lines: dict[Path_, int] = {}
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
        # constructing scalars can fail too: a bare "=" is YAML's value tag, unknown to SafeLoader
        data = _build(node, (), lines, source, yaml.SafeLoader("")) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(source, where, f"invalid YAML: {problem}") from None
    return Located(source, data, lines)


def load_file(path: str | Path) -> Located:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(str(path), "", f"not UTF-8 text (byte {exc.start})") from None
    return load_text(text, str(path))


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str, loader: yaml.SafeLoader) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node, loader)
            if key == "<<":
                raise ConfigError(source, f"line {key_node.start_mark.line + 1}", "merge keys are not supported")
            if key in out:
                raise ConfigError(source, f"line {key_node.start_mark.line + 1}", f"duplicate key '{key}'")
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _build(value_node, path + (key,), lines, source, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, source, loader) for i, item in enumerate(node.value)]
    return _scalar(node, loader)


def _scalar(node: yaml.Node, loader: yaml.SafeLoader) -> Any:
    # one loader's constructor for the whole document (making one per scalar cost ~25 µs each)
    if node.tag == "tag:yaml.org,2002:str" and isinstance(node, yaml.ScalarNode):
        return node.value
    return loader.construct_object(node, deep=True)
