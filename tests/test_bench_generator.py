"""bench/generate.py at a tiny size: the structure of the synthetic site, not its speed."""

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def test_tiny_site_structure_and_determinism(tmp_path):
    gen = _generator()
    manifest = gen.generate(tmp_path / "a", pages=120, seed=7)
    site = tmp_path / "a"
    assert manifest["pages"] >= 120
    assert manifest["link_occurrences"] > manifest["pages"] * 10
    assert manifest["dead_targets"], "a few dead links"
    assert json.loads((site / "manifest.json").read_text("utf-8"))["pages"] == manifest["pages"]

    html = sorted(site.rglob("*.html"))
    assert len(html) == manifest["pages"]
    home = (site / "index.html").read_text("utf-8")
    assert '<meta name="SiteIDCode"' in home and "document.write" in home

    lists = [p for p in html if re.fullmatch(r"index(_\d+)?\.html", p.name) and p.parent.parent != site]
    paged = [p for p in lists if p.name.startswith("index_")]
    assert paged, "TRS pagination: index_N.html"
    first = (paged[0].parent / "index.html").read_text("utf-8")
    assert "createPageHTML(" in first and 'href="index_1.html"' in first

    articles = [p for p in html if re.fullmatch(r"t\d{8}_\d+\.html", p.name)]
    assert articles and len(articles) > manifest["pages"] // 2
    text = articles[0].read_text("utf-8")
    assert re.search(r'<meta name="PubDate" content="\d{4}-\d{2}-\d{2}', text)
    assert '<meta name="ArticleTitle"' in text and '<meta name="ContentSource"' in text
    assert list(site.rglob("W0*.png")) and list(site.rglob("P0*.pdf"))
    assert (site / "images" / "logo.png").read_bytes().startswith(b"\x89PNG")

    # every link resolves to a written file, except the dead ones the manifest lists
    dead = set(manifest["dead_targets"])
    missing = set()
    for page in html:
        base = "http://bench/" + page.relative_to(site).as_posix()
        for ref in re.findall(r'(?:href|src)="([^"]+)"', page.read_text("utf-8")):
            if ref.startswith("javascript:"):
                continue
            path = urlsplit(urljoin(base, ref)).path
            target = site / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            if not target.is_file():
                missing.add(path)
    assert missing and missing <= dead

    gen.generate(tmp_path / "b", pages=120, seed=7)
    assert _digest(site) == _digest(tmp_path / "b")


def _bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_acceptance_compares_best_runs_and_each_round():
    """bench/run.py's acceptance lines: each tool's fastest run, then the runs of each round
    (the tools alternate, so a round's runs saw the same machine)."""
    bench = _bench_run()

    def run(tool, size, wall, rss):
        return bench.Measure(tool, size, [tool], wall_s=wall, peak_rss_mb=rss, exit_code=0)

    results = [run("govscan", 5000, 4.0, 150), run("linkinator", 5000, 13.0, 600),
               run("govscan", 5000, 5.0, 152), run("linkinator", 5000, 12.5, 560),
               run("govscan", 50000, 40.0, 285)]
    lines = bench.acceptance(results)
    assert lines[0].startswith("5000 pages: govscan wall ÷ linkinator = 0.32 (bar ≤ 0.40), RSS ÷ linkinator = 0.27")
    assert lines[1] == "5000 pages, round by round: govscan wall ÷ linkinator = 0.31 0.40 (median 0.35)"
    assert lines[2].startswith("50000 pages: govscan RSS ÷ its 5000-page RSS = 1.90 (bar ≤ 2.00)")
