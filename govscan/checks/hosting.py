"""Hosting security: exposed CMS admin logins and missing HTTPS, judged from SiteFacts.

The crawler requests the admin paths named by admin-exposed's ``paths`` option once per site
and the other-scheme twin of the homepage; these checks only read what it recorded.
"""

from __future__ import annotations

from typing import Iterator

from govscan.facts import SiteFacts
from govscan.model import Context, Hit, LinkResult
from govscan.rules import rule

# Known admin/login paths of the CMSs government sites run on; kept short (one request each).
ADMIN_PATHS = [
    "/wcm/", "/wcm/app/login.jsp",                      # TRS WCM
    "/jcms/", "/jcms/jcms_files/jcms1/web1/site/",      # Hanweb (大汉) JCMS
    "/admin/", "/admin/login.jsp", "/manage/", "/login.jsp",
    "/dede/",                                           # DedeCMS
    "/wp-login.php",                                    # WordPress
    "/phpmyadmin/",
    "/console/",                                        # WebLogic console
]


@rule(id="admin-exposed", title="后台管理入口暴露", indicator="安全（后台管理地址不应对互联网开放）",
      basis="《政府网站发展指引》（国办发〔2017〕47号）安全防护：加强网站管理后台安全防护；"
            "《网络安全等级保护基本要求》访问控制",
      scope="site", level="error",
      options={"paths": ADMIN_PATHS, "require-login-form": True})
def admin_exposed(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the known CMS admin and login paths (TRS WCM /wcm/app/login.jsp, Hanweb
    /jcms/, DedeCMS /dede/, /admin/, phpMyAdmin …), each requested once per site by the crawler:
    one that answers 200 with a login form (a form with a password field) is reachable from the
    internet.

    Why it matters: an admin login open to the internet invites password guessing and exploits of
    the CMS, the usual way into a government site before its pages are tampered with.
    Failing example: http://www.example.gov.cn/wcm/app/login.jsp answering 200 with a login form.
    Passing example: the path answers 404 or 403, or only from the internal network.
    Options: paths — the paths the crawler requests (site-relative); require-login-form — when
    false, any 200 answer on such a path counts, with or without a login form.
    """
    for probe in facts.admin_probes:
        if probe.error or probe.status != 200:
            continue
        if options["require-login-form"] and not probe.has_login_form:
            continue
        where = "登录页面" if probe.has_login_form else "页面"
        evidence = {"status": probe.status, "title": probe.title or None, "login_form": probe.has_login_form,
                    "final_url": probe.final_url if probe.final_url and probe.final_url != probe.url else None}
        yield Hit(f"后台管理{where}可从互联网访问：{probe.url}", url=probe.url,
                  evidence={k: v for k, v in evidence.items() if v is not None})


@rule(id="no-https", title="未启用HTTPS", indicator="安全（HTTPS）",
      basis="《政府网站发展指引》（国办发〔2017〕47号）：有条件的政府网站应采用HTTPS等安全传输协议",
      scope="site", level="warning", options={})
def no_https(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage is served over HTTPS, and plain HTTP redirects to it.

    Why it matters: without HTTPS, pages and forms (留言, 办事) can be read and altered on the way;
    a site that offers HTTPS but also serves plain HTTP leaves visitors on the insecure one.
    Failing example: http://www.example.gov.cn/ with nothing on port 443, or an HTTPS homepage
    whose certificate fails; http:// answering 200 without redirecting to https://.
    Passing example: https://www.example.gov.cn/ works and http:// redirects to it.
    Options: none.
    """
    home = facts.homepage
    if home is not None and not home.ok:
        return  # site-unreachable reports it; the scheme cannot be judged
    site_https = ctx.site.url.lower().startswith("https://")
    https = facts.https_homepage if not site_https else (facts.https_homepage or home)
    http = facts.http_homepage if site_https else (facts.http_homepage or home)
    final = facts.final_url or (home.final_url or home.url if home else None)
    if not site_https and not (final or "").startswith("https://") and not _ok(https):
        evidence = {"site_url": ctx.site.url, "https_url": https.url if https else None,
                    "https_status": https.status if https else None,
                    "https_error": (https.error or https.skipped) if https else "未检测"}
        yield Hit("网站未启用HTTPS：HTTPS首页无法访问", url=ctx.site.url,
                  evidence={k: v for k, v in evidence.items() if v not in (None, 0)}, key="no-https")
        return
    if http is not None and http.ok:
        landed = http.final_url or http.url
        if not landed.lower().startswith("https://"):
            yield Hit("HTTP访问未跳转到HTTPS", url=ctx.site.url,
                      evidence={"http_url": http.url, "final_url": landed, "status": http.status,
                                "redirects": list(http.redirects)}, key="no-redirect")


def _ok(result: LinkResult | None) -> bool:
    return result is not None and result.ok and (result.final_url or result.url).lower().startswith("https://")
