"""Shared fixtures: the sample sites served over real HTTP on 127.0.0.1 (never the network)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from govscan import serve

FIXTURES = serve.fixtures_root()


@pytest.fixture(scope="session")
def fixture_server():
    """The fixture server for the whole session: ``.port``, ``.base`` ("http://127.0.0.1:PORT"),
    ``.url``, ``.hosts``, ``.connect_to`` (``HOST:80:127.0.0.1:PORT`` for every fixture host) and
    ``.stop()``. Address a sample site by sending its name in the Host header."""
    server = serve.start(port=0)
    yield server
    server.stop()


@pytest.fixture
def demo_sites_file(tmp_path: Path, fixture_server) -> Path:
    """fixtures/sites.yaml with ``connect_to: 127.0.0.1:PORT`` on every site that has none (the
    unreachable www.lvshui.gov.cn keeps its refused port). Links to the external fixture hosts
    (www.zj.gov.cn, www.gov.cn, …) still need ``fixture_server.connect_to`` or a wildcard
    ``--connect-to ::127.0.0.1:PORT``."""
    data = yaml.safe_load((FIXTURES / "sites.yaml").read_text("utf-8"))
    for site in data["sites"]:
        site.setdefault("connect_to", f"127.0.0.1:{fixture_server.port}")
    path = tmp_path / "sites.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


@pytest.fixture(scope="session")
def expected_findings() -> list[dict]:
    """Every planted problem of the sample sites (fixtures/expected/*.yaml)."""
    entries: list[dict] = []
    for path in sorted((FIXTURES / "expected").glob("*.yaml")):
        entries += yaml.safe_load(path.read_text("utf-8")) or []
    return entries


@pytest.fixture(scope="session")
def demo_report(fixture_server) -> dict:
    """One scan of every sample site (as `govscan demo` does, as of the fixtures' date), shared by
    the tests that compare it with the expected findings and verdicts; validated against the schema."""
    from govscan.demo import DEMO_AS_OF, connect_all_to, demo_config
    from govscan.reports import validate
    from govscan.run import RunOptions, run

    data = run(demo_config(DEMO_AS_OF), RunOptions(connect_to=connect_all_to(fixture_server.port))).to_dict()
    validate(data)
    return data
