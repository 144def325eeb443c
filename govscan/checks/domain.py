"""Domain: government sites are served from .gov.cn or .政务 hosts."""

from __future__ import annotations

from typing import Iterator

from govscan.facts import SiteFacts
from govscan.model import Context, Hit
from govscan.rules import rule
from govscan.urls import host_of, is_gov_host


@rule(id="non-gov-domain", title="域名不规范", indicator="网站标识/域名",
      basis="《政府网站发展指引》（国办发〔2017〕47号）：政府网站英文域名应以.gov.cn结尾，中文域名以.政务结尾",
      scope="site", level="error", options={"allowed-hosts": []})
def non_gov_domain(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the site's host, and the host its homepage finally lands on, end in .gov.cn or .政务.

    Why it matters: 47号文 reserves .gov.cn for government sites; other suffixes are non-compliant.
    Failing example: https://www.baishui-county.com/ or a .gov.cn homepage redirecting to a .com host.
    Passing example: https://www.qingshan.gov.cn/.
    Options: allowed-hosts — hosts accepted although outside .gov.cn (e.g. a known exception).
    """
    allowed = {h.lower() for h in options["allowed-hosts"]}
    hosts = [ctx.site.host]
    if facts.final_url and host_of(facts.final_url) not in hosts:
        hosts.append(host_of(facts.final_url))
    bad = [h for h in hosts if h and not is_gov_host(h) and h not in allowed]
    if bad:
        yield Hit(f"网站域名 {bad[0]} 不是 .gov.cn 或 .政务 域名",
                  url=ctx.site.url, evidence={"host": bad[0], "hosts": hosts, "final_url": facts.final_url})
