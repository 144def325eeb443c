"""Cost of the content rules per typical ~30 KB page, with the full lexicons loaded.

    python bench/content_rules.py [--pages 200] [--extra-terms 5000]

Prints the one-time compile cost, the shared parse (tree, visible text, links: paid once per
page for every rule), the keyword matching alone, and each content rule's cost per page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from govscan.config import load
from govscan.model import Context
from govscan.page import Page
from govscan.rules import registry
from govscan.text import compile_matcher, load_lexicon

CONTENT_RULES = ("spam-injection", "hidden-link", "commercial-ad", "suspicious-script", "wrong-expression",
                 "map-review-number", "emblem-usage")
WORDS = ("政府信息公开 国务院办公厅 关于印发 实施方案 的通知 各乡镇人民政府 区政府各部门 为深入贯彻落实 "
         "党中央 国务院决策部署 进一步优化营商环境 推动高质量发展 结合我区实际 制定本方案 管理 专项行动 "
         "市场监督管理局 生态环境局 自然资源局 卫生健康委员会 教育局 "
         "发布时间 2026-11-10 来源 区政府办公室 浏览次数 字号 大 中 小 打印 关闭").split()
# Legitimate text that resembles the lexicons: the matcher finds terms and context rules must decide.
LOOKALIKE = WORDS + "体育彩票 打击网络赌博 扫黄打非 福利彩票销售".split()


def make_page(seed: int, size: int = 30_000, words: list[str] = WORDS) -> str:
    rnd = random.Random(seed)
    nav = "".join(f'<li><a href="/col/col{i}/index.html">栏目{i}</a></li>' for i in range(40))
    related = "".join(f'<li><a href="/art/2026/11/{i % 28 + 1}/art_{seed}_{i}.html">{"".join(rnd.choices(words, k=4))}</a>'
                      f'<span>2026-11-{i % 28 + 1:02d}</span></li>' for i in range(30))
    head = (f'<html><head><meta charset="utf-8"><title>关于印发某区实施方案的通知_某区人民政府</title>'
            f'<meta name="SiteName" content="某区人民政府"><meta name="ArticleTitle" content="关于印发实施方案的通知">'
            f'<meta name="PubDate" content="2026-11-10 09:30"><style>.hide{{display:none}} .nav li{{float:left}}</style>'
            f'</head><body><div class="nav"><ul>{nav}</ul></div><div class="TRS_Editor">')
    tail = (f'</div><img src="/images/guohui.png" alt="国徽"><ul class="related">{related}</ul>'
            f'<div class="footer">主办单位：某区人民政府办公室 网站标识码：3301000001 浙ICP备12345678号'
            f'<script>var _hmt=_hmt||[];(function(){{var hm=document.createElement("script");}})();</script></div></body></html>')
    body = []
    while len((head + "".join(body) + tail).encode()) < size:
        body.append("<p>" + "".join(rnd.choices(words, k=rnd.randint(20, 60))) + "。</p>")
    return head + "".join(body) + tail


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--extra-terms", type=int, default=5000)
    args = parser.parse_args()
    cfg = load(None, ("http://www.example.gov.cn/",), as_of=dt.date(2026, 11, 20))
    ctx = Context(site=cfg.sites[0].info(), as_of=cfg.as_of)
    rules = registry()

    started = time.perf_counter()
    entries = [(row[0], "spam") for row in load_lexicon("spam") if row]
    entries += [(row[0], "wrong") for row in load_lexicon("wrong-expressions") if row]
    rnd = random.Random(1)
    entries += [("".join(rnd.choices("赌博彩票娱乐城真人视讯百家乐棋牌代开发票外挂私服", k=4)) + str(i), "extra")
                for i in range(args.extra_terms)]
    matcher = compile_matcher(tuple(entries))
    compile_ms = (time.perf_counter() - started) * 1000
    print(f"lexicon entries: {len(entries)} (compiled once in {compile_ms:.1f} ms)")

    for label, words in (("typical page", WORDS), ("look-alike page (legitimate text resembling the lexicons)", LOOKALIKE)):
        print(f"--- {label}")
        measure([make_page(i, words=words) for i in range(args.pages)], matcher, cfg, ctx, rules, args)


def measure(pages, matcher, cfg, ctx, rules, args) -> None:
    parse, match, per_rule = [], [], {r: [] for r in CONTENT_RULES}
    for i, html in enumerate(pages):
        page = Page.from_html(f"http://www.example.gov.cn/art/{i}.html", html)
        t = time.perf_counter()
        _ = page.tree, page.visible_text, page.links, page.title, page.meta
        parse.append(time.perf_counter() - t)
        t = time.perf_counter()
        matcher.search(page.title + " " + page.visible_text)
        match.append(time.perf_counter() - t)
        for rule_id in CONTENT_RULES:
            rule = rules[rule_id]
            t = time.perf_counter()
            list(rule.check(page, cfg.rules[rule_id].options, ctx) or ())
            per_rule[rule_id].append(time.perf_counter() - t)

    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"pages: {args.pages} of {statistics.mean(len(p.encode()) for p in pages) / 1024:.1f} KiB")
    print(f"shared parse (tree, visible text, links): {ms(parse):.3f} ms/page (median)")
    print(f"keyword matching alone (normalise + automaton): {ms(match):.3f} ms/page")
    total = [sum(per_rule[r][i] for r in CONTENT_RULES) for i in range(args.pages)]
    for rule_id in CONTENT_RULES:
        print(f"  {rule_id:20s} {ms(per_rule[rule_id]):.3f} ms/page")
    print(f"content rules together: {ms(total):.3f} ms/page (median), {max(total) * 1000:.3f} ms worst")


if __name__ == "__main__":
    main()
