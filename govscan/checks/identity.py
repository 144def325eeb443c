"""Identity: the footer marks every government homepage must show (网站标识码, ICP备案,
公安机关备案, 党政机关标识, 主办单位 and contact) and its link to the parent portal.

The homepage is searched together with what it loads from its own host — HTML written by
its inline scripts, same-site scripts (document.write footers), frames and includes — so a
footer written by a script counts. Evidence names the source each mark came from.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator, Sequence
from urllib.parse import urlsplit

from govscan.extract.identity import loaded_sources, simplify
from govscan.extract.zh import to_simplified
from govscan.facts import HomeSource, SiteFacts
from govscan.model import Context, Hit
from govscan.rules import rule
from govscan.urls import host_of, normalize

_BASIS_47 = "《政府网站发展指引》（国办发〔2017〕47号）网页设计规范：底部功能区应列明党政机关网站标识、网站标识码、ICP备案编号、公安机关备案标识、主办单位、联系方式"
_PROVINCES = "京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川蜀贵黔云滇藏陕秦甘陇青宁新蒙内"
_VIA = {"homepage": "首页", "inline-script": "首页脚本写入", "script": "同站脚本", "frame": "框架页", "include": "引入片段"}


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


def _where(source: HomeSource) -> dict[str, str]:
    return {"url": source.url, "via": source.via, "via_zh": _VIA.get(source.via, source.via)}


def _searched(sources: Sequence[HomeSource]) -> list[dict[str, str]]:
    return [_where(s) for s in sources]


def search(sources: Sequence[HomeSource], patterns: Sequence[str]) -> tuple[str, HomeSource] | None:
    """The first match of any pattern in the sources' text (simplified Chinese), with its source."""
    for source in sources:
        text = simplify(source.text)
        for pattern in patterns:
            match = _compile(pattern).search(text)
            if match:
                return re.sub(r"\s+", "", match.group(0)) if len(match.group(0)) < 80 else match.group(0)[:80], source
    return None


def _found(value: str, source: HomeSource) -> dict[str, str]:
    return {"value": value, **_where(source)}


def _sources(facts: SiteFacts) -> list[HomeSource]:
    return loaded_sources(facts)


def _homepage(facts: SiteFacts, ctx: Context) -> str:
    return ctx.site.url


def _missing(message: str, facts: SiteFacts, ctx: Context, sources: Sequence[HomeSource], **extra) -> Hit:
    evidence = {"searched": _searched(sources), **{k: v for k, v in extra.items() if v not in (None, "", [], {})}}
    return Hit(message, url=_homepage(facts, ctx), evidence=evidence)


@rule(id="missing-site-code", title="缺少网站标识码", indicator="网站标识",
      basis=_BASIS_47 + "；网站标识码为10位数字（国务院部门为bm加8位数字）",
      scope="site", level="error",
      options={
          "patterns": [r"标识码\s*[:：]?\s*(?:bm\s*\d{8}|\d{10})(?!\d)"],
          "meta-names": ["SiteIDCode"],
          "code-pattern": r"^(?:bm\d{8}|\d{10})$",
      })
def missing_site_code(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage (with the footer its same-site scripts, frames or includes
    write) shows a 网站标识码 — 10 digits, or bm + 8 digits for 国务院部门 — or declares it in
    the SiteIDCode meta tag.

    Why it matters: 47号文 requires the site code in the footer; it identifies the site in the
    national registry and is a 网站标识 item of the inspection.
    Failing example: a footer with 主办单位 and ICP备案 but no 网站标识码.
    Passing example: 网站标识码：3301000001, 网站标识码bm05000001, or <meta name="SiteIDCode" content="3301000001">.
    Options: patterns — regexes searched in the text; meta-names — meta tags holding the code;
    code-pattern — what a valid code in a meta tag looks like.
    """
    sources = _sources(facts)
    if not sources:
        return
    if search(sources, options["patterns"]):
        return
    meta = next((s.meta for s in sources if s.via == "homepage"), {})
    bad_meta = {}
    for name in options["meta-names"]:
        value = meta.get(name.lower(), "")
        if value and _compile(options["code-pattern"]).match(value.strip()):
            return
        if value:
            bad_meta[name] = value
    jiucuo = next((s.meta.get("jiucuo-sitecode") for s in sources if s.meta.get("jiucuo-sitecode")), "")
    message = "首页未显示网站标识码（10位数字或bm加8位数字）"
    if bad_meta:
        message += f"；页面标签 {', '.join(f'{k}={v}' for k, v in bad_meta.items())} 格式不正确"
    yield _missing(message, facts, ctx, sources, invalid_meta=bad_meta, jiucuo_sitecode=jiucuo)


@rule(id="missing-icp", title="缺少ICP备案编号", indicator="网站标识",
      basis=_BASIS_47 + "；《非经营性互联网信息服务备案管理办法》：备案编号应在网站首页底部中间位置标明",
      scope="site", level="error",
      options={"patterns": [rf"[{_PROVINCES}]\s*ICP\s*备\s*\d{{4,12}}\s*号(?:\s*-\s*\d+)?"]})
def missing_icp(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage (or the footer its same-site scripts write) shows an ICP备案
    编号: 省简称 + ICP备 + number + 号, optionally -N (浙ICP备12345678号-1).

    Why it matters: the filing number must be shown at the bottom of the homepage (MIIT rule;
    47号文 footer items).
    Failing example: a footer reading only "版权所有：青山市人民政府".
    Passing example: <a href="https://beian.miit.gov.cn/">京ICP备05070218号</a>.
    Options: patterns — regexes searched in the homepage text.
    """
    sources = _sources(facts)
    if sources and not search(sources, options["patterns"]):
        yield _missing("首页未显示ICP备案编号（如“京ICP备05070218号”）", facts, ctx, sources)


@rule(id="missing-psb-filing", title="缺少公安机关备案标识", indicator="网站标识",
      basis=_BASIS_47 + "；《计算机信息网络国际联网安全保护管理办法》公安机关备案",
      scope="site", level="error",
      options={"patterns": [rf"[{_PROVINCES}]\s*公网安备\s*\d{{14}}\s*号?"]})
def missing_psb_filing(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage (or the footer its same-site scripts write) shows the public
    security filing mark: 省简称 + 公网安备 + 14 digits + 号, as text or as the badge image's alt text.

    Why it matters: 47号文 lists the 公安机关备案标识 among the footer items.
    Failing example: a footer with ICP备案 only.
    Passing example: 京公网安备 11010202000001号 linked to www.beian.gov.cn.
    Options: patterns — regexes searched in the homepage text (image alt/title included).
    """
    sources = _sources(facts)
    if sources and not search(sources, options["patterns"]):
        yield _missing("首页未显示公安机关备案标识（如“京公网安备11010202000001号”）", facts, ctx, sources)


def _host_matches(host: str, hosts: Sequence[str]) -> bool:
    return any(host == wanted or host.endswith("." + wanted) for wanted in _ascii_hosts(tuple(hosts)))


@lru_cache(maxsize=64)  # an option list, asked of every link of the homepage's sources
def _ascii_hosts(hosts: tuple[str, ...]) -> tuple[str, ...]:
    """Hosts as link hosts are compared: lower case, no trailing dot, IDNA (中央编办.政务)."""
    out = []
    for wanted in hosts:
        wanted = wanted.strip().lower().rstrip(".")
        if wanted and not wanted.isascii():
            try:
                wanted = wanted.encode("idna").decode("ascii")
            except UnicodeError:
                continue
        if wanted:
            out.append(wanted)
    return tuple(out)


@rule(id="missing-conac-mark", title="缺少党政机关网站标识", indicator="网站标识",
      basis=_BASIS_47 + "；中央编办《党政机关事业单位网站标识管理办法》：党政机关网站应在首页底部中间位置加挂党政机关网站标识",
      scope="site", level="error",
      options={"hosts": ["conac.cn", "scopsr.gov.cn", "中央编办.政务"],
               "badge-texts": ["党政机关"], "max-badge-text": 16})
def missing_conac_mark(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage carries the red 党政机关 badge: a link, image or script from
    the 中央编办 verification hosts (bszs.conac.cn, dcs.conac.cn, *.scopsr.gov.cn, 中央编办.政务),
    or an image / link labelled 党政机关 — also when a same-site script or inline
    document.write puts it there.

    Why it matters: the badge certifies the site as a government site; it is a 网站标识 item.
    Failing example: a footer with 网站标识码 and ICP but no conac link or badge.
    Passing example: <a href="https://bszs.conac.cn/sitename?method=show&id=…"><img src="red.png"></a>.
    Options: hosts — verification hosts (subdomains included); badge-texts — alt/title/link
    texts of a badge; max-badge-text — longer texts are prose, not a badge.
    """
    sources = _sources(facts)
    if not sources:
        return
    for source in sources:
        for url, tag, text in source.links:
            if _host_matches(host_of(url), options["hosts"]):
                return
            if tag in ("a", "area", "img") and text and len(text) <= options["max-badge-text"] \
                    and any(b and to_simplified(b) in to_simplified(text) for b in options["badge-texts"]):
                return
    yield _missing("首页未加挂党政机关网站标识（未见指向 conac.cn 核验页的标识或“党政机关”标识图片）",
                   facts, ctx, sources)


@rule(id="missing-sponsor", title="缺少主办单位或联系方式", indicator="网站标识",
      basis=_BASIS_47,
      scope="site", level="error",
      options={
          "sponsor-patterns": [r"主办单位\s*[:：]?\s*[\u4e00-\u9fff（）()]{2,}",
                               r"(?<![承协])主办\s*[:：]\s*[\u4e00-\u9fff（）()]{2,}",
                               r"(?<![^\s|｜©])[\u4e00-\u9fff]{2,30}(?:政府|办公厅|办公室|委员会|局|厅|委|中心|部|院|署|会)\s*主办(?![的方单])"],
          "contact-patterns": [r"(?:电话|联系方式|联系我们|热线|传真|tel)\s*[:：]?\s*(?:\+?86[-\s]?)?[(（]?\d{3,4}[)）]?[-\s]?\d{4,8}",
                               r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)",
                               r"地址\s*[:：]\s*[\u4e00-\u9fff]{4,}"],
          "contact-link-texts": [],
      })
def missing_sponsor(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage footer (or what its same-site scripts write) names the
    主办单位 and gives a contact: a telephone number or an address.

    Why it matters: 47号文 lists 主办单位 and 联系方式 among the footer items; the public must be
    able to tell who runs the site and how to reach them.
    Failing example: "版权所有：青山市人民政府" with no 主办单位; or 主办单位 without phone or address.
    Passing example: 主办单位：青山市人民政府办公室 联系电话：0571-88888888.
    Options: sponsor-patterns, contact-patterns — regexes searched in the text;
    contact-link-texts — texts of links to a contact page also accepted as the contact
    (e.g. [联系我们]; empty by default: the footer itself must give a phone number or address).
    """
    sources = _sources(facts)
    if not sources:
        return
    sponsor = search(sources, options["sponsor-patterns"])
    contact = search(sources, options["contact-patterns"])
    if contact is None and options["contact-link-texts"]:
        wanted = [to_simplified(t) for t in options["contact-link-texts"] if t]
        for source in sources:
            hit = next((text for _, tag, text in source.links
                        if tag in ("a", "area") and to_simplified(text).strip() in wanted), None)
            if hit:
                contact = (hit, source)
                break
    if sponsor and contact:
        return
    missing = [name for name, found in (("主办单位", sponsor), ("联系方式（电话或地址）", contact)) if not found]
    found = {name: _found(*hit) for name, hit in (("sponsor", sponsor), ("contact", contact)) if hit}
    yield _missing(f"首页底部未标明{'和'.join(missing)}", facts, ctx, sources, missing=missing, found=found)


def _same_portal(url: str, parent: str, accept: Sequence[str]) -> bool:
    host = host_of(url)
    if _host_matches(host, accept):
        return True
    want = urlsplit(parent)
    want_host = (want.hostname or "").lower()
    if host.removeprefix("www.") != want_host.removeprefix("www."):
        return False
    path = want.path or "/"
    if path in ("/", "") or re.search(r"/(?:index|default)\.\w+$", path):
        return True
    return (urlsplit(url).path or "/").startswith(path.rstrip("/"))


@rule(id="missing-parent-link", title="未链接上级政府门户", indicator="功能设计",
      basis="《政府网站发展指引》（国办发〔2017〕47号）：政府网站应链接上级政府门户网站；《政府网站与政务新媒体检查指标》功能设计",
      scope="site", level="warning", options={"accept-hosts": []})
def missing_parent_link(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: when the site's configuration names a parent portal (``parent``), the
    homepage links it — a link, a site-navigation <select> option, or a link written by a
    same-site script. Same host (with or without www.) counts; a parent given with a path
    must be linked under that path. Sites without a configured parent are not checked.

    Why it matters: government sites are expected to link their 上级政府门户 so that the public
    can move between levels of government.
    Failing example: parent https://www.zj.gov.cn/ configured, no link to www.zj.gov.cn on the homepage.
    Passing example: <a href="http://www.zj.gov.cn/">浙江省人民政府</a> in the footer links.
    Options: accept-hosts — other hosts accepted as the parent portal (its aliases).
    """
    parent = normalize(ctx.site.parent or "")
    sources = _sources(facts)
    if not parent or not sources:
        return
    for source in sources:
        for url, tag, _text in source.links:
            if tag in ("a", "area", "option", "iframe", "frame") and _same_portal(url, parent, options["accept-hosts"]):
                return
    yield Hit(f"首页未链接上级政府门户网站 {ctx.site.parent}", url=ctx.site.url,
              evidence={"parent": ctx.site.parent, "searched": _searched(sources)})
