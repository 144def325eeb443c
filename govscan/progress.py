"""Progress events from a run; the console reporter implements them with rich.

The run calls these from its event loop; implementations must be cheap and never raise.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def site_started(self, site_id: str, name: str) -> None: ...
    def page_done(self, site_id: str, url: str) -> None: ...
    def link_done(self, site_id: str, url: str, ok: bool) -> None: ...
    def site_finished(self, site_id: str, findings: int, qualified: bool | None) -> None: ...


class NoProgress:
    """The default: report nothing."""

    def site_started(self, site_id: str, name: str) -> None:
        pass

    def page_done(self, site_id: str, url: str) -> None:
        pass

    def link_done(self, site_id: str, url: str, ok: bool) -> None:
        pass

    def site_finished(self, site_id: str, findings: int, qualified: bool | None) -> None:
        pass
