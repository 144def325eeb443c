"""urls._normalize's fast path for simple relative links must give what urljoin + urlsplit give."""

from __future__ import annotations

import itertools
from unittest import mock

from hypothesis import given, settings, strategies as st

from govscan import urls

from tests.test_urls_memo import BASES, REFS


def _stdlib(url: str, base: str | None) -> str | None:
    with mock.patch.object(urls, "_join_simple", lambda url, base: None):
        return urls._normalize(url, base)


SIMPLE_BASES = ["http://a.gov.cn", "http://a.gov.cn/", "https://a.gov.cn/x/y/z.html", "http://a-b.gov.cn/x/y/",
                "http://a.gov.cn/x//y/./z/../w.html", "http://a.gov.cn/x:y/%41b/c.html", "http://a.gov.cn/.",
                "http://a.gov.cn/..", "http://a.gov.cn/x/..", "http://1.2.3.4/a/b", "http://localhost/a/"]
SIMPLE_REFS = ["a", "a/", "./a", "../a", "../../../../a", ".", "..", "./", "../", "a/.", "a/..", "/a/../..",
               "/..", "/../x", "/./x", "/a//b", "a//b", ".//a", "..//..//a", "%7Ea.html", "%2e%2e/a", "a%2Fb",
               "@x", "=&+,;", "a=b&c", "~u/", "-", "_", "/", "/.", "/x/", "x.html/", "a/./b/../c"]


def test_fast_path_equals_urljoin_on_known_cases():
    for base, ref in itertools.product(BASES + SIMPLE_BASES, REFS + SIMPLE_REFS):
        if base is None:
            continue
        assert urls._normalize(ref, base) == _stdlib(ref, base), (ref, base)


def test_fast_path_is_taken_for_simple_links():
    assert urls._join_simple("./a.html", "http://a.gov.cn/x/y.html") == ("http", "a.gov.cn", "/x/a.html")
    assert urls._join_simple("/a.html", "https://a.gov.cn/x/y.html") == ("https", "a.gov.cn", "/a.html")
    assert urls._join_simple("a.html?x=1", "http://a.gov.cn/") is None    # query: urljoin's work
    assert urls._join_simple("a.html", "http://A.gov.cn/") is None        # host to fold: urlsplit's
    assert urls._join_simple("a.html", "http://a.gov.cn:81/") is None     # port


_host = st.from_regex(r"[a-zA-Z0-9-]{1,6}(\.[a-z0-9-]{1,6}){0,2}(:(80|81|443))?", fullmatch=True)
_segment = st.sampled_from(["", ".", "..", "a", "b.html", "%41", "%2e", "x:y", "~", "a;b", "中", "a b", "?q", "#f",
                            "a=1&b=2", "@", "\\", "'()*+,!$"])
_path = st.lists(_segment, max_size=6).map("/".join)


@settings(max_examples=3000, deadline=None)
@given(scheme=st.sampled_from(["http", "https", "HTTP"]), host=_host, base_path=_path, ref=_path,
       lead=st.sampled_from(["", "/", "./", "../", "//"]))
def test_fast_path_equals_urljoin(scheme, host, base_path, ref, lead):
    base = f"{scheme}://{host}/{base_path}"
    url = lead + ref
    assert urls._normalize(url, base) == _stdlib(url, base), (url, base)
