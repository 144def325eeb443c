import datetime as dt
from pathlib import Path

import pytest

from govscan import config
from govscan.errors import ConfigError


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def test_bundled_preset_loads_with_every_rule():
    from govscan.rules import registry

    cfg = config.load(None, ("https://www.qingshan.gov.cn/",), as_of=dt.date(2026, 11, 20))
    assert set(cfg.rules) == set(registry())
    assert cfg.sites[0].id == "qingshan"
    assert cfg.crawl.timeout == 15.0


def test_preset_values_equal_registry_defaults():
    """The bundled preset lists every rule with exactly the registry's level and options."""
    import yaml

    from govscan.rules import PRESET_DIR, registry

    preset = yaml.safe_load((PRESET_DIR / "default.yaml").read_text("utf-8"))["rules"]
    for rule_id, rule in registry().items():
        assert rule_id in preset, rule_id
        entry = dict(preset[rule_id])
        assert entry.pop("level") == rule.level, rule_id
        assert entry == dict(rule.options), rule_id
    assert set(preset) == set(registry())


def test_repository_rules_yaml_is_the_bundled_preset():
    root = Path(__file__).resolve().parent.parent
    assert (root / "rules.yaml").read_text("utf-8") == (root / "govscan/rules/default.yaml").read_text("utf-8")


def test_extends_and_overrides(tmp_path):
    rules = write(tmp_path, "rules.yaml", "extends: default\ncrawl:\n  per-host: 2\nrules:\n  dead-link:\n    level: warning\n    status-levels: {\"404\": info}\n  non-gov-domain: off\n")
    sites = write(tmp_path, "sites.yaml", "sites:\n  - url: https://www.a.gov.cn/\n    rules: {dead-link: {level: error}}\n  - url: https://www.b.gov.cn/\n")
    cfg = config.load(sites, (), rules)
    assert cfg.crawl.per_host == 2
    assert cfg.rules["dead-link"].level == "warning"
    # mappings merge over the preset's: the user's 404 policy joins the default 401/403/429
    assert cfg.rules["dead-link"].options["status-levels"] == {"401": "warning", "403": "warning",
                                                               "429": "info", "404": "info"}
    assert not cfg.rules["non-gov-domain"].enabled
    a, b = cfg.sites
    assert cfg.rules_for(a)["dead-link"].level == "error"
    assert cfg.rules_for(b)["dead-link"].level == "warning"


def test_plain_url_list(tmp_path):
    sites = write(tmp_path, "sites.txt", "# 站点\nhttps://www.a.gov.cn/\n\nhttp://www.b.gov.cn/x/\n")
    cfg = config.load(sites)
    assert [s.url for s in cfg.sites] == ["https://www.a.gov.cn/", "http://www.b.gov.cn/x/"]


@pytest.mark.parametrize("text, expected", [
    ("rules:\n  dead-link:\n    levle: error\n", ["line 3", "rules.dead-link.levle", "unknown option 'levle'"]),
    ("rules:\n  no-such-rule: {}\n", ["line 2", "unknown rule 'no-such-rule'"]),
    ("rules:\n  dead-link:\n    soft-404-max-chars: many\n", ["line 3", "must be an integer"]),
    ("rules:\n  dead-link:\n    level: fatal\n", ["line 3", "level must be one of"]),
    ("crawl:\n  per-host: -1\n", ["line 2", "crawl.per-host", "must not be negative"]),
    ("crawl:\n  speed: 3\n", ["line 2", "unknown crawl setting 'speed'"]),
    ("rules: [1, 2\n", ["invalid YAML", "line"]),
    ("colour: red\n", ["line 1", "unknown top-level key 'colour'"]),
    ("extends: nothing-here\n", ["line 1", "no bundled preset or file named 'nothing-here'"]),
    ("scoring:\n  pass-mark: high\n", ["line 2", "scoring.pass-mark"]),
])
def test_bad_rules_file_names_file_line_and_key(tmp_path, text, expected):
    rules = write(tmp_path, "bad-rules.yaml", text)
    with pytest.raises(ConfigError) as info:
        config.load(None, ("https://www.a.gov.cn/",), rules)
    message = str(info.value)
    assert "bad-rules.yaml" in message
    for part in expected:
        assert part in message


@pytest.mark.parametrize("text, expected", [
    ("sites:\n  - url: https://www.a.gov.cn/\n    kind: town\n", ["line 3", "sites.0.kind", "kind must be one of"]),
    ("sites:\n  - name: 无网址\n", ["sites.0.url", "each site needs a url"]),
    ("sites:\n  - url: ftp://x.gov.cn/\n", ["line 2", "not an http(s) URL"]),
    ("sites: []\n", ["line 1", "the sites list is empty"]),
    ("sites:\n  - url: https://a.gov.cn/\n    colour: red\n", ["line 3", "unknown site key 'colour'"]),
    ("sites:\n  - url: https://a.gov.cn/\n    connect_to: localhost\n", ["line 3", "HOST:PORT"]),
    ("sites:\n  - {id: a, url: https://a.gov.cn/}\n  - {id: a, url: https://b.gov.cn/}\n", ["line 3", "duplicate site id 'a'"]),
    ("sites:\n  - url: https://a.gov.cn/\n    rules: {dead-link: {level: loud}}\n", ["line 3", "level must be one of"]),
    ("hosts: []\n", ["line 1", "unknown key 'hosts'"]),
])
def test_bad_sites_file_names_file_line_and_key(tmp_path, text, expected):
    sites = write(tmp_path, "bad-sites.yaml", text)
    with pytest.raises(ConfigError) as info:
        config.load(sites)
    message = str(info.value)
    assert "bad-sites.yaml" in message
    for part in expected:
        assert part in message


def test_unreadable_and_bad_url_list(tmp_path):
    with pytest.raises(ConfigError, match="missing.yaml: cannot read file"):
        config.load(str(tmp_path / "missing.yaml"))
    sites = write(tmp_path, "list.txt", "https://www.a.gov.cn/\nhttp//broken\n")
    with pytest.raises(ConfigError, match=r"list.txt: line 2: not an http\(s\) URL"):
        config.load(sites)


def test_yaml_value_tag_is_a_config_error_not_a_crash(tmp_path):
    """A bare '=' scalar resolves to YAML's value tag, which SafeLoader cannot construct."""
    path = tmp_path / "sites.yaml"
    path.write_text("sites:\n  - =\n", "utf-8")
    with pytest.raises(ConfigError) as info:
        config.load(str(path))
    assert str(info.value).startswith(str(path)) and "line 2" in str(info.value)
