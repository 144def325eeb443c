"""The event loop a run uses: uvloop where it is installed and supported, else asyncio's own.

uvloop (libuv, written in Cython) schedules callbacks and moves socket data for less CPU than
asyncio's pure-Python loop; a scan spends much of its time there (bench/transport_bench.py).
It does not exist on Windows. ``GOVSCAN_LOOP=asyncio`` forces asyncio's loop, for comparison
runs or should uvloop misbehave somewhere.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any, Coroutine, TypeVar

T = TypeVar("T")


def loop_name() -> str:
    """``"uvloop"`` or ``"asyncio"``: the loop :func:`run` uses here and now."""
    if os.environ.get("GOVSCAN_LOOP", "").strip().lower() == "asyncio" or sys.platform == "win32":
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    return "uvloop" if hasattr(uvloop, "run") else "asyncio"  # uvloop.run: 0.18 and later


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on the loop :func:`loop_name` picks."""
    if loop_name() == "uvloop":
        import uvloop

        return uvloop.run(coro)
    return asyncio.run(coro)
