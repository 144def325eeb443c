"""Command-line behaviour: catalogue, usage errors, exit codes (0/1/2/3), no tracebacks."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from govscan.cli import main
from govscan.rules import registry


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_rules_catalogue_lists_every_rule():
    result = invoke("rules", "--json")
    assert result.exit_code == 0
    listed = json.loads(result.output)
    assert [r["id"] for r in listed] == list(registry())
    assert all(r["title"] and r["basis"] and r["level"] in ("error", "warning", "info") for r in listed)


def test_rules_one_rule_in_full():
    result = invoke("rules", "dead-link")
    assert result.exit_code == 0
    assert "链接不可用" in result.output and "status-levels" in result.output and "依据" in result.output


def test_unknown_rule_is_usage_error():
    result = invoke("rules", "no-such-rule")
    assert result.exit_code == 2 and "unknown rule 'no-such-rule'" in result.output


@pytest.mark.parametrize("name, text, expected", [
    ("sites.yaml", "sites:\n  - url: https://www.a.gov.cn/\n    kind: village\n", "sites.yaml: line 3, key 'sites.0.kind'"),
    ("sites.yaml", "sites:\n  - url: [unclosed\n", "sites.yaml: line 3, column 1: invalid YAML"),
])
def test_broken_sites_file_one_line_error_exit_2(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    proc = subprocess.run([sys.executable, "-m", "govscan", "scan", "--sites", str(path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_broken_rules_file_one_line_error_exit_2(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("extends: default\nrules:\n  dead-link:\n    status-levels: {\"404\": loud}\n", "utf-8")
    proc = subprocess.run([sys.executable, "-m", "govscan", "scan", "https://www.a.gov.cn/", "--rules", str(rules)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "rules.yaml: line 4, key 'rules.dead-link.status-levels'" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_bad_option_values_exit_2(tmp_path):
    assert invoke("scan", "https://www.a.gov.cn/", "--as-of", "yesterday").exit_code == 2
    assert invoke("scan", "https://www.a.gov.cn/", "--only", "nope").exit_code == 2
    assert invoke("scan", "https://www.a.gov.cn/", "--connect-to", "a:b").exit_code == 2
    assert invoke("scan", "https://www.a.gov.cn/", "--format", "pdf", "--out", str(tmp_path)).exit_code == 2
    assert invoke("scan").exit_code == 2  # no sites at all


def test_init_writes_starter_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("init").exit_code == 0
    assert "sites:" in (tmp_path / "sites.yaml").read_text("utf-8")
    assert invoke("init").exit_code == 2  # refuses to overwrite
    # the starter files load as they are
    from govscan import config
    cfg = config.load(str(tmp_path / "sites.yaml"), (), str(tmp_path / "rules.yaml"))
    assert cfg.sites[0].id == "example"


def test_the_command_entry_freezes_the_heap_for_the_process_end(monkeypatch):
    """``govscan`` (console script and ``python -m govscan``) runs ``main`` and then leaves every
    object out of the interpreter's last collections; ``main`` itself (library, CliRunner)
    leaves the collector alone."""
    import gc

    from govscan.cli import entry

    monkeypatch.setattr(sys, "argv", ["govscan", "--version"])
    assert gc.get_freeze_count() == 0
    try:
        with pytest.raises(SystemExit) as exit_info:
            entry()
        assert exit_info.value.code == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and gc.get_freeze_count() == 0


def test_the_crawling_process_does_not_import_what_only_analysis_needs():
    """tldextract imports requests and urllib3 (~0.1 s of every start): only page analysis
    compares registered domains, and it imports tldextract when first needed; charset_normalizer
    only when a body's charset has to be detected."""
    code = ("import sys, govscan.cli, govscan.run, govscan.fetch, govscan.crawl, govscan.rules;"
            "govscan.rules.registry();"
            "print(*(m in sys.modules for m in ('tldextract', 'requests', 'charset_normalizer')));"
            "from govscan.urls import registered_domain; print(registered_domain('www.beijing.gov.cn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split("\n")[:2] == ["False False False", "beijing.gov.cn"]
