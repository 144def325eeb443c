"""A sample run report for reporter tests, built with the real Report/SiteResult/Finding code.

Three sites: a portal with ordinary problems (dead links, stale and empty columns), a county
site decoded from GBK whose pages are hostile (script, attribute and javascript: injections),
and a clean department site.
"""

from __future__ import annotations

from typing import Any

from govscan.model import Finding, fingerprint
from govscan.report import CrawlStats, Report, SiteResult, Verdict

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_ATTR = '" onerror="alert(1)'
HOSTILE_URL = "javascript:alert(1)"
HOSTILE_MESSAGE = f"页面含暗链：{HOSTILE_SCRIPT}{HOSTILE_ATTR} | 博彩\x08推广"
GBK_TITLE = "县政府信息公开_某某县人民政府（GBK编码页面·政務公開）"
HOSTILE_SITE_NAME = "某某县人民政府[bold red]"


def finding(site_id: str, rule: str, title: str, url: str, message: str, *, level: str = "error",
            found_on: tuple[str, ...] = (), evidence: dict[str, Any] | None = None,
            key: str = "") -> Finding:
    return Finding(url=url, rule=rule, fingerprint=fingerprint(rule, site_id, url, key), level=level,
                   title=title, message=message, found_on=found_on, evidence=evidence or {})


def _bozhou() -> SiteResult:
    home = "https://www.bozhou.gov.cn/"
    pages = tuple(f"{home}news/{i}.html" for i in range(7))
    dead = finding("bozhou", "dead-link", "链接不可用", f"{home}old/notice.html", "链接不可用：HTTP 404",
                   found_on=(home, *pages), evidence={"status": 404, "element": ["a[href]"],
                                                     "on_homepage": True, "link_text": ["通知公告"]})
    stale = [
        finding("bozhou", "column-stale", "栏目不更新", f"{home}col/col{n}/index.html",
                f"栏目“{name}”最近更新于 {date}，超过 {days} 天未更新",
                evidence={"column": name, "newest": date, "limit_days": days, "class": cls})
        for n, name, date, days, cls in ((11, "通知公告", "2023-01-05", 180, "通知公告"),
                                         (12, "政策文件", "2022-11-30", 180, "政策文件"),
                                         (13, "通知公告", "2022-12-01", 180, "通知公告"))
    ]
    stale.append(finding("bozhou", "column-stale", "栏目不更新", f"{home}col/col14/index.html",
                         "栏目最近更新已超过 365 天", evidence={"newest": "2022-01-01"}))
    empty = finding("bozhou", "column-empty", "空白栏目", f"{home}col/col20/index.html",
                    "栏目“人事信息”没有内容（显示“建设中”）",
                    evidence={"column": "人事信息", "placeholder": "建设中"})
    tags = finding("bozhou", "missing-page-tags", "页面标签缺失", pages[0], "缺少 ArticleTitle、PubDate 标签",
                   level="warning", evidence={"missing": ["ArticleTitle", "PubDate"]})
    emblem = finding("bozhou", "emblem-usage", "国徽国旗使用提示", f"{home}images/guohui.png",
                     "图片疑似国徽，请人工核对是否符合 GB 15093", level="info", found_on=(home,),
                     evidence={"alt": "国徽", "selector": "div.header > img"})
    return SiteResult(
        id="bozhou", name="亳州市人民政府", url=home, kind="portal", owner="亳州市人民政府办公室",
        final_url=home,
        crawl=CrawlStats(pages=120, links_checked=860, duration_s=42.5,
                         skipped=[{"url": f"{home}admin/", "reason": "robots.txt 禁止抓取"}],
                         redirects=[{"url": "http://www.bozhou.gov.cn/", "chain": [home]}]),
        verdict=Verdict(qualified=True, score=87.5, deductions=[
            {"indicator": "链接可用性", "points": 1.0, "fingerprints": [dead.fingerprint]},
            {"indicator": "栏目不更新", "rule": "column-stale", "points": 11.5, "uncapped": 14.0,
             "fingerprints": [f.fingerprint for f in stale]},
        ]),
        findings=[dead, *stale, empty, tags, emblem],
    )


def _county() -> SiteResult:
    home = "http://www.mouxian.gov.cn/"
    spam = finding("mouxian", "spam-injection", "暗链及违规内容", HOSTILE_URL, HOSTILE_MESSAGE,
                   found_on=("javascript:alert(document.cookie)", f'{home}a.html{HOSTILE_ATTR}',
                             f"{home}xxgk/index.html"),
                   evidence={"snippet": HOSTILE_SCRIPT, "attr": HOSTILE_ATTR, "title": GBK_TITLE,
                             "charset": "gbk", "nested": {"img": ["<img src=x onerror=alert(1)>"]},
                             "style": "</style><style>@import url(http://evil.example/x.css)</style>"})
    stale_home = finding("mouxian", "homepage-stale", "首页不更新", home,
                         "首页最近一条信息发布于 2024-01-02，超过 14 天未更新",
                         evidence={"newest": "2024-01-02", "title": GBK_TITLE})
    unreachable_img = finding("mouxian", "dead-link", "链接不可用", "http://img.example.com/a.png",
                              "图片不可用：请求超时", evidence={"error": "timeout"},
                              found_on=(home,), level="warning")
    return SiteResult(
        id="mouxian", name=HOSTILE_SITE_NAME, url=home, kind="portal", owner="某某县人民政府办公室",
        final_url="http://www.mouxian.gov.cn/index.shtml",
        crawl=CrawlStats(pages=35, links_checked=210, duration_s=8.25, truncated=True,
                         skipped=[{"url": "javascript:void(0)", "reason": "非HTTP链接"},
                                  {"url": f"{home}search?q=1", "reason": "超出最大深度"}]),
        verdict=Verdict(qualified=False, score=72.0, vetoes=[
            {"item": "暗链及违规内容", "rule": "spam-injection", "title": "暗链及违规内容",
             "fingerprints": [spam.fingerprint]},
            {"item": "homepage-stale", "title": "首页不更新", "fingerprints": [stale_home.fingerprint]},
        ]),
        findings=[spam, stale_home, unreachable_img],
        errors=[{"rule": "wrong-expression", "url": home, "error": f"ValueError: {HOSTILE_SCRIPT}"}],
    )


def _clean() -> SiteResult:
    return SiteResult(id="jyj", name="亳州市教育局", url="https://jyj.bozhou.gov.cn/", kind="department",
                      owner="亳州市教育局", crawl=CrawlStats(pages=12, links_checked=40, duration_s=3.0),
                      verdict=Verdict(qualified=True, score=100.0))


def sample_report(*, complete: bool = True) -> dict[str, Any]:
    """The canonical dict of a three-site run (``Report.to_dict()``)."""
    report = Report(sites=[_bozhou(), _county(), _clean()], started_at="2024-03-01T09:00:00+08:00",
                    finished_at="2024-03-01T09:05:12+08:00", as_of="2024-03-01", complete=complete,
                    options={"max_pages": 3000, "ignore_robots": False, "formats": ["html", "json"]})
    return report.to_dict()


def empty_report() -> dict[str, Any]:
    return Report(sites=[], started_at="2024-03-01T09:00:00+08:00",
                  finished_at="2024-03-01T09:00:01+08:00", as_of="2024-03-01", complete=True).to_dict()
