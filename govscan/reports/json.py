"""The canonical JSON report: the dict of ``Report.to_dict()``, checked against the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from govscan.reports._io import write_atomic
from govscan.reports._schema import validate


def dumps(report: Mapping[str, Any]) -> str:
    """Serialise without validating (for callers that validated already)."""
    # allow_nan=False: NaN/Infinity would make a file no JSON parser accepts
    return json.dumps(report, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def render_json(report: Mapping[str, Any]) -> str:
    validate(report)
    return dumps(report)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    write_atomic(Path(path), render_json(report))
