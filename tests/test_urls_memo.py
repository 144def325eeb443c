"""urls.normalize is memoised on (url, the part of base the result depends on): the memo must
never answer differently from the computation it saves."""

import itertools

from govscan import urls

BASES = ["http://a.gov.cn/", "http://a.gov.cn/x/y/z.html", "http://a.gov.cn/x/y/", "https://A.gov.cn:443/x/y.html?q=1/2",
         "http://a.gov.cn", "http://a.gov.cn:8080/p/q.php?u=/a/b#f/g", "https://b.gov.cn/x/../y/z.html",
         "http://a.gov.cn/x/y/w.html", "http://[::1]:80/a/b", "http://a.gov.cn/中文/页.html",
         "http://a.gov.cn/x/y/z.html#frag", "http://u@a.gov.cn/x/", "https://a.gov.cn/x/y/z.html", "", None]
REFS = ["", " ", "/", "//b.gov.cn/x", "/a/b.html", "a.html", "./a.html", "../a.html", "../../../../a.html", "?q=2",
        "#top", "javascript:void(0)", "mailto:x@y", "http://c.gov.cn/", "HTTPS://C.gov.cn/A", "  /a b.html ",
        "\\\\d.gov.cn\\x", "\\a\\b.html", "a\\b.html", "weird:foo", "http:foo.html", "%E4%B8%AD.html", "中文.html",
        "/x/./y/../z", "..", ".", "a.html?x=1#f", "//", "///x", "http://", "http://[::1", "tel:123", "data:x", "?",
        "#", "x:y/z", "/\\e.gov.cn/x", "http:///x", "https://?x", "//?x", "http://a.gov.cn:99999/", "https:x",
        " http://q.gov.cn/ ", "\t./a.html", "/#x", "//#"]


def test_memoised_normalize_equals_the_computation():
    for _ in range(2):  # second round answered from the memo
        for base, ref in itertools.product(BASES, REFS):
            assert urls.normalize(ref, base) == urls._normalize(ref, base), (ref, base)


def test_memo_is_bounded():
    for i in range(urls._MEMO_MAX + 10):
        urls.normalize(f"/p{i}.html", "http://a.gov.cn/")
    assert len(urls._MEMO) <= urls._MEMO_MAX
