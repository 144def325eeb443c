"""The rule registry: every rule's id, Chinese title, basis, scope, level and options.

Checks register themselves with :func:`rule` in their family module under
``govscan.checks``; ``govscan.checks`` imports every family explicitly, so importing it
fills the registry. Ids are never reused: withdrawn ids go to ``RETIRED``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

SCOPES = ("page", "link", "site")
LEVELS = ("error", "warning", "info")
RETIRED: frozenset[str] = frozenset()
PRESET_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    basis: str
    indicator: str
    scope: str
    level: str
    check: Callable[..., Iterable[Any]]
    options: Mapping[str, Any] = field(default_factory=dict)
    family: str = ""
    doc: str = ""
    choices: Mapping[str, tuple] = field(default_factory=dict)

    def validate(self, name: str, value: Any) -> str | None:
        """Return a problem description, or None when ``value`` fits option ``name``."""
        if name not in self.options:
            known = ", ".join(sorted(self.options)) or "none"
            return f"unknown option '{name}' of rule '{self.id}' (known options: {known})"
        default = self.options[name]
        if not _same_type(default, value):
            return (f"option '{name}' of rule '{self.id}' must be {_type_name(default)}, "
                    f"not {_type_name(value)}")
        allowed = self.choices.get(name)
        if allowed is not None:
            values = value if isinstance(value, (list, dict)) else [value]
            if isinstance(value, dict):
                values = list(value.values())
            bad = [v for v in values if v not in allowed]
            if bad:
                return f"option '{name}' of rule '{self.id}': {bad[0]!r} is not one of {list(allowed)}"
        return None


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    if default is None:
        return True
    return isinstance(value, type(default))


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping", type(None): "null"}.get(type(value), type(value).__name__)


_REGISTRY: dict[str, Rule] = {}


def rule(*, id: str, title: str, basis: str, indicator: str, scope: str, level: str,
         options: Mapping[str, Any] | None = None,
         choices: Mapping[str, tuple] | None = None) -> Callable[[Callable], Callable]:
    """Register a check function under explicit metadata; its docstring is its documentation."""
    if scope not in SCOPES:
        raise ValueError(f"rule {id}: scope must be one of {SCOPES}")
    if level not in LEVELS:
        raise ValueError(f"rule {id}: level must be one of {LEVELS}")

    def register(fn: Callable) -> Callable:
        if id in _REGISTRY or id in RETIRED:
            raise ValueError(f"rule id {id!r} registered twice or retired")
        _REGISTRY[id] = Rule(
            id=id, title=title, basis=basis, indicator=indicator, scope=scope, level=level,
            check=fn, options=MappingProxyType(dict(options or {})),
            family=fn.__module__.rsplit(".", 1)[-1], doc=(fn.__doc__ or "").strip(),
            choices=MappingProxyType(dict(choices or {})),
        )
        return fn

    return register


def registry() -> Mapping[str, Rule]:
    """All rules, in catalogue order (the order families register them)."""
    import govscan.checks  # noqa: F401  (fills the registry)

    return MappingProxyType(_REGISTRY)


def get(rule_id: str) -> Rule:
    rules = registry()
    if rule_id not in rules:
        raise KeyError(rule_id)
    return rules[rule_id]
