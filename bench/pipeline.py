#!/usr/bin/env python3
"""Per-page analysis cost, stage by stage, on the synthetic site (no network, no crawl).

    python bench/pipeline.py                         # every page of bench/.sites/5000
    python bench/pipeline.py --pages 500 --repeat 3  # a quick look; best of three runs
    python bench/pipeline.py --digest /tmp/before.txt   # also write a digest of every result
    python bench/pipeline.py --digest /tmp/after.txt && cmp /tmp/before.txt /tmp/after.txt

For each HTML file of the site (read into memory first, under the site's .gov.cn name) it does
what the crawler does with a fetched page: parse it once (``Page``), read its links, visible text,
title and meta tags, run every page-scope rule, every extract collector, ``rendered_links`` and
every link finder, timing each stage separately. It prints ms/page per stage in CPU time
(``time.process_time``: what the process itself spent, steadier on a shared machine) and wall
time (``perf_counter``), sorted by CPU time, and the totals.

Stages run in the crawler's order, so a stage that reads a ``Page`` property first pays for it
(``parse``, ``links``, ... are timed on their own first, as the crawler's first reader would).
With ``--repeat`` the whole pass runs again on fresh pages and the best run per stage is kept;
module-level caches (URL normalisation, lexicons) stay warm across runs, as in one long crawl.

``--digest FILE`` writes one line per page (its links, rule hits, rendered links, extra links)
and the site facts at the end, so that two versions of the code can be compared result for
result (the first run only; timings are unaffected apart from the cost of ``repr``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govscan import extract  # noqa: E402
from govscan.config import load  # noqa: E402
from govscan.crawl import new_state  # noqa: E402
from govscan.page import Page  # noqa: E402

SITE_URL = "http://www.bench.gov.cn/"


def load_pages(site: Path, limit: int | None) -> list[tuple[str, str]]:
    files = sorted(site.rglob("*.html"))
    if limit:
        files = files[:limit]
    return [(SITE_URL + p.relative_to(site).as_posix(), p.read_text("utf-8")) for p in files]


def run_once(texts: list[tuple[str, str]], digest=None) -> tuple[dict, dict]:
    """One pass over every page: (cpu seconds, wall seconds) per stage."""
    config = load(None, (SITE_URL,), None, dt.date(2026, 6, 30))
    state = new_state(config.sites[0], config)
    engine = state.engine
    rules = engine._by_scope.get("page", [])
    cpu: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)
    pc, pt = time.perf_counter, time.process_time

    def tick(name, fn):
        w, c = pc(), pt()
        result = fn()
        cpu[name] += pt() - c
        wall[name] += pc() - w
        return result

    for url, html in texts:
        page = Page(url=url, final_url=url, status=200, text=html, is_homepage=url == SITE_URL + "index.html")
        tick("parse", lambda: page.tree)
        links = tick("links", lambda: page.links)
        tick("visible_text", lambda: page.visible_text)
        tick("title", lambda: page.title)
        tick("meta", lambda: page.meta)
        hits = []
        for rule, setting, _ in rules:
            found = tick("rule:" + rule.id, lambda: list(rule.check(page, setting.options, engine.context) or ()))
            hits.append((rule.id, found))
        for collector in extract.COLLECTORS:
            tick("collect:" + collector.__module__.rsplit(".", 1)[-1], lambda: collector(page, state.facts))
        rendered = tick("rendered_links", lambda: extract.rendered_links(page))
        extra = []
        for finder in extract.LINK_FINDERS:
            name = finder.__module__.rsplit(".", 1)[-1] + "." + finder.__name__
            extra.append(tick("finder:" + name, lambda: finder(page)))
        if digest is not None:
            digest.write(f"{url}\t{links!r}\t{hits!r}\t{rendered!r}\t{extra!r}\n")
    if digest is not None:
        facts = repr(state.facts)
        digest.write(f"facts\t{hashlib.sha256(facts.encode()).hexdigest()}\t{len(facts)}\n")
    return cpu, wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--site", type=Path, default=ROOT / "bench" / ".sites" / "5000",
                        help="a site written by bench/generate.py (default: %(default)s)")
    parser.add_argument("--pages", type=int, default=None, help="only the first N pages (by path)")
    parser.add_argument("--repeat", type=int, default=1, help="passes; the best per stage is kept")
    parser.add_argument("--digest", type=Path, default=None, help="write every result to this file")
    args = parser.parse_args(argv)
    if not args.site.is_dir():
        parser.error(f"{args.site} not found: write it with bench/generate.py --pages 5000")

    texts = load_pages(args.site, args.pages)
    n = len(texts)
    best_cpu: dict[str, float] = {}
    best_wall: dict[str, float] = {}
    totals = []
    for i in range(max(1, args.repeat)):
        if args.digest is not None and i == 0:
            with args.digest.open("w", encoding="utf-8") as out:
                cpu, wall = run_once(texts, out)
        else:
            cpu, wall = run_once(texts)
        totals.append((sum(cpu.values()), sum(wall.values())))
        for k in cpu:
            best_cpu[k] = min(best_cpu.get(k, cpu[k]), cpu[k])
            best_wall[k] = min(best_wall.get(k, wall[k]), wall[k])

    print(f"{n} pages from {args.site}, {len(totals)} run(s), best per stage, ms/page")
    print(f"{'cpu':>8} {'wall':>8}  stage")
    for k, v in sorted(best_cpu.items(), key=lambda kv: -kv[1]):
        print(f"{v / n * 1e3:8.3f} {best_wall[k] / n * 1e3:8.3f}  {k}")
    c, w = sum(best_cpu.values()), sum(best_wall.values())
    print(f"{c / n * 1e3:8.3f} {w / n * 1e3:8.3f}  total of best stages ({c:.2f} s cpu, {w:.2f} s wall)")
    for i, (c, w) in enumerate(totals, 1):
        print(f"run {i}: {c / n * 1e3:.3f} ms/page cpu, {w / n * 1e3:.3f} ms/page wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
