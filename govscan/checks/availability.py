"""Availability: can the site's homepage be fetched at all."""

from __future__ import annotations

from typing import Iterator

from govscan.facts import SiteFacts
from govscan.model import Context, Hit
from govscan.rules import rule

_ERRORS = {
    "timeout": "请求超时", "connect": "无法建立连接", "dns": "域名无法解析", "tls": "TLS/证书错误",
    "too-many-redirects": "重定向次数过多", "protocol": "协议错误", "too-large": "页面过大",
    "read": "读取响应失败", "blocked-private": "目标为内网地址，已拦截",
}


def describe_failure(status: int, error: str | None) -> str:
    if error:
        return _ERRORS.get(error, error)
    return f"HTTP {status}"


@rule(id="site-unreachable", title="站点无法访问", indicator="站点无法访问",
      basis="《政府网站与政务新媒体检查指标》单项否决：站点无法访问（首页超过15秒打不开）",
      scope="site", level="error")
def site_unreachable(facts: SiteFacts, options, ctx: Context) -> Iterator[Hit]:
    """What it checks: the homepage answers with HTTP < 400 within the timeout, after retries.

    Why it matters: an unreachable homepage is a veto item (≥ 5 % of probes over 7 days).
    Failing example: the homepage times out, refuses the connection or answers 503.
    Passing example: the homepage answers 200 (after any redirects).
    Options: none (timeout and retries are crawl settings).
    """
    result = facts.homepage
    if result is None or result.ok or result.skipped == "robots":
        return
    evidence = {"status": result.status, "error": result.error, "detail": result.error_detail,
                "redirects": list(result.redirects), "elapsed_ms": result.elapsed_ms}
    yield Hit(f"首页无法访问：{describe_failure(result.status, result.error)}",
              url=ctx.site.url, evidence={k: v for k, v in evidence.items() if v not in (None, [])})
