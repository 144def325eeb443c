"""A Celery app for tests/test_distributed.py (``celery -A distributed_faulty_app worker``):
govscan's own app and tasks, with the scan of one site (GOVSCAN_TEST_FAIL_SITE) raising every time."""

from __future__ import annotations

import os

from govscan import distributed

app = distributed.make_app(os.environ["GOVSCAN_BROKER"], retry_delay=0.2, max_attempts=3, time_limit=60)
_real_scan = distributed.scan_site_sync


def _faulty_scan(config, site, job, **kwargs):
    if site.id == os.environ.get("GOVSCAN_TEST_FAIL_SITE"):
        raise RuntimeError("planted failure")
    return _real_scan(config, site, job, **kwargs)


distributed.scan_site_sync = _faulty_scan
