"""Normalisation and multi-pattern matching shared by the keyword rules (govscan.text)."""

from __future__ import annotations

import time

import pytest

from govscan.text import Matcher, compile_matcher, load_lexicon, locate, normalize, normalize_with_offsets


@pytest.mark.parametrize("raw, norm", [
    ("申博娛樂城", "申博娱乐城"),                  # traditional → simplified
    ("澳門新葡京 網上賭場 百家樂", "澳门新葡京网上赌场百家乐"),
    ("國務院辦公廳", "国务院办公厅"),
    ("臺灣", "台湾"),
    ("ＢＥＴ３６５", "bet365"),                    # full-width → ASCII, lower-cased
    ("Bet 365", "bet365"),
    ("申　博", "申博"),                            # ideographic space
    ("申 \t\n博", "申博"),
    ("申\u200b博\u200c娱\u200d乐\ufeff城\u2060", "申博娱乐城"),  # zero-width characters
    ("百\u00ad家\u00a0乐", "百家乐"),              # soft hyphen, no-break space
    ("ＧＳ（２０１９）", "gs（2019）"),           # full-width punctuation is left alone
    ("\uf9dc", "\u9686"),                        # compatibility ideograph → unified
    ("", ""),
])
def test_normalize(raw, norm):
    assert normalize(raw) == norm


def test_simplified_text_is_unchanged_apart_from_spaces():
    text = "松林县人民政府办公室关于印发《2026年政务公开工作要点》的通知"
    assert normalize(text) == text


def test_offsets_point_back_to_the_original():
    raw = "欢迎 申 博\u200b娛樂城"
    norm, offsets = normalize_with_offsets(raw)
    assert norm == normalize(raw) == "欢迎申博娱乐城"
    assert len(offsets) == len(norm)
    assert raw[offsets[norm.index("娱")]] == "娛"


def test_matcher_finds_terms_split_and_in_traditional_form():
    m = Matcher([("申博", "a"), ("娱乐城", "b"), ("bet365", "c")])
    found = m.search("申 博\u200b娛樂城 ｂｅｔ　３６５")
    assert [(x.term, x.payloads) for x in found] == [("申博", ("a",)), ("娱乐城", ("b",)), ("bet365", ("c",))]
    norm = normalize("申 博\u200b娛樂城")
    assert [norm[x.start:x.end] for x in m.find(norm)] == ["申博", "娱乐城"]


def test_matcher_merges_payloads_of_equal_terms_and_skips_empty():
    m = Matcher([("百家乐", 1), ("百家樂", 2), ("  ", 3)])
    assert m.size == 1
    assert m.search("百家乐")[0].payloads == (1, 2)
    assert Matcher([]).search("任何文字") == []


def test_compile_matcher_is_cached_by_entries():
    entries = (("澳门新葡京", "x"),)
    assert compile_matcher(entries) is compile_matcher(entries)


def test_locate_cuts_snippets_from_the_original_text():
    snips = locate("首页 新闻 澳 門 新 葡 京 娛樂 更多内容", ["澳门新葡京"])
    assert "澳 門 新 葡 京" in snips["澳门新葡京"]
    assert locate("", ["x"]) == {}


def test_bundled_lexicons_load():
    spam = load_lexicon("spam")
    assert len(spam) > 250 and all(len(r) == 3 for r in spam)
    assert {r[2] for r in spam} == {"strong", "weak", "allow"}
    wrong = load_lexicon("wrong-expressions")
    assert len(wrong) >= 80
    with pytest.raises(ValueError):
        load_lexicon("no-such-lexicon")


PARAGRAPHS = [
    "11月12日，县政府召开常务会议，研究部署今冬明春安全生产、森林防火和民生保障工作。会议强调，各乡镇、"
    "各部门要压实责任，加强隐患排查治理，确保人民群众生命财产安全。",
    "为进一步优化营商环境，县市场监督管理局推行企业开办“一网通办”，企业登记、公章刻制、申领发票、"
    "社保登记等事项一次办结，平均用时压缩至1个工作日以内。",
    "县体育彩票管理中心通报了2026年第三季度彩票公益金使用情况，全县彩票投注站规范经营。",
    "根据《中华人民共和国政府信息公开条例》规定，现将松林县人民政府2026年政府信息公开工作年度报告予以公布。"
    "如对本报告有疑问，请与县政府办公室联系（地址：松林县人民路1号，电话：0571-12345678）。",
    "县农业农村局组织开展秋冬种技术培训，邀请省农科院专家讲解小麦、油菜高产栽培技术，参训农户300余人。"
    "Traffic notice: road works on Route 3 from 1 to 30 December.",
]


def _page_text(size: int) -> str:
    para = "".join(PARAGRAPHS)
    text = para * (size // len(para.encode("utf-8")) + 1)
    return text.encode("utf-8")[:size].decode("utf-8", "ignore")


def test_matching_cost_with_full_lexicons():
    """Compile the bundled lexicons once, then time normalise + match on ~30 KB of page text."""
    from govscan.checks.review import _wrong_matcher
    from govscan.checks.security import NEGATION_WORDS, _spam_matchers, scan_terms

    t0 = time.perf_counter()
    spam, urls, negation = _spam_matchers(("spam",), ("spam-url",), (), (), (), tuple(NEGATION_WORDS))
    wrong = _wrong_matcher(("wrong-expressions",), (), ())
    # a large custom lexicon (thousands of entries) costs little more per page
    big = Matcher([(f"违规词{i:05d}", i) for i in range(5000)])
    compile_ms = (time.perf_counter() - t0) * 1000
    text = _page_text(30_000)
    assert len(text.encode("utf-8")) > 29_000
    rounds = 50
    t0 = time.perf_counter()
    for _ in range(rounds):
        norm = normalize(text)
        assert not scan_terms(norm, spam.find(norm, longest=True), negation, 30)
        assert not list(wrong.find(norm, longest=True))
        assert not list(big.find(norm, longest=True))
    per_page = (time.perf_counter() - t0) * 1000 / rounds
    print(f"\nlexicons: spam {spam.size} + wrong {wrong.size} + synthetic {big.size} terms, "
          f"compiled in {compile_ms:.1f} ms; normalise + match {len(text.encode('utf-8')) // 1024} KB "
          f"of page text: {per_page:.3f} ms")
