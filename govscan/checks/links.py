"""Links: every link, image, script, stylesheet, frame and attachment must work."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from govscan.checks.availability import describe_failure
from govscan.model import CheckedLink, Context, Hit
from govscan.rules import rule

_LEVELS = ("error", "warning", "info", "off")
_KIND = {"a": "链接", "area": "链接", "img": "图片", "script": "脚本", "link": "样式/资源",
         "iframe": "框架页面", "frame": "框架页面", "source": "媒体", "embed": "嵌入对象",
         "video": "视频", "audio": "音频"}


@rule(id="dead-link", title="链接不可用", indicator="链接可用性",
      basis="《政府网站与政务新媒体检查指标》功能设计—可用性；《全国政府网站普查评分表》链接可用性（首页每个扣1分，其他页面每个扣0.1分）",
      scope="link", level="error",
      options={
          "status-levels": {"401": "warning", "403": "warning", "429": "info"},
          "error-levels": {},
          "soft-404-patterns": ["页面不存在", "页面未找到", "找不到页面", "找不到该页面", "您访问的页面不存在",
                                "访问的页面不存在", "页面已删除", "信息已删除", "404 Not Found", "Page Not Found",
                                "404错误", "错误404", "该页面不存在"],
          "soft-404-max-chars": 1500,
      },
      choices={"status-levels": _LEVELS, "error-levels": _LEVELS})
def dead_link(link: CheckedLink, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: a target linked from the site's pages (a, area, img, script, link, iframe,
    frame, source …) answers with HTTP < 400, without a network error or timeout, and is not a
    soft 404 (a 200 page whose title or short body says the page does not exist).

    Why it matters: broken links are deducted per link (1 point on the homepage, 0.1 elsewhere).
    Failing example: <a href="/old/notice.html"> answering 404; <img src="/logo.png"> timing out.
    Passing example: every target answers 200, or redirects to a page that does.
    Options: status-levels — level per HTTP status ("403": warning; "off" ignores it);
    error-levels — level per network error code (timeout, connect, dns, tls …);
    soft-404-patterns — phrases marking a "not found" page; soft-404-max-chars — bodies longer
    than this are not judged soft 404s by their text (only by their title).
    """
    result = link.result
    if result.skipped:
        return
    level = None
    reason = None
    if result.error:
        level = options["error-levels"].get(result.error)
        reason = describe_failure(result.status, result.error)
    elif result.status >= 400:
        level = options["status-levels"].get(str(result.status))
        reason = f"HTTP {result.status}"
    else:
        phrase = _soft_404(result.page_title, result.page_snippet, options)
        if phrase is None:
            return
        reason = f"软404（页面返回200但内容为“{phrase}”）"
    if level == "off":
        return
    kind = _KIND.get(link.refs[0].tag, "链接") if link.refs else "链接"
    pages = tuple(sorted({r.page for r in link.refs}))
    texts = sorted({r.text for r in link.refs if r.text})
    evidence = {
        "status": result.status, "error": result.error, "detail": result.error_detail,
        "soft_404": reason.startswith("软404"), "redirects": list(result.redirects),
        "final_url": result.final_url if result.final_url != result.url else None,
        "element": sorted({f"{r.tag}[{r.attr}]" for r in link.refs}), "link_text": texts[:5],
        "on_homepage": link.on_homepage, "internal": link.internal, "method": result.method,
    }
    yield Hit(f"{kind}不可用：{reason}", url=result.url, found_on=pages,
              evidence={k: v for k, v in evidence.items() if v not in (None, [])}, level=level)


def _soft_404(title: str | None, snippet: str | None, options) -> str | None:
    if not title and not snippet:  # most results: no text kept (nor needed)
        return None
    title = title or ""
    snippet = snippet or ""
    judge_snippet = len(snippet) <= options["soft-404-max-chars"]
    for phrase, pattern in _phrase_patterns(tuple(options["soft-404-patterns"])):
        if pattern.search(title) or (judge_snippet and pattern.search(snippet)):
            return phrase
    return None


@lru_cache(maxsize=64)  # one option set per run, asked for every link
def _phrase_patterns(phrases: tuple[str, ...]) -> tuple[tuple[str, re.Pattern], ...]:
    return tuple((phrase, re.compile(re.escape(phrase), re.I)) for phrase in phrases)
