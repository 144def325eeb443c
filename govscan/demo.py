"""`govscan demo`: the bundled sample sites served on 127.0.0.1 and scanned.

The fixtures' dates are written against a fixed inspection date, so the demo (and the
tests that compare its findings with fixtures/expected/) measure against that date.
"""

from __future__ import annotations

import datetime as dt

from govscan import config as config_mod
from govscan import serve

DEMO_AS_OF = dt.date(2026, 11, 20)


def demo_config(as_of: dt.date | None = None) -> config_mod.RunConfig:
    return config_mod.load(str(serve.fixtures_root() / "sites.yaml"), (), None, as_of or DEMO_AS_OF)


def connect_all_to(port: int) -> tuple[str, ...]:
    """Every host the fixtures name goes to the local server (sites with their own connect_to excepted)."""
    return (f"::127.0.0.1:{port}",)
