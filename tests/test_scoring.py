"""The national scoring model: each veto flips a site to 不合格, deductions and caps, the 4/3
rule, no double counting, scores to 0.01 — with the bundled rules.yaml values."""

from __future__ import annotations

import copy

import pytest
import yaml

from govscan import config
from govscan.facts import ServiceGuide, SiteFacts
from govscan.model import Finding, SiteInfo, fingerprint
from govscan.report import Report, SiteResult
from govscan.reports import validate
from govscan.rules import PRESET_DIR
from govscan.scoring import score

HOME = "http://www.example.gov.cn/"
DEFAULT = yaml.safe_load((PRESET_DIR / "default.yaml").read_text("utf-8"))["scoring"]


def F(rule: str, url: str = HOME, *, lv: str = "error", key: str = "", title: str | None = None,
      **evidence) -> Finding:
    return Finding(url=url, rule=rule, fingerprint=fingerprint(rule, "s", url, key), level=lv,
                   title=title or rule, message=f"{rule} at {url}", evidence=evidence)


def facts(kind: str = "portal", offers_services: bool | None = None, guides: int = 0) -> SiteFacts:
    site = SiteInfo(id="s", name="示例", url=HOME, host="www.example.gov.cn", kind=kind,
                    offers_services=offers_services)
    f = SiteFacts(site=site, final_url=HOME)
    for i in range(guides):
        url = f"{HOME}bszn/{i}.html"
        f.service_guides[url] = ServiceGuide(url=url, title=f"事项{i}办事指南")
    return f


def page(n: int, section: str = "art") -> str:
    return f"{HOME}{section}/{n}.html"


def stale(n: int, cls: str, level: int = 1) -> Finding:
    return F("column-stale", page(n, "col"), **{"class": cls, "level": level, "column": f"{cls}{n}"})


def run(findings, site=None, scoring=None, **kw):
    return score(list(findings), site or facts(), scoring or DEFAULT, **kw)


def deduction(verdict, indicator):
    return next((d for d in verdict.deductions if d["indicator"] == indicator), None)


def test_clean_portal_is_qualified_with_full_score_and_bonus_gate():
    v = run([])
    assert v.qualified and v.score == 100 and not v.vetoes and not v.deductions
    assert v.extra["bonus"] == 0 and v.extra["bonus_considered"] is True
    assert any("暂未检查加分指标" in n for n in v.extra["notes"])
    # departments are not portals: no bonus part
    assert run([], facts("department")).extra["bonus_considered"] is False


VETOES = {
    "site-unreachable (this scan, no history)": ([F("site-unreachable")], {}, None),
    "site-unreachable (history ≥ 5 %)": ([], {}, {"probes": 140, "failures": 7, "ratio": 0.05}),
    "homepage-stale": ([F("homepage-stale")], {}, None),
    "5 stale key columns": ([stale(1, "动态要闻"), stale(2, "动态要闻", level=2), stale(3, "通知公告"),
                             stale(4, "政策文件"), stale(5, "通知公告")], {}, None),
    "10 stale columns of any class": ([stale(i, "人事" if i % 2 else "规划计划", level=2) for i in range(10)], {}, None),
    "5 empty columns": ([F("column-empty", page(i, "col")) for i in range(5)], {}, None),
    "spam-injection": ([F("spam-injection", page(1))], {}, None),
    "suspicious-script": ([F("suspicious-script", page(1))], {}, None),
    "severe wrong-expression": ([F("wrong-expression", page(1), severity="severe")], {}, None),
    "missing-interaction-channel": ([F("missing-interaction-channel")], {}, None),
    "one unanswered-message": ([F("unanswered-message", page(1, "hdjl"))], {}, None),
    "missing-service-entry": ([F("missing-service-entry")], {}, None),
    "5 incomplete guides": ([F("incomplete-service-guide", page(i, "bszn")) for i in range(5)], {"guides": 20}, None),
    "every guide of fewer than 5": ([F("incomplete-service-guide", page(i, "bszn")) for i in range(3)], {"guides": 3}, None),
}


@pytest.mark.parametrize("name", list(VETOES))
def test_each_veto_flips_the_site(name):
    findings, site_kw, availability = VETOES[name]
    v = run(findings, facts(**site_kw), availability=availability)
    assert not v.qualified and v.vetoes, name
    veto = v.vetoes[0]
    assert veto["item"] and veto["title"] and veto["reason"]
    assert set(veto["fingerprints"]) <= {f.fingerprint for f in findings}
    # findings behind a veto are not deducted again
    deducted = {fp for d in v.deductions for fp in d["fingerprints"]}
    assert not deducted & set(veto["fingerprints"])
    # the same findings with the veto item disabled: no veto
    rule = veto["rule"]
    relaxed = copy.deepcopy(DEFAULT)
    relaxed["vetoes"][rule]["enabled"] = False
    assert not run(findings, facts(**site_kw), relaxed, availability=availability).vetoes


def test_below_veto_thresholds_are_deducted_instead():
    # 4 key columns, plus a 二级栏目 通知公告 that does not count toward the key veto (2019)
    findings = [stale(1, "动态要闻"), stale(2, "动态要闻"), stale(3, "通知公告"), stale(4, "政策文件"),
                stale(5, "通知公告", level=2)]
    v = run(findings)
    assert not v.vetoes and v.qualified
    d = deduction(v, "栏目更新")
    assert d["points"] == 3 + 3 + 4 + 5 + 4 and d["count"] == 5  # 政策文件一级栏目 5 (2019)
    assert v.score == 81.0
    assert "动态要闻类 2 个 × 3 分" in d["detail"]
    # 4 empty columns and 4 of 20 guides: no veto, points
    v = run([F("column-empty", page(i, "col")) for i in range(4)]
            + [F("incomplete-service-guide", page(i, "bszn")) for i in range(4)], facts(guides=20))
    assert not v.vetoes
    assert deduction(v, "空白栏目")["points"] == 8 and deduction(v, "办事指南")["points"] == 12
    assert v.score == 80.0
    # a normal wrong expression is deducted, a severe one is a veto
    v = run([F("wrong-expression", page(1), severity="normal", lv="warning")])
    assert not v.vetoes and deduction(v, "表述错误")["points"] == 1 and v.score == 99.0


def test_guides_veto_needs_every_guide_when_fewer_than_five():
    guides = [F("incomplete-service-guide", page(i, "bszn")) for i in range(3)]
    assert not run(guides, facts(guides=6)).vetoes         # 3 of 6 guides
    assert run(guides, facts(guides=3)).vetoes              # 3 of 3
    # a site without services: neither a veto nor (under the 4/3 rule) points
    v = run(guides, facts("department", offers_services=False, guides=3))
    assert not v.vetoes and not v.deductions and v.score == 100


def test_dead_links_homepage_and_elsewhere_with_cap():
    findings = ([F("dead-link", page(i, "home"), on_homepage=True) for i in range(2)]
                + [F("dead-link", page(i), on_homepage=False) for i in range(7)])
    v = run(findings)
    d = deduction(v, "链接可用性")
    assert d["points"] == 2.7 and d["uncapped"] == 2.7 and d["rule"] == "dead-link"
    assert d["detail"] == "首页 2 个 × 1 分；其他页面 7 个 × 0.1 分"
    assert v.score == 97.3
    many = [F("dead-link", page(i), on_homepage=True) for i in range(30)]
    d = deduction(run(many), "链接可用性")
    assert d["points"] == 10 and d["uncapped"] == 30
    # 403s are warnings by the status policy: listed, not deducted
    v = run([F("dead-link", page(1), lv="warning", on_homepage=True, status=403)])
    assert v.score == 100 and v.extra["uncounted"][0]["reason"] == "警告级问题不扣分"


def test_identity_items_and_group_cap():
    identity = [F(r) for r in ("missing-site-code", "missing-icp", "missing-psb-filing",
                               "missing-conac-mark", "missing-sponsor")]
    v = run(identity)
    assert deduction(v, "网站标识")["points"] == 5 and v.score == 95
    assert sorted(deduction(v, "网站标识")["rules"]) == sorted(f.rule for f in identity)
    # 功能设计 is worth 20: links 10 (cap) + identity 5 + domain 3 + tags 3 (cap) = 21 → 20
    findings = identity + [F("non-gov-domain")] + [F("dead-link", page(i), on_homepage=True) for i in range(12)]
    findings += [F("missing-page-tags", page(i, "tags")) for i in range(40)]
    v = run(findings)
    points = {d["indicator"]: d["points"] for d in v.deductions}
    assert points["链接可用性"] == 10 and points["网站标识"] == 5 and points["网站域名"] == 3
    assert points["页面标签"] == 2  # its own cap is 3; the group had only 2 left
    assert sum(points.values()) == 20 and v.score == 80


def test_page_tags_homepage_versus_other_pages():
    v = run([F("missing-page-tags", HOME), F("missing-page-tags", page(1)), F("missing-page-tags", page(2))])
    assert deduction(v, "页面标签")["points"] == 1.2 and v.score == 98.8


def test_four_thirds_rule_for_departments_without_services():
    findings = [F("dead-link", page(1), on_homepage=True), F("dead-link", page(2), on_homepage=False),
                F("incomplete-service-guide", page(3, "bszn"))]
    v = run(findings, facts("department", offers_services=False, guides=10))
    assert v.extra["scored_out_of"] == 75
    assert v.score == 98.53  # (75 − 1.1) × 4/3 = 98.5333…
    assert [d["indicator"] for d in v.deductions] == ["链接可用性"]
    assert any("办事服务指标不计分" in u["reason"] for u in v.extra["uncounted"])
    # a department that offers services (or does not say) is scored out of 100
    v = run(findings, facts("department", offers_services=True, guides=10))
    assert v.extra["scored_out_of"] == 100 and v.score == round(100 - 1.1 - 3, 2)
    assert run(findings, facts("department", guides=10)).extra["scored_out_of"] == 100


def test_no_double_counting_same_subject():
    col = page(7, "col")
    findings = [F("column-stale", col, **{"class": "动态要闻", "level": 1}),
                F("missing-page-tags", col), F("dead-link", col, on_homepage=False, soft_404=True)]
    v = run(findings)
    assert [d["indicator"] for d in v.deductions] == ["栏目更新"]
    assert v.score == 97
    reasons = {u["rule"]: u["reason"] for u in v.extra["uncounted"]}
    assert set(reasons) == {"missing-page-tags", "dead-link"}
    assert "栏目不更新" in reasons["missing-page-tags"] or "column-stale" in reasons["missing-page-tags"]
    # an injected block flagged as spam (veto) and as a hidden link: the hidden link is not deducted
    spam_page = page(9)
    v = run([F("spam-injection", spam_page), F("hidden-link", spam_page), F("hidden-link", page(10))])
    assert v.vetoes[0]["rule"] == "spam-injection"
    d = deduction(v, "安全防护")
    assert d["count"] == 1 and d["points"] == 5
    assert any("单项否决" in u["reason"] for u in v.extra["uncounted"])


def test_pass_mark_exactly_and_just_below():
    generous = copy.deepcopy(DEFAULT)
    generous["groups"]["功能设计"] = 100
    generous["deductions"]["链接可用性"]["cap"] = 100
    v = run([F("dead-link", page(i), on_homepage=True) for i in range(40)], scoring=generous)
    assert v.score == 60 and v.qualified
    v = run([F("dead-link", page(i), on_homepage=True) for i in range(40)] + [F("dead-link", page(99))],
            scoring=generous)
    assert v.score == 59.9 and not v.qualified and not v.vetoes
    assert "低于 60 分" in v.extra["notes"][0]


def test_availability_history_decides_over_this_scan():
    # enough probes below 5 %: deducted 5 points per 1 %, no veto
    v = run([], availability={"probes": 140, "failures": 2, "ratio": 2 / 140})
    assert not v.vetoes and deduction(v, "首页可用性")["points"] == 7.14 and v.score == 92.86
    # few probes: this scan decides
    v = run([F("site-unreachable")], availability={"probes": 5, "failures": 0, "ratio": 0.0})
    assert v.vetoes and "仅 5 次" in v.vetoes[0]["reason"]
    # enough history says fine, but this scan could not fetch the homepage: unjudged, not 合格
    v = run([F("site-unreachable")], availability={"probes": 140, "failures": 1, "ratio": 1 / 140})
    assert not v.vetoes and not v.qualified and v.score == 0
    assert any("未能检查" in n for n in v.extra["notes"])


def test_incomplete_scan_is_noted():
    assert any("未完成" in n for n in run([], complete=False).extra["notes"])


def test_verdict_is_schema_valid_json(tmp_path):
    findings = [F("spam-injection", page(1)), F("dead-link", page(2), on_homepage=True), stale(3, "人事")]
    f = facts()
    v = run(findings, f, availability={"probes": 10, "failures": 1, "ratio": 0.1})
    site = SiteResult(id="s", name="示例", url=HOME, kind="portal", owner="示例办公室", verdict=v,
                      findings=findings)
    data = Report(sites=[site], started_at="2026-11-20T08:00:00+08:00", finished_at="2026-11-20T08:01:00+08:00",
                  as_of="2026-11-20", complete=True).to_dict()
    validate(data)
    verdict = data["sites"][0]["verdict"]
    assert verdict["vetoes"][0]["fingerprints"] == [findings[0].fingerprint]
    assert verdict["availability"] == {"probes": 10, "failures": 1, "ratio": 0.1}


def test_scoring_values_come_from_rules_yaml(tmp_path):
    (tmp_path / "sites.yaml").write_text(f"sites:\n  - url: {HOME}\n", "utf-8")
    (tmp_path / "rules.yaml").write_text(
        "extends: default\nscoring:\n  pass-mark: 99\n  vetoes:\n    homepage-stale:\n      enabled: false\n"
        "  deductions:\n    链接可用性:\n      rules:\n        dead-link: {homepage: 2}\n", "utf-8")
    cfg = config.load(str(tmp_path / "sites.yaml"), (), str(tmp_path / "rules.yaml"))
    assert cfg.scoring["deductions"]["链接可用性"]["rules"]["dead-link"]["other"] == 0.1  # merged with the preset
    v = score([F("homepage-stale"), F("dead-link", page(1), on_homepage=True)], facts(), cfg.scoring)
    assert not v.vetoes and v.score == 98 and not v.qualified  # below the pass mark of 99
    (tmp_path / "bad.yaml").write_text("scoring:\n  vetoes:\n    homepage-stale:\n      enabld: false\n", "utf-8")
    with pytest.raises(config.ConfigError, match="enabld"):
        config.load(str(tmp_path / "sites.yaml"), (), str(tmp_path / "bad.yaml"))
