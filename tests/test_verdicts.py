"""The sample sites' verdicts in the national model equal fixtures/verdicts.yaml exactly."""

from __future__ import annotations

import pytest
import yaml

from govscan import serve

EXPECTED = yaml.safe_load((serve.fixtures_root() / "verdicts.yaml").read_text("utf-8"))


def test_every_site_has_an_expected_verdict(demo_report):
    assert {s["id"] for s in demo_report["sites"]} == set(EXPECTED)


@pytest.mark.parametrize("site_id", sorted(EXPECTED))
def test_verdict(demo_report, site_id):
    site = next(s for s in demo_report["sites"] if s["id"] == site_id)
    verdict, expected = site["verdict"], EXPECTED[site_id]
    assert verdict["qualified"] is expected["qualified"]
    assert round(verdict["score"], 2) == pytest.approx(expected["score"], abs=0.005)
    assert sorted(v["rule"] for v in verdict["vetoes"]) == sorted(expected["vetoes"])
    findings = {f["fingerprint"] for f in site["findings"]}
    for item in verdict["vetoes"] + verdict["deductions"]:
        assert item["fingerprints"] and set(item["fingerprints"]) <= findings  # each backed by findings
