#!/usr/bin/env python3
"""Write a synthetic government-like website (TRS-style) to a folder, for the benchmark.

Deterministic for a given --seed and --pages. The site works under any host name: every
link is relative or root-relative, so nginx can serve it on 127.0.0.1 and govscan can reach
it under a .gov.cn name with --connect-to while linkinator and linkchecker use the IP.

Shape (what a TRS/WCM portal looks like from outside):

- ``/index.html``: homepage with the site meta tags, navigation, a box of the latest items
  of every column (dated), footer with the identity marks (document.write'd conac badge);
- ``/<section>/index.html``: a section page listing its columns;
- ``/<section>/<column>/index.html``, ``index_1.html`` ... ``index_N.html``: list pages of 20
  dated items with ``createPageHTML(N, cur, "index", "html")`` and the same pagination as
  plain links (first, previous, a window of numbers, next, last);
- ``/<section>/<column>/<YYYYMM>/t<YYYYMMDD>_<id>.html``: articles with ArticleTitle,
  PubDate and ContentSource meta tags, body paragraphs, an image ``W0...png`` (most of them),
  an attachment ``P0...pdf`` (some), related articles, previous/next article;
- a few dead links: missing attachments, missing related articles, an old column link.

``--pages`` counts HTML pages (homepage, section, list and article pages). A manifest.json
in the output folder gives the counts actually written (pages, files, link occurrences,
distinct link targets, dead targets).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import struct
import sys
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SITE_NAME = "青山市人民政府门户网站"
SITE_DOMAIN = "www.bench.gov.cn"
SITE_CODE = "3399000001"
AS_OF = date(2026, 6, 30)  # the newest item; scan with --as-of this date
PER_LIST = 20
PAGE_WINDOW = 5  # numbered pagination links either side of the current list page

SECTIONS = (
    ("xwzx", "新闻中心", ("ywdt:要闻动态", "bmdt:部门动态", "jcdt:基层动态", "tpxw:图片新闻", "mtgz:媒体关注")),
    ("zwgk", "政务公开", ("tzgg:通知公告", "zcwj:政策文件", "zcjd:政策解读", "gfxwj:规范性文件", "rsxx:人事信息",
                      "ghjh:规划计划", "czyjs:财政预决算", "tjsj:统计数据", "zdxm:重点项目", "zfcg:政府采购")),
    ("hdjl", "互动交流", ("hygq:回应关切", "yjzj:意见征集", "zxft:在线访谈")),
    ("bsfw", "办事服务", ("bszn:办事指南", "ggfw:公共服务")),
)

PHRASES = (
    "为深入贯彻落实党中央、国务院决策部署", "进一步优化营商环境", "切实保障人民群众生命财产安全",
    "现将有关事项通知如下", "各区县人民政府，市直各单位", "坚持以人民为中心的发展思想",
    "加快推进数字政府建设", "全面提升政务服务效能", "严格落实安全生产责任制", "统筹推进疫情防控和经济社会发展",
    "持续深化放管服改革", "着力解决群众急难愁盼问题", "扎实做好民生保障工作", "推动高质量发展取得新成效",
    "加强组织领导，压实工作责任", "各地各部门要高度重视", "认真抓好贯彻落实", "及时报送工作进展情况",
    "本通知自印发之日起施行", "请结合实际认真组织实施", "会议强调", "会议指出", "据统计",
    "同比增长百分之八点五", "完成年度目标任务的百分之六十二", "市政府常务会议审议通过",
)
SOURCES = ("市政府办公室", "市发展和改革委员会", "市应急管理局", "市教育局", "市财政局", "市人力资源和社会保障局",
           "市自然资源和规划局", "市生态环境局", "市住房和城乡建设局", "市交通运输局", "市卫生健康委员会", "市统计局")
TOPICS = ("安全生产", "森林防火", "防汛抗旱", "营商环境", "数字经济", "乡村振兴", "生态环境保护", "城市更新",
          "就业创业", "养老服务", "义务教育", "医疗保障", "交通运输", "招商引资", "科技创新", "文明城市创建")
KINDS = ("关于做好{y}年{t}工作的通知", "关于印发{t}实施方案的通知", "{t}工作推进会召开", "我市{t}工作取得新进展",
         "关于开展{y}年{t}专项检查的通知", "《关于加快{t}的若干意见》政策解读", "关于{t}有关事项的公示",
         "市领导调研{t}工作", "{y}年{t}工作要点", "关于征集{t}意见建议的公告")


def tiny_png(seed: int) -> bytes:
    """A valid 1x1 PNG whose colour depends on ``seed``."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"\x00" + bytes(((seed * 37) & 255, (seed * 91) & 255, (seed * 53) & 255))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def tiny_pdf(title: str) -> bytes:
    text = title.encode("utf-8", "replace")[:60].hex().encode()
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + text + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass
class Article:
    column: "Column"
    id: int
    day: date
    title: str
    source: str
    image: bool
    attachment: bool
    dead_attachment: bool = False
    dead_related: bool = False

    @property
    def month_dir(self) -> str:
        return self.day.strftime("%Y%m")

    @property
    def name(self) -> str:
        return f"t{self.day:%Y%m%d}_{self.id}.html"

    @property
    def path(self) -> str:  # root-relative
        return f"/{self.column.path}/{self.month_dir}/{self.name}"

    @property
    def image_name(self) -> str:
        return f"W0{self.day:%Y%m%d}{self.id:08d}.png"

    @property
    def attachment_name(self) -> str:
        return f"P0{self.day:%Y%m%d}{self.id:08d}.pdf"


@dataclass
class Column:
    section: str
    section_name: str
    slug: str
    name: str
    articles: list[Article] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.section}/{self.slug}"

    @property
    def list_pages(self) -> int:
        return max(1, math.ceil(len(self.articles) / PER_LIST))


def plan(pages: int, seed: int) -> list[Column]:
    """Columns and their articles so that the site has at least ``pages`` HTML pages."""
    rng = random.Random(seed)
    base = [(s, sname, *c.split(":")) for s, sname, cols in SECTIONS for c in cols]
    n_columns = max(1, min(len(base), pages // 30), round(pages / 250))
    columns: list[Column] = []
    for i in range(n_columns):
        section, sname, slug, name = base[i % len(base)]
        k = i // len(base)
        columns.append(Column(section, sname, slug if k == 0 else f"{slug}{k}", name if k == 0 else f"{name}（{k}）"))
    fixed = 3 + len(SECTIONS)  # homepage, site map, conac page and section pages
    remaining = max(pages - fixed, n_columns * 2)
    # articles A per column, list pages ceil(A/20): A + A/20 ≈ remaining / columns
    per_column = remaining / n_columns
    counts = [int(per_column * PER_LIST / (PER_LIST + 1))] * n_columns
    total = lambda: sum(c + max(1, math.ceil(c / PER_LIST)) for c in counts)  # noqa: E731
    i = 0
    while total() < remaining:
        counts[i % n_columns] += 1
        i += 1
    next_id = 100000
    for column, count in zip(columns, counts):
        # newest item of a column: within the last 40 days; older ones spread back ~2 years
        day = AS_OF - timedelta(days=rng.randint(0, 40))
        for _ in range(count):
            next_id += rng.randint(1, 9)
            topic = rng.choice(TOPICS)
            title = rng.choice(KINDS).format(y=day.year, t=topic)
            article = Article(column, next_id, day, title, rng.choice(SOURCES),
                              image=rng.random() < 0.6, attachment=rng.random() < 0.25)
            r = rng.random()
            if article.attachment and r < 0.01:
                article.dead_attachment = True
            elif r > 0.995:
                article.dead_related = True
            column.articles.append(article)
            day -= timedelta(days=rng.randint(0, 6))
    return columns


# ------------------------------------------------------------------ markup

def head(title: str, extra_meta: str = "", scripts: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1">
<meta name="SiteName" content="{SITE_NAME}">
<meta name="SiteDomain" content="{SITE_DOMAIN}">
<meta name="SiteIDCode" content="{SITE_CODE}">
{extra_meta}<title>{title}</title>
<link rel="stylesheet" type="text/css" href="/css/style.css">
{scripts}</head>
<body>
"""


def nav(columns: list[Column]) -> str:
    items = "".join(f'<li><a href="/{s}/index.html">{name}</a></li>' for s, name, _ in SECTIONS)
    firsts = "".join(f'<li><a href="/{c.path}/index.html">{c.name}</a></li>' for c in columns[:8])
    return f"""<div class="top-bar"><div class="w1200"><span class="today">{SITE_NAME}</span></div></div>
<div class="header w1200"><a class="logo" href="/"><img src="/images/logo.png" alt="{SITE_NAME}"></a></div>
<div class="nav"><ul class="w1200"><li><a href="/">首页</a></li>{items}</ul><ul class="sub w1200">{firsts}</ul></div>
"""


FOOTER = f"""<div class="footer">
  <div class="w1200 clearfix">
    <div class="footer-conac"><script type="text/javascript">document.write('<span id="_ideConac"></span>');</script><a href="/conac/show.html"><img src="/images/red.png" alt="党政机关网站标识" title="党政机关"></a></div>
    <div class="footer-info">
      <p><a href="/">网站首页</a> | <a href="/hdjl/index.html">联系我们</a> | <a href="/wzdt/index.html">网站地图</a></p>
      <p>主办单位：青山市人民政府办公室　承办单位：青山市大数据发展管理局</p>
      <p>地址：浙江省青山市人民大道1号　邮编：310099　联系电话：0571-87000000</p>
      <p>浙ICP备12345678号　<img src="/images/ga.png" alt="">浙公网安备 33010002000001号　网站标识码：{SITE_CODE}</p>
    </div>
  </div>
</div>
</body>
</html>
"""


def list_name(i: int) -> str:
    return "index.html" if i == 0 else f"index_{i}.html"


def pagination(column: Column, current: int) -> str:
    n = column.list_pages
    if n == 1:
        return ""
    parts = [f'<a href="{list_name(0)}">首页</a>']
    if current > 0:
        parts.append(f'<a href="{list_name(current - 1)}">上一页</a>')
    for i in range(max(0, current - PAGE_WINDOW), min(n, current + PAGE_WINDOW + 1)):
        parts.append(f"<span>{i + 1}</span>" if i == current else f'<a href="{list_name(i)}">{i + 1}</a>')
    if current < n - 1:
        parts.append(f'<a href="{list_name(current + 1)}">下一页</a>')
    parts.append(f'<a href="{list_name(n - 1)}">尾页</a>')
    return " ".join(parts)


def list_page(column: Column, columns: list[Column], current: int) -> str:
    items = column.articles[current * PER_LIST:(current + 1) * PER_LIST]
    lis = "\n".join(
        f'    <li><a href="./{a.month_dir}/{a.name}" title="{a.title}" target="_blank">{a.title}</a>'
        f"<span>{a.day.isoformat()}</span></li>" for a in items)
    meta = (f'<meta name="ColumnName" content="{column.name}">\n<meta name="ColumnDescription" content="{column.name}">\n'
            f'<meta name="ColumnKeywords" content="{column.name}">\n<meta name="ColumnType" content="列表">\n')
    return (head(f"{column.name}_{SITE_NAME}", meta, '<script type="text/javascript" src="/js/page.js"></script>\n')
            + nav(columns)
            + f"""<div class="crumbs w1200">当前位置：<a href="/">首页</a> &gt; <a href="../index.html">{column.section_name}</a> &gt; <span>{column.name}</span></div>
<div class="w1200 column">
  <div class="column-title"><h2>{column.name}</h2></div>
  <ul class="list">
{lis}
  </ul>
  <div class="page">
    <script type="text/javascript">createPageHTML({column.list_pages}, {current}, "index", "html");</script>
    <div class="page-links">{pagination(column, current)}</div>
  </div>
</div>
""" + FOOTER)


def article_page(article: Article, index: int, columns: list[Column], rng: random.Random) -> str:
    column = article.column
    paras = []
    for _ in range(rng.randint(4, 9)):
        paras.append("<p>" + "，".join(rng.choice(PHRASES) for _ in range(rng.randint(3, 7))) + "。</p>")
    if article.image:
        paras.insert(2, f'<p style="text-align:center"><img src="./{article.image_name}" alt="{article.title}" '
                        f'style="border-width:0px;"></p>')
    attach = ""
    if article.attachment:
        attach = (f'<div class="attach"><a href="./{article.attachment_name}" target="_blank">'
                  f"附件：{article.title}.pdf</a></div>")
    siblings = column.articles
    related = [siblings[(index + k) % len(siblings)] for k in (3, 7, 11) if len(siblings) > k]
    rel = "".join(f'<li><a href="{r.path}">{r.title}</a></li>' for r in related)
    if article.dead_related:
        rel += f'<li><a href="/{column.path}/{article.month_dir}/t{article.day:%Y%m%d}_{article.id + 900000}.html">已删除的文章</a></li>'
    prev_next = ""
    if index + 1 < len(siblings):
        prev_next += f'<a href="{siblings[index + 1].path}">上一篇：{siblings[index + 1].title}</a>'
    if index > 0:
        prev_next += f'<a href="{siblings[index - 1].path}">下一篇：{siblings[index - 1].title}</a>'
    meta = (f'<meta name="ColumnName" content="{column.name}">\n<meta name="ColumnType" content="{column.name}">\n'
            f'<meta name="ArticleTitle" content="{article.title}">\n'
            f'<meta name="PubDate" content="{article.day.isoformat()} {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}">\n'
            f'<meta name="ContentSource" content="{article.source}">\n<meta name="Keywords" content="">\n'
            f'<meta name="Url" content="./{article.name}">\n')
    body = "\n".join(paras)
    return (head(article.title, meta) + nav(columns)
            + f"""<div class="crumbs w1200">当前位置：<a href="/">首页</a> &gt; <a href="../../index.html">{column.section_name}</a> &gt; <a href="../index.html">{column.name}</a></div>
<div class="article w1200">
  <h1 class="article-title">{article.title}</h1>
  <div class="article-info"><span>发布时间：{article.day.isoformat()}</span><span>来源：{article.source}</span><span>字号：[ <a href="javascript:void(0)" onclick="doZoom(18)">大</a> <a href="javascript:void(0)" onclick="doZoom(16)">中</a> <a href="javascript:void(0)" onclick="doZoom(14)">小</a> ]</span></div>
  <div class="article-body">
    <div class="TRS_Editor">
{body}
    </div>
    {attach}
  </div>
  <div class="prev-next">{prev_next}</div>
  <div class="related"><h3>相关链接</h3><ul>{rel}</ul></div>
</div>
""" + FOOTER)


def section_page(section: str, name: str, columns: list[Column]) -> str:
    mine = [c for c in columns if c.section == section]
    boxes = "\n".join(
        f'<div class="box"><div class="box-title"><h2>{c.name}</h2><a class="more" href="./{c.slug}/index.html">更多&gt;&gt;</a></div></div>'
        for c in mine)
    meta = f'<meta name="ColumnName" content="{name}">\n<meta name="ColumnType" content="栏目首页">\n'
    return (head(f"{name}_{SITE_NAME}", meta) + nav(columns)
            + f'<div class="crumbs w1200">当前位置：<a href="/">首页</a> &gt; <span>{name}</span></div>\n'
            + f'<div class="w1200 section">\n{boxes}\n</div>\n' + FOOTER)


def sitemap_page(columns: list[Column]) -> str:
    lis = "".join(f'<li><a href="/{c.path}/index.html">{c.section_name} - {c.name}</a></li>' for c in columns)
    return (head(f"网站地图_{SITE_NAME}", '<meta name="ColumnName" content="网站地图">\n') + nav(columns)
            + f'<div class="w1200 sitemap"><ul>{lis}</ul></div>\n' + FOOTER)


def homepage(columns: list[Column]) -> str:
    boxes = []
    for c in columns[:24]:
        lis = "".join(f'<li><a href="/{c.path}/{a.month_dir}/{a.name}" target="_blank">{a.title}</a>'
                      f"<span>{a.day.isoformat()}</span></li>" for a in c.articles[:6])
        boxes.append(f'<div class="box"><div class="box-title"><h2>{c.name}</h2>'
                     f'<a class="more" href="/{c.path}/index.html">更多&gt;&gt;</a></div><ul class="list">{lis}</ul></div>')
    more = "".join(f'<li><a href="/{c.path}/index.html">{c.name}</a></li>' for c in columns)
    return (head(SITE_NAME, '<meta name="keywords" content="青山市,青山市人民政府">\n'
                            '<meta name="description" content="青山市人民政府门户网站">\n')
            + nav(columns)
            + '<div class="w1200 home">\n<div class="banner"><img src="/images/banner.png" alt="美丽青山"></div>\n'
            + "\n".join(boxes)
            + f'\n<div class="box quick"><ul class="icons"><li><a href="/old/zcwj.html">政策文件库</a></li></ul></div>'
            + f'\n<div class="all-columns"><ul>{more}</ul></div>\n</div>\n' + FOOTER)


PAGE_JS = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount <= 1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0) document.write("<span>首页</span> ");
  else document.write("<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a> ");
}
"""
CSS = "body{font:14px/1.6 'Microsoft YaHei',sans-serif}.w1200{width:1200px;margin:0 auto}\n"


def count_links(html: str) -> int:
    return html.count(' href="') + html.count(' src="') - html.count('href="javascript:')


def generate(out: Path, pages: int, seed: int) -> dict:
    rng = random.Random(seed + 1)
    columns = plan(pages, seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    stats = {"pages": 0, "files": 0, "link_occurrences": 0, "bytes": 0}
    dead: set[str] = {"/old/zcwj.html"}
    targets: set[str] = set()

    def write(rel: str, data: str | bytes, is_page: bool) -> None:
        path = out / rel.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path.write_bytes(raw)
        stats["files"] += 1
        stats["bytes"] += len(raw)
        if is_page:
            stats["pages"] += 1
            stats["link_occurrences"] += count_links(data)  # type: ignore[arg-type]
        targets.add(rel if rel.startswith("/") else "/" + rel)

    write("/index.html", homepage(columns), True)
    write("/robots.txt", "User-agent: *\nDisallow: /private/\n", False)
    write("/css/style.css", CSS, False)
    write("/js/page.js", PAGE_JS, False)
    for i, name in enumerate(("logo", "banner", "red", "ga")):
        write(f"/images/{name}.png", tiny_png(i), False)
    for section, name, _ in SECTIONS:
        write(f"/{section}/index.html", section_page(section, name, columns), True)
    write("/wzdt/index.html", sitemap_page(columns), True)
    write("/conac/show.html", head("党政机关网站标识") + "<p>党政机关</p>\n</body>\n</html>\n", True)
    for column in columns:
        for i in range(column.list_pages):
            write(f"/{column.path}/{list_name(i)}", list_page(column, columns, i), True)
        for index, article in enumerate(column.articles):
            write(article.path, article_page(article, index, columns, rng), True)
            folder = f"/{column.path}/{article.month_dir}/"
            if article.image:
                write(folder + article.image_name, tiny_png(article.id), False)
            if article.attachment:
                if article.dead_attachment:
                    dead.add(folder + article.attachment_name)
                else:
                    write(folder + article.attachment_name, tiny_pdf(article.title), False)
            if article.dead_related:
                dead.add(f"/{column.path}/{article.month_dir}/t{article.day:%Y%m%d}_{article.id + 900000}.html")
    manifest = {
        "seed": seed, "requested_pages": pages, "as_of": AS_OF.isoformat(), "site_domain": SITE_DOMAIN,
        "columns": len(columns), **stats, "distinct_targets": len(targets - {"/robots.txt"}) + len(dead),
        "dead_targets": sorted(dead),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="HTML pages to write (default 5000)")
    parser.add_argument("--seed", type=int, default=20260630)
    parser.add_argument("--out", type=Path, default=None, help="folder (default bench/.sites/<pages>)")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / ".sites" / str(args.pages)
    manifest = generate(out, args.pages, args.seed)
    summary = {k: v for k, v in manifest.items() if k != "dead_targets"}
    summary["dead_targets"] = len(manifest["dead_targets"])
    print(json.dumps({"out": str(out), **summary}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
