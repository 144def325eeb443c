"""The JSON Schema of the canonical report, shipped as package data, and its validator."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match


def schema_path() -> Path:
    """Filesystem path of ``report.schema.json`` (the package is installed unzipped)."""
    return Path(str(_resource()))


def _resource() -> Any:
    return resources.files("govscan.reports") / "schema" / "report.schema.json"


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    return json.loads(_resource().read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    # The shipped schema itself is checked against the metaschema by the tests
    # (tests/test_reports.py), not on every run: that check costs more than validating a report.
    return Draft202012Validator(load_schema())


def validate(report: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` (the most relevant one) if ``report`` does not fit."""
    error = best_match(_validator().iter_errors(report))
    if error is not None:
        raise error
