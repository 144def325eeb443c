"""Issue 4 on the fixture sites: identity marks, policy interpretation, interaction and services.

www.nanshan.gov.cn (TRS) has its whole footer written by the same-site script /js/footer.js,
www.beishan.gov.cn (Hanweb) has no footer marks, channel or service entry, zjj.nanshan.gov.cn
(UCAP) is the clean department site. The sites are scanned over HTTP on 127.0.0.1 as of
2026-11-20; a few checks also read the fixture pages directly to show *why* a case passes.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser

from govscan import config, extract, serve
from govscan.checks.interaction import message_state
from govscan.facts import SiteFacts
from govscan.model import Context, SiteInfo
from govscan.page import Page
from govscan.rules import registry
from govscan.run import RunOptions, run
from govscan.urls import normalize

ROOT = Path(__file__).resolve().parent.parent / "fixtures"
AS_OF = dt.date(2026, 11, 20)
IDS = ("nanshan", "beishan", "nanshan-zjj")
NANSHAN = "http://www.nanshan.gov.cn/"
BEISHAN = "http://www.beishan.gov.cn/"
ZJJ = "http://zjj.nanshan.gov.cn/"
FIVE = ("missing-site-code", "missing-icp", "missing-psb-filing", "missing-conac-mark", "missing-sponsor")
IDENTITY = FIVE + ("missing-parent-link",)
ISSUE4 = IDENTITY + ("missing-interpretation", "missing-interaction-channel", "unanswered-message",
                     "missing-service-entry", "incomplete-service-guide")

DOC_A = NANSHAN + "zwgk/zcwj/202610/t20261015_200060.html"   # 南政发〔2026〕12号, 解读 by title only
DOC_B = NANSHAN + "zwgk/zcwj/202609/t20260922_200040.html"   # 南政办发[2026]15号, 相关解读 link
DOC_C = NANSHAN + "zwgk/zcwj/202611/t20261106_200085.html"   # 南政办发(2026)18号, no 解读
DOC_D = NANSHAN + "zwgk/zcwj/202508/t20250820_180020.html"   # 2025-08-20, outside the window
JD_A = NANSHAN + "zwgk/zcjd/202610/t20261016_200061.html"
JD_B = NANSHAN + "zwgk/zcjd/202609/t20260923_200041.html"


def site_entries(**overrides) -> list[dict]:
    """This issue's sites as fixtures/sites.yaml lists them; overrides: id -> extra keys."""
    sites = yaml.safe_load((ROOT / "sites.yaml").read_text("utf-8"))["sites"]
    chosen = [dict(s) for s in sites if s["id"] in IDS]
    assert [s["id"] for s in chosen] == list(IDS)
    for entry in chosen:
        entry.update(overrides.get(entry["id"], {}))
    return chosen


def scan(tmp: Path, entries: list[dict], root: Path | None = None) -> dict[str, list[dict]]:
    path = tmp / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": entries}, allow_unicode=True), "utf-8")
    server = serve.start(root)
    try:
        cfg = config.load(str(path), (), None, AS_OF)
        data = run(cfg, RunOptions(connect_to=(f"::127.0.0.1:{server.port}",))).to_dict()
    finally:
        server.stop()
    assert [s["errors"] for s in data["sites"]] == [[] for _ in data["sites"]]
    return {s["id"]: s["findings"] for s in data["sites"]}


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict[str, list[dict]]:
    return scan(tmp_path_factory.mktemp("identity"), site_entries())


def of(found: dict[str, list[dict]], site: str, rule: str) -> list[dict]:
    return [f for f in found[site] if f["rule"] == rule]


def rules_of(found: dict[str, list[dict]], site: str) -> set[str]:
    return {f["rule"] for f in found[site]}


# ------------------------------------------------------------------ identity

def test_footer_written_only_by_a_same_site_script_passes_identity(findings):
    home = (ROOT / "sites/www.nanshan.gov.cn/index.html").read_text("utf-8")
    assert "网站标识码" not in home and "ICP" not in home and "conac" not in home and "主办单位" not in home
    assert '<script type="text/javascript" src="/js/footer.js"></script>' in home
    assert not rules_of(findings, "nanshan") & set(IDENTITY)
    assert not rules_of(findings, "nanshan-zjj") & set(IDENTITY)


def test_the_same_homepage_without_its_footer_script_fails_all_five(tmp_path):
    """nanshan's homepage as is, then with the footer script removed. The SiteIDCode meta tag is
    not read in both runs (meta-names: []), so the site code too must come from the footer."""
    no_meta = {"nanshan": {"rules": {"missing-site-code": {"meta-names": []}}}}
    with_script = scan(tmp_path, site_entries(**no_meta)[:1])
    assert not rules_of(with_script, "nanshan") & set(IDENTITY)

    root = tmp_path / "fixtures"
    shutil.copytree(ROOT / "sites", root / "sites")
    index = root / "sites/www.nanshan.gov.cn/index.html"
    html = index.read_text("utf-8")
    script = '<script type="text/javascript" src="/js/footer.js"></script>'
    assert script in html
    index.write_text(html.replace(script, ""), "utf-8")
    without = scan(tmp_path, site_entries(**no_meta)[:1], root)
    assert rules_of(without, "nanshan") >= set(FIVE)
    assert not of(without, "nanshan", "missing-parent-link")   # the parent link is in the page itself
    sponsor = of(without, "nanshan", "missing-sponsor")[0]
    assert sponsor["evidence"]["missing"] == ["主办单位", "联系方式（电话或地址）"]


def test_beishan_fails_the_five_identity_rules_and_the_parent_link(findings):
    for rule in IDENTITY:
        hits = of(findings, "beishan", rule)
        assert [h["url"] for h in hits] == [BEISHAN], rule
    parent = of(findings, "beishan", "missing-parent-link")[0]
    assert parent["level"] == "warning" and parent["evidence"]["parent"] == "http://www.nanshan.gov.cn/"
    searched = of(findings, "beishan", "missing-icp")[0]["evidence"]["searched"]
    assert [s["via"] for s in searched] == ["homepage"]


# ------------------------------------------------------------------ interpretation

def test_unpaired_policy_document_is_a_finding_with_title_and_number(findings):
    hits = of(findings, "nanshan", "missing-interpretation")
    assert [h["url"] for h in hits] == [DOC_C]
    evidence = hits[0]["evidence"]
    assert evidence["title"] == "南山市人民政府办公室关于做好2026年冬春农田水利建设工作的通知"
    assert evidence["doc_no"] == "南政办发(2026)18号"
    assert evidence["date"] == "2026-11-06"
    assert "南政办发(2026)18号" in hits[0]["message"] and evidence["title"] in hits[0]["message"]
    assert not of(findings, "nanshan-zjj", "missing-interpretation")


def _hrefs(url: str) -> set[str]:
    path = ROOT / "sites" / url.split("//", 1)[1]
    tree = LexborHTMLParser(path.read_text("utf-8"))
    return {normalize(a.attributes.get("href") or "", url) for a in tree.css("a[href]")}


def _nanshan_page(url: str) -> Page:
    path = url.removeprefix(NANSHAN) or "index.html"
    html = (ROOT / "sites/www.nanshan.gov.cn" / path).read_text("utf-8")
    return Page.from_html(url, html, is_homepage=url == NANSHAN)


def test_interpretation_linked_only_by_its_title_pairs_the_document():
    """南政发〔2026〕12号 and its 解读 do not link each other: the 解读's title names the document.
    Read from the fixture pages: with that 解读 the document is paired, without it it is a finding."""
    assert JD_A not in _hrefs(DOC_A) and DOC_A not in _hrefs(JD_A)
    assert JD_B in _hrefs(DOC_B)   # the other document links its 解读 (相关解读)
    lists = [NANSHAN + "zwgk/zcwj/index.html", NANSHAN + "zwgk/zcjd/index.html"]
    info = SiteInfo(id="nanshan", name="南山市人民政府", url=NANSHAN, host="www.nanshan.gov.cn")
    rule = registry()["missing-interpretation"]

    def unpaired(urls: list[str]) -> dict[str, dict]:
        facts = SiteFacts(site=info)
        facts.final_url = NANSHAN
        for url in [NANSHAN, *lists, *urls]:
            extract.collect(_nanshan_page(url), facts)
        hits = rule.check(facts, dict(rule.options), Context(site=info, as_of=AS_OF))
        return {h.url: h.evidence for h in hits}

    everything = [DOC_A, DOC_B, DOC_C, DOC_D, JD_A, JD_B]
    assert set(unpaired(everything)) == {DOC_C}
    without_jd_a = unpaired([u for u in everything if u != JD_A])
    assert set(without_jd_a) == {DOC_A, DOC_C}
    assert without_jd_a[DOC_A]["doc_no"] == "南政发〔2026〕12号"
    without_jd_b = unpaired([u for u in everything if u != JD_B])
    assert set(without_jd_b) == {DOC_C}   # B's link to its 解读 still pairs it (the page is known by URL)


# ------------------------------------------------------------------ channels and messages

def test_interaction_channels(findings):
    assert not of(findings, "nanshan", "missing-interaction-channel")
    assert not of(findings, "nanshan-zjj", "missing-interaction-channel")
    hit = of(findings, "beishan", "missing-interaction-channel")[0]
    assert hit["url"] == BEISHAN
    assert set(hit["evidence"]["excluded_channels"]) == {"网上信访", "纪检举报", "纪检监察举报"}


def test_unanswered_messages_flagged_with_both_dates(findings):
    table = of(findings, "nanshan", "unanswered-message")
    assert [h["url"] for h in table] == [NANSHAN + "hdjl/zxzx/202606/t20260601_300012.html"]
    assert table[0]["found_on"] == [NANSHAN + "hdjl/zxzx/index.html"]
    evidence = table[0]["evidence"]
    assert (evidence["asked"], evidence["as_of"], evidence["replied"]) == ("2026-06-01", "2026-11-20", None)
    assert evidence["title"] == "关于南山大道夜间施工噪音扰民问题的咨询" and evidence["days"] == 172
    assert "2026-06-01" in table[0]["message"] and "2026-11-20" in table[0]["message"]

    listed = of(findings, "beishan", "unanswered-message")
    assert [h["url"] for h in listed] == [BEISHAN + "col/col2305/index.html"]
    evidence = listed[0]["evidence"]
    assert evidence["title"] == "关于县城区公交线路调整后换乘不便的建议"
    assert (evidence["asked"], evidence["as_of"], evidence["source"]) == ("2026-07-20", "2026-11-20", "list")
    assert not of(findings, "nanshan-zjj", "unanswered-message")


def _site_pages(host: str, paths: list[str]) -> list[Page]:
    return [Page.from_html(f"http://{host}/{p}", (ROOT / "sites" / host / p).read_text("utf-8")) for p in paths]


def test_message_lists_of_every_form_are_read():
    """The passing messages pass because they are read and answered (or recent, or old), not
    because they are missed: table rows with own pages, li rows with inline replies, div rows."""
    options = dict(registry()["unanswered-message"].options)

    def states(host: str, paths: list[str]) -> dict[tuple[str, str], str]:
        info = SiteInfo(id=host, name=host, url=f"http://{host}/", host=host)
        facts = SiteFacts(site=info)
        facts.final_url = info.url
        for page in _site_pages(host, paths):
            extract.collect(page, facts)
        return {(m.title, m.asked.isoformat()): message_state(m, options) for m in facts.messages.values()}

    ns = "hdjl/zxzx/"
    assert states("www.nanshan.gov.cn", [ns + "index.html", ns + "202606/t20260601_300012.html",
                                         ns + "202609/t20260902_300022.html", ns + "202610/t20261030_300031.html",
                                         ns + "202510/t20251010_290087.html"]) == {
        ("关于老旧小区加装电梯补贴标准的咨询", "2026-10-30"): "unanswered",   # 21 days: not yet late
        ("咨询新生儿医保参保登记办理流程", "2026-09-02"): "answered",
        ("关于南山大道夜间施工噪音扰民问题的咨询", "2026-06-01"): "unanswered",
        ("咨询城东片区学区划分的有关问题", "2025-10-10"): "unanswered",      # more than a year ago
    }
    assert states("www.beishan.gov.cn", ["col/col2305/index.html"]) == {
        ("关于北山中学周边道路上下学时段拥堵的反映", "2026-11-10"): "unanswered",
        ("咨询农村宅基地建房审批办理流程", "2026-10-12"): "answered",
        ("关于县城区公交线路调整后换乘不便的建议", "2026-07-20"): "unanswered",
    }
    assert states("zjj.nanshan.gov.cn", ["jzxx/list.shtml", "jzxx/2026/10/20/3c9a1e5b7d2f4086.shtml"]) == {
        ("关于商品房预售资金监管的咨询", "2026-11-16"): "unanswered",
        ("关于住宅专项维修资金使用程序的咨询", "2026-10-20"): "answered",
        ("关于城南安置小区交房时间的询问", "2026-08-11"): "answered",
    }


# ------------------------------------------------------------------ services

def test_service_entry(findings):
    assert not of(findings, "nanshan", "missing-service-entry")
    assert not of(findings, "nanshan-zjj", "missing-service-entry")   # offers_services: false
    hit = of(findings, "beishan", "missing-service-entry")[0]
    assert hit["url"] == BEISHAN and hit["evidence"]["kind"] == "portal"


def test_incomplete_guide_lists_its_missing_elements(findings):
    hits = of(findings, "nanshan", "incomplete-service-guide")
    assert [h["url"] for h in hits] == [NANSHAN + "bsfw/202611/t20261103_400022.html"]
    assert hits[0]["evidence"]["missing"] == ["设定依据", "申请条件", "办理机构", "办理流程"]
    assert "设定依据、申请条件、办理机构、办理流程" in hits[0]["message"]


# ------------------------------------------------------------------ nothing else

def test_nothing_else_for_the_issue_4_rules(findings):
    got = {(site, f["rule"], f["url"]) for site in IDS for f in findings[site] if f["rule"] in ISSUE4}
    assert got == {
        ("nanshan", "missing-interpretation", DOC_C),
        ("nanshan", "unanswered-message", NANSHAN + "hdjl/zxzx/202606/t20260601_300012.html"),
        ("nanshan", "incomplete-service-guide", NANSHAN + "bsfw/202611/t20261103_400022.html"),
        *(("beishan", rule, BEISHAN) for rule in IDENTITY),
        ("beishan", "missing-interaction-channel", BEISHAN),
        ("beishan", "missing-service-entry", BEISHAN),
        ("beishan", "unanswered-message", BEISHAN + "col/col2305/index.html"),
    }
    assert rules_of(findings, "nanshan-zjj") == {"no-https"}
