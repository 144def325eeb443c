"""Property-based tests (hypothesis) for the URL normaliser and the config loader."""

from __future__ import annotations

import string
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from govscan import config
from govscan.errors import ConfigError
from govscan.urls import normalize

hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}\.gov\.cn", fullmatch=True)
segments = st.text(alphabet=string.ascii_letters + string.digits + "-_.~%中文 ", min_size=0, max_size=12)
paths = st.lists(segments, max_size=5).map(lambda parts: "/" + "/".join(parts))
queries = st.one_of(st.just(""), st.text(alphabet=string.ascii_letters + string.digits + "=&", max_size=15))


@given(scheme=st.sampled_from(["http", "https", "HTTP", "Https"]), host=hosts, path=paths, query=queries,
       port=st.one_of(st.none(), st.integers(1, 65535)), fragment=st.text(max_size=8))
def test_normalize_is_idempotent_and_canonical(scheme, host, path, query, port, fragment):
    netloc = host.upper() if len(host) % 2 else host
    if port is not None:
        netloc += f":{port}"
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    once = normalize(url)
    assert once is not None
    assert normalize(once) == once                     # idempotent
    assert "#" not in once                            # fragments dropped
    assert once.split("://", 1)[0] in ("http", "https")
    assert once.split("://", 1)[1].split("/", 1)[0].split(":")[0] == host.lower()
    default_port = ":80/" if once.startswith("http://") else ":443/"
    assert not once.endswith(default_port)            # the scheme's own default port dropped


@given(base_path=paths, ref=st.text(max_size=40))
def test_normalize_never_raises_on_arbitrary_references(base_path, ref):
    result = normalize(ref, "http://www.a.gov.cn" + base_path)
    assert result is None or result.startswith(("http://", "https://"))


@given(ref=st.sampled_from(["javascript:void(0)", "mailto:a@b.gov.cn", "tel:12345", "data:text/html,x", "#top", ""]))
def test_non_http_references_are_skipped(ref):
    assert normalize(ref, "http://www.a.gov.cn/") is None


def _yaml_values():
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(max_size=12))
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=10), inner, max_size=3)),
                        max_leaves=8)


rule_ids = st.sampled_from(["dead-link", "non-gov-domain", "column-stale", "spam-injection", "nope", "level"])
option_names = st.sampled_from(["level", "status-levels", "soft-404-max-chars", "ignore-urls", "allowed-hosts",
                                "bogus", "max-age-days"])
crawl_keys = st.sampled_from(["max-pages", "per-host", "timeout", "obey-robots", "connect-to", "speed"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=st.dictionaries(rule_ids, st.one_of(st.sampled_from(["off", "enable", "warning"]),
                                                st.dictionaries(option_names, _yaml_values(), max_size=3)), max_size=3),
       crawl=st.dictionaries(crawl_keys, _yaml_values(), max_size=3))
def test_config_loader_accepts_or_names_the_problem(tmp_path, rules, crawl):
    """Whatever the rules file holds, loading either succeeds or raises ConfigError naming the file."""
    path = Path(tmp_path) / "rules.yaml"
    path.write_text(yaml.safe_dump({"extends": "default", "rules": rules, "crawl": crawl}, allow_unicode=True), "utf-8")
    try:
        cfg = config.load(None, ("https://www.a.gov.cn/",), str(path))
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message
    else:
        assert cfg.sites and cfg.rules


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_sites_file_with_arbitrary_text_never_crashes(tmp_path, text):
    path = Path(tmp_path) / "sites.yaml"
    path.write_text(text, "utf-8")
    try:
        config.load(str(path))
    except ConfigError as exc:
        assert str(exc).startswith(str(path)) or str(exc).startswith("command line")
