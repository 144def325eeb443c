"""Rules admin-exposed and no-https on SiteFacts as the crawler fills them."""

from __future__ import annotations

import datetime as dt

import pytest

from govscan.facts import AdminProbe, SiteFacts
from govscan.model import Context, LinkResult, SiteInfo
from govscan.rules import registry

HTTP_HOME = "http://www.songlin.gov.cn/"
HTTPS_HOME = "https://www.songlin.gov.cn/"


def site(url: str) -> SiteInfo:
    return SiteInfo(id="songlin", name="松林县人民政府", url=url, host="www.songlin.gov.cn")


def run(rule_id: str, facts: SiteFacts, **options):
    rule = registry()[rule_id]
    merged = {**rule.options, **options}
    return list(rule.check(facts, merged, Context(site=facts.site, as_of=dt.date(2026, 11, 20))))


def ok(url: str, final: str | None = None, redirects: tuple[str, ...] = ()) -> LinkResult:
    return LinkResult(url=url, status=200, final_url=final or url, redirects=redirects)


# ------------------------------------------------------------------ admin-exposed

def test_admin_paths_option_lists_known_cms_logins():
    paths = registry()["admin-exposed"].options["paths"]
    assert "/wcm/app/login.jsp" in paths and "/jcms/" in paths and len(paths) <= 20
    assert all(p.startswith("/") for p in paths)


def test_login_form_on_admin_path_is_a_finding():
    facts = SiteFacts(site=site(HTTP_HOME), admin_probes=[
        AdminProbe(url=HTTP_HOME + "wcm/app/login.jsp", status=200, final_url=HTTP_HOME + "wcm/app/login.jsp",
                   title="TRS WCM 登录", has_login_form=True),
        AdminProbe(url=HTTP_HOME + "admin/", status=404),
        AdminProbe(url=HTTP_HOME + "dede/", status=0, error="timeout"),
        AdminProbe(url=HTTP_HOME + "manage/", status=200, title="页面不存在", has_login_form=False),
        AdminProbe(url=HTTP_HOME + "jcms/", status=403),
    ])
    (hit,) = run("admin-exposed", facts)
    assert hit.url == HTTP_HOME + "wcm/app/login.jsp"
    assert hit.evidence == {"status": 200, "title": "TRS WCM 登录", "login_form": True}
    assert "登录页面" in hit.message
    hits = run("admin-exposed", facts, **{"require-login-form": False})
    assert {h.url for h in hits} == {HTTP_HOME + "wcm/app/login.jsp", HTTP_HOME + "manage/"}


def test_redirect_to_login_form_recorded():
    facts = SiteFacts(site=site(HTTP_HOME), admin_probes=[
        AdminProbe(url=HTTP_HOME + "admin/", status=200, final_url=HTTP_HOME + "admin/login.jsp",
                   has_login_form=True)])
    (hit,) = run("admin-exposed", facts)
    assert hit.url == HTTP_HOME + "admin/" and hit.evidence["final_url"] == HTTP_HOME + "admin/login.jsp"


def test_no_admin_probes_no_finding():
    assert run("admin-exposed", SiteFacts(site=site(HTTP_HOME))) == []


# ------------------------------------------------------------------ no-https

def test_http_site_without_https():
    facts = SiteFacts(site=site(HTTP_HOME), homepage=ok(HTTP_HOME), final_url=HTTP_HOME,
                      https_homepage=LinkResult(url=HTTPS_HOME, status=0, error="connect"))
    (hit,) = run("no-https", facts)
    assert hit.url == HTTP_HOME and hit.key == "no-https"
    assert hit.evidence["https_error"] == "connect"
    # the twin was never requested: still not served over HTTPS as far as we know
    (hit,) = run("no-https", SiteFacts(site=site(HTTP_HOME), homepage=ok(HTTP_HOME), final_url=HTTP_HOME))
    assert hit.key == "no-https"
    # a certificate error on the twin
    bad_tls = LinkResult(url=HTTPS_HOME, status=0, error="tls")
    assert run("no-https", SiteFacts(site=site(HTTP_HOME), homepage=ok(HTTP_HOME), https_homepage=bad_tls))


def test_https_available_but_http_not_redirected():
    facts = SiteFacts(site=site(HTTP_HOME), homepage=ok(HTTP_HOME), final_url=HTTP_HOME,
                      https_homepage=ok(HTTPS_HOME))
    (hit,) = run("no-https", facts)
    assert hit.key == "no-redirect" and hit.evidence["final_url"] == HTTP_HOME
    https_site = SiteFacts(site=site(HTTPS_HOME), homepage=ok(HTTPS_HOME), final_url=HTTPS_HOME,
                           http_homepage=ok(HTTP_HOME))
    (hit,) = run("no-https", https_site)
    assert hit.key == "no-redirect" and hit.url == HTTPS_HOME


@pytest.mark.parametrize("facts", [
    # configured as https, http redirects to it
    SiteFacts(site=site(HTTPS_HOME), homepage=ok(HTTPS_HOME), final_url=HTTPS_HOME,
              http_homepage=ok(HTTP_HOME, HTTPS_HOME, (HTTP_HOME,))),
    # configured as https, nothing listens on port 80
    SiteFacts(site=site(HTTPS_HOME), homepage=ok(HTTPS_HOME), final_url=HTTPS_HOME,
              http_homepage=LinkResult(url=HTTP_HOME, status=0, error="connect")),
    # configured as http, the homepage redirects to https
    SiteFacts(site=site(HTTP_HOME), homepage=ok(HTTP_HOME, HTTPS_HOME, (HTTP_HOME,)), final_url=HTTPS_HOME,
              https_homepage=ok(HTTPS_HOME)),
    # the site is down: site-unreachable reports it
    SiteFacts(site=site(HTTP_HOME), homepage=LinkResult(url=HTTP_HOME, status=0, error="timeout")),
])
def test_no_https_finding(facts):
    assert run("no-https", facts) == []
