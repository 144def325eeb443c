"""Review hints: wrong political and institutional expressions, maps without 审图号, emblems.

wrong-expression is a lexicon rule (严重表述错误 is a 单项否决 item when severe); the other two
point a person at images to check by eye.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import unquote, urlsplit

from selectolax.lexbor import LexborNode

from govscan.checks.security import host_matches, suffix_set
from govscan.model import Context, Hit
from govscan.page import EMBEDS, IMAGES, Page
from govscan.rules import rule
from govscan.text import compile_matcher, load_lexicon, locate, normalize, normalize_cached
from govscan.urls import normalize as normalize_url

_LEVELS = ("error", "warning", "info", "off")
SEVERITIES = ("severe", "normal")
REFORM = "机构改革"

FOREIGN_PREFIXES = ["美国", "英国", "法国", "德国", "日本", "韩国", "朝鲜", "俄罗斯", "印度", "加拿大", "澳大利亚",
                    "新西兰", "意大利", "西班牙", "葡萄牙", "荷兰", "比利时", "瑞典", "瑞士", "挪威", "芬兰", "丹麦",
                    "奥地利", "波兰", "希腊", "巴西", "阿根廷", "墨西哥", "南非", "埃及", "以色列", "土耳其", "伊朗",
                    "沙特", "新加坡", "泰国", "越南", "老挝", "柬埔寨", "缅甸", "马来西亚", "印度尼西亚", "菲律宾",
                    "巴基斯坦", "哈萨克斯坦", "蒙古国", "国外", "外国", "该国", "各国", "欧盟", "联邦"]
_DATE = re.compile(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_PUBDATE_META = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date", "date")


@lru_cache(maxsize=16)
def _wrong_matcher(lexicons: tuple[str, ...], extra: tuple, ignore: tuple):
    ignored = {normalize(w) for w in ignore}
    entries: list[tuple[str, Any]] = []
    rows = [row for name in lexicons for row in load_lexicon(name)] + list(extra)
    for row in rows:
        wrong, right, category, severity, since, exceptions = (tuple(row) + ("",) * 6)[:6]
        if not wrong or normalize(wrong) in ignored:
            continue
        if severity not in SEVERITIES:
            raise ValueError(f"wrong-expression entry {wrong!r}: severity must be severe or normal, not {severity!r}")
        entries.append((wrong, ("entry", wrong, right, category or "其他", severity, since)))
        allow = [e for e in re.split(r"[｜|]", exceptions) if e.strip()]
        if right and normalize(wrong) in normalize(right):
            allow.append(right)  # the right form contains the wrong one (李克 / 李克强)
        entries += [(e.strip(), ("allow",)) for e in allow]
    return compile_matcher(tuple(entries))


def _extra_entries(raw: Iterable[Any]) -> tuple:
    out = []
    for item in raw:
        if not isinstance(item, Mapping) or not item.get("wrong"):
            raise ValueError(f"wrong-expression extra-entries: bad entry {item!r} "
                             "(expected {wrong, right, category, severity})")
        out.append((str(item["wrong"]), str(item.get("right", "")), str(item.get("category", "自定义")),
                    str(item.get("severity", "normal")), str(item.get("since", "")),
                    "｜".join(item.get("exceptions", []) or [])))
    return tuple(out)


@lru_cache(maxsize=16)
def _prefixes(historical: tuple[str, ...], foreign: tuple[str, ...]) -> tuple[re.Pattern | None, tuple[str, ...]]:
    """(pattern of a historical prefix before a name, normalised foreign prefixes), built once
    per option set rather than per page (50 normalisations)."""
    prefixes = [normalize(p) for p in historical if p]
    # 原国土资源部, and 原四川银监局 / 原省环保局: a short place name may come between
    pattern = re.compile("(?:" + "|".join(map(re.escape, prefixes)) + r")[\u4e00-\u9fff]{0,4}$") \
        if prefixes else None
    return pattern, tuple(normalize(p) for p in foreign if p)


def page_date(page: Page) -> dt.date | None:
    """The publication date a CMS writes into meta tags (PubDate …), when there is one."""
    for key in _PUBDATE_META:
        m = _DATE.search(page.meta.get(key, ""))
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None


@rule(id="wrong-expression", title="严重表述错误", indicator="严重表述错误（严重错误单项否决）",
      basis="《政府网站与政务新媒体检查指标》单项否决：出现严重表述错误；《全国政府网站普查评分表》",
      scope="page", level="error",
      options={
          "lexicons": ["wrong-expressions"],
          "extra-entries": [],
          "ignore-entries": [],
          "severity-levels": {"normal": "warning"},
          "historical-prefixes": ["原"],
          "historical-pages": True,
          "use-pubdate": True,
          "foreign-prefixes": FOREIGN_PREFIXES,
      },
      choices={"severity-levels": _LEVELS})
def wrong_expression(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: phrases from a lexicon of wrong → right expressions in the title and text:
    misspelt state and institution names (中华人民共合国, 国务院办公庭), leaders' names and titles
    (习近乎, 以习近平为核心的党中央), improper terms for Taiwan, Hong Kong and Macao (台湾政府,
    台湾总统, 港澳台国家, 中国和台湾), deprecated political phrasing (十九大五中全会, 北朝鲜) and
    agency names abolished by the 2018 reform (国土资源部 → 自然资源部 …). Each entry has a category
    and a severity (severe / normal). Traditional characters, full-width forms and spaces are
    ignored when matching.

    Why it matters: a severe wrong expression is a 单项否决 item; others are corrected on notice.
    Failing example: "贯彻落实中华人民共合国宪法"; "会见台湾总统"; a 2023 article citing 国土资源部.
    Passing example: "原国土资源部" (a historical reference); an article whose PubDate precedes
    the reform; "美国农业部"; "农业部门"; "中华民国时期" in local history.
    Options: lexicons — bundled lexicon names (govscan/rules/lexicons/NAME.tsv) or file paths,
    columns wrong, right, category, severity, since, exceptions; extra-entries — more entries
    {wrong, right, category, severity: severe|normal, since, exceptions: [...]}; ignore-entries —
    wrong phrases to drop; severity-levels — level per severity (severe stays at the rule level
    unless mapped; "off" drops); historical-prefixes — a prefix (原) before an outdated agency name
    marks a historical reference; historical-pages — a page that writes 原X anywhere uses X
    historically throughout; use-pubdate — skip outdated names on pages published before the
    name went out of use (PubDate meta); foreign-prefixes — country words before an agency name
    (美国农业部) that make it a foreign body.
    """
    matcher = _wrong_matcher(tuple(options["lexicons"]), _extra_entries(options["extra-entries"]),
                             tuple(options["ignore-entries"]))
    historical, foreign = _prefixes(tuple(options["historical-prefixes"]), tuple(options["foreign-prefixes"]))
    published = page_date(page) if options["use-pubdate"] else None
    fields = {"title": page.title, "text": page.visible_text}
    found: dict[str, dict[str, Any]] = {}
    past: set[str] = set()
    for where, raw in fields.items():
        if not raw:
            continue
        norm = normalize_cached(raw)
        # leftmost-longest: an exception (农业部门) or a longer entry (国土资源部门) hides the
        # shorter entry inside it
        entries = [m for m in matcher.find(norm, longest=True) if m.payloads[0][0] == "entry"]
        for m in entries:
            _, wrong, right, category, severity, since = m.payloads[0]
            if category == REFORM:
                before = norm[max(0, m.start - 8):m.start]
                if historical is not None and historical.search(before):
                    if options["historical-pages"]:
                        past.add(m.term)
                    continue
                if before.endswith(foreign):
                    continue
                if published and since and published.isoformat() < since:
                    continue
            entry = found.setdefault(m.term, {"wrong": wrong, "right": right, "category": category,
                                              "severity": severity, "count": 0, "where": [], "_field": where})
            entry["count"] += 1
            if where not in entry["where"]:
                entry["where"].append(where)
    levels = options["severity-levels"]
    for term, entry in found.items():
        if term in past:
            continue
        context = locate(fields[entry.pop("_field")], [term]).get(term, "")
        evidence = {**entry, "context": context}
        if published:
            evidence["pubdate"] = published.isoformat()
        level = levels.get(entry["severity"])
        sev = "严重错误" if entry["severity"] == "severe" else "一般错误"
        yield Hit(f"“{entry['wrong']}”应为“{entry['right']}”（{entry['category']}，{sev}）",
                  evidence=evidence, key=term, level=level)


# ------------------------------------------------------------------ map-review-number

APPROVAL_PATTERN = (r"审图号|GS[\u4e00-\u9fff]?\s*\(\s*\d{4}\s*\)\s*\d+\s*号|"
                    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z]?S\s*\(\s*\d{4}\s*\)\s*\d+\s*号")
MAP_HOSTS = ["map.baidu.com", "api.map.baidu.com", "webapi.amap.com", "uri.amap.com", "ditu.amap.com", "map.qq.com",
             "tianditu.gov.cn", "maps.google.com", "maps.googleapis.com"]
_SKIP_TEXT = ("script", "style", "noscript", "template", "title")
_BLOCKS = ("p", "div", "figure", "td", "li", "center", "section", "article", "dd")


@rule(id="map-review-number", title="地图缺少审图号", indicator="人工复核（地图须标注审图号）",
      basis="《地图管理条例》第十五条、第三十五条：公开地图应当经审核并在显著位置标注审图号",
      scope="page", level="warning",
      options={
          "map-words": ["map", "maps", "ditu"],
          "map-text": ["地图", "区划图", "政区图", "地形图", "交通图", "旅游图"],
          "exclude-words": ["网站地图", "站点地图", "sitemap", "site-map", "site_map", "wzdt"],
          "map-hosts": MAP_HOSTS,
          "approval-pattern": APPROVAL_PATTERN,
          "min-size": 100,
          "text-window": 100,
      })
def map_review_number(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: map images (file name with map/ditu/地图, alt, title or caption naming a
    地图, 区划图 …) and embedded map services (Baidu, AMap, Tencent, Tianditu frames and scripts)
    with no 审图号 (GS(2019)1234号, 粤S(2020)123号, GS京(2022)0001号, "审图号：…") in the same
    container or within text-window characters of them on the page.

    Why it matters: 《地图管理条例》 requires published maps to be reviewed and to show their
    审图号; inspectors list maps without one for correction.
    Failing example: <img src="/images/qsx_ditu.jpg" alt="青山县行政区划地图"> with no 审图号 near it.
    Passing example: the same image with "审图号：青S(2021)012号" under it; a small 网站地图 icon.
    Options: map-words — file-name words marking a map; map-text — Chinese words in the file
    name, alt, title or caption; exclude-words — words that mark something else (网站地图);
    map-hosts — map services whose frames or scripts embed a map; approval-pattern — the regular
    expression of a 审图号; min-size — images whose width or height attribute is smaller are
    icons; text-window — characters of page text either side of a map searched for a 审图号.
    """
    approval = re.compile(options["approval-pattern"])
    words = _word_pattern(tuple(options["map-words"]))
    texts = _any_pattern(tuple(options["map-text"]))
    excluded = _any_pattern(tuple(w.lower() for w in options["exclude-words"]))
    minimum = int(options["min-size"])
    base = page.base_url
    maps: dict[int, tuple[LexborNode, dict[str, Any]]] = {}
    for img in page.select(IMAGES):
        attrs = img.attributes
        src = attrs.get("src") or ""
        if not src or _too_small(attrs, minimum):
            continue
        name = _file_name(src)
        alt = " ".join(filter(None, (attrs.get("alt"), attrs.get("title")))).strip()
        caption = _caption(img)
        reason = None
        if (words and words.search(name)) or (texts is not None and texts.search(name)):
            reason = "文件名"
        elif texts is not None and texts.search(alt):
            reason = "替代文字"
        elif texts is not None and texts.search(caption):
            reason = "图片说明"
        # exclusion words (网站地图) matter only for what looks like a map: most images do not
        if reason is None or excluded is not None and excluded.search(f"{name} {alt} {caption}".lower()):
            continue
        url = normalize_url(src, base)
        if url:
            maps[img.mem_id] = (img, {"element": "img", "url": url, "reason": reason, "alt": alt,
                                      "caption": caption[:80]})
    page_wide: list[dict[str, Any]] = []
    map_hosts = suffix_set(options["map-hosts"])
    for node in page.select(EMBEDS):
        attr = "data" if node.tag == "object" else "src"
        url = normalize_url(node.attributes.get(attr) or "", base)
        host = urlsplit(url).hostname if url else None
        service = host_matches(host or "", map_hosts) if host else None
        if not service:
            continue
        info = {"element": node.tag, "url": url, "reason": "嵌入地图服务", "service": service}
        if node.tag == "script":
            page_wide.append(info)  # the map is drawn elsewhere on the page by the script
        else:
            maps[node.mem_id] = (node, info)
    if not maps and not page_wide:
        return
    text, offsets = _linear_text(page, set(maps))
    numbers = [(m.start(), m.group(0)) for m in approval.finditer(text)]
    window = int(options["text-window"])
    seen: set[str] = set()
    for mem_id, (node, info) in maps.items():
        at = offsets.get(mem_id, 0)
        if any(abs(pos - at) <= window for pos, _ in numbers) or _container_has(node, approval, 3 * window):
            continue
        if info["url"] not in seen:
            seen.add(info["url"])
            yield _map_hit(info)
    if not numbers:
        for info in page_wide:
            if info["url"] not in seen:
                seen.add(info["url"])
                yield _map_hit(info)


def _map_hit(info: dict[str, Any]) -> Hit:
    what = "嵌入的地图服务" if info["reason"] == "嵌入地图服务" else "地图图片"
    return Hit(f"页面{what}附近未标注审图号，请核实", evidence={k: v for k, v in info.items() if v},
               key=info["url"])


@lru_cache(maxsize=64)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    """File-name words as one pattern (not glued to other letters), built once per option set."""
    if not words:
        return None
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w.lower()) for w in words) + r")(?![a-z])")


@lru_cache(maxsize=64)
def _any_pattern(words: tuple[str, ...]) -> re.Pattern | None:
    """A pattern that finds any of ``words`` in a text (``any(w in text for w in words)`` in
    one search); None for no words."""
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words))


@lru_cache(maxsize=4096)  # the same images (logos, badges) on every page
def _file_name(src: str) -> str:
    """The last path segment of a link as written (query and fragment cut), decoded, lower-case."""
    path = src.split("?", 1)[0].split("#", 1)[0].replace("\\", "/")
    return unquote(path.rsplit("/", 1)[-1]).lower()


def _too_small(attrs: Mapping[str, str | None], minimum: int) -> bool:
    if "width" not in attrs and "height" not in attrs:
        return False
    for attr in ("width", "height"):
        value = (attrs.get(attr) or "").strip().lower().removesuffix("px")
        if value.isdigit() and int(value) < minimum:
            return True
    return False


def _caption(img: LexborNode) -> str:
    """A figure caption, or the short text of the image's block and the block after it."""
    node = img.parent
    for _ in range(3):
        if node is None:
            return ""
        tag = node.tag
        if tag == "figure":
            cap = node.css_first("figcaption")
            return (cap.text() if cap is not None else node.text()).strip()[:120]
        if tag in _BLOCKS:
            break
        node = node.parent
    if node is None:
        return ""
    own = (node.text_lexbor() or "").strip()  # = text(deep=True), cheaper
    nxt = node.next
    while nxt is not None and not nxt.is_element_node:
        nxt = nxt.next
    after = (nxt.text_lexbor() or "").strip() if nxt is not None else ""
    return " ".join(t for t in (own if len(own) <= 60 else "", after if len(after) <= 60 else "") if t)


def _container_has(node: LexborNode, approval: re.Pattern, limit: int) -> bool:
    """A 审图号 in the map's own small container (figure, cell, caption block)."""
    parent = node.parent
    for _ in range(2):
        if parent is None or parent.tag in ("body", "html"):
            return False
        text = parent.text(deep=True) or ""
        if len(text) > limit:
            return False  # the whole article is not "the same container"
        if approval.search(unicodedata.normalize("NFKC", text)):
            return True
        parent = parent.parent
    return False


def _linear_text(page: Page, wanted: set[int]) -> tuple[str, dict[int, int]]:
    """The body text in document order (NFKC) and the offset at which each wanted element sits."""
    root = page.tree.body or page.tree.root
    parts: list[str] = []
    length = 0
    offsets: dict[int, int] = {}
    if root is None:
        return "", offsets
    for node in root.traverse(include_text=True):
        if node.tag == "-text":
            parent = node.parent
            if parent is not None and parent.tag in _SKIP_TEXT:
                continue
            piece = unicodedata.normalize("NFKC", node.text_content or "")
            parts.append(piece)
            length += len(piece)
        elif node.mem_id in wanted:
            offsets[node.mem_id] = length
    return "".join(parts), offsets


# ------------------------------------------------------------------ emblem-usage

@rule(id="emblem-usage", title="国徽国旗使用提示", indicator="人工复核（国徽、国旗使用规范）",
      basis="《中华人民共和国国徽法》《中华人民共和国国旗法》；GB 15093《国徽》、GB 12982《国旗》",
      scope="page", level="info",
      options={"name-words": ["guohui", "guoqi", "emblem", "flag", "flags"], "text-words": ["国徽", "国旗"]})
def emblem_usage(page: Page, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: images that look like the national emblem or flag by file name (guohui,
    guoqi, emblem, flag, 国徽, 国旗), alt text or title, listed once per image for a person to
    compare with the standard drawings.

    Why it matters: a distorted, recoloured or wrongly proportioned emblem or flag is a serious
    error; the scanner cannot judge the drawing, so it lists the images to check.
    Failing example (listed for review): <img src="/images/guohui.png" alt="国徽">.
    Passing example: no such image; or an image that was checked and is ignored with ignore-urls.
    Options: name-words — file-name words; text-words — words in the file name, alt or title.
    """
    words = _word_pattern(tuple(options["name-words"]))
    texts = _any_pattern(tuple(options["text-words"]))
    seen: set[str] = set()
    for img in page.select(IMAGES):
        attrs = img.attributes
        src = attrs.get("src") or ""
        name = _file_name(src)
        label = " ".join(filter(None, (attrs.get("alt"), attrs.get("title")))).strip()
        if (words and words.search(name)) or (texts is not None and texts.search(name)):
            reason = "文件名"
        elif texts is not None and texts.search(label):
            reason = "替代文字/标题"
        else:
            continue
        url = normalize_url(src, page.base_url)
        if not url or url in seen:
            continue
        seen.add(url)
        yield Hit("图片疑似国徽或国旗，请人工核对其图案、比例和颜色是否符合国家标准",
                  url=url, found_on=(page.url,),
                  evidence={"image": url, "alt": label, "reason": reason, "file": name})
