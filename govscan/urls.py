"""URL normalisation and host classification, shared by crawl, fetch and checks."""

from __future__ import annotations

import ipaddress
import posixpath
from functools import lru_cache
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import tldextract

# The bundled suffix list only: never fetch one at run time.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "sms:", "ftp:", "file:", "#")
GOV_SUFFIXES = ("gov.cn", "政务", "xn--zfr164b")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE = "/:@!$&'()*+,;=-._~%"


def normalize(url: str, base: str | None = None) -> str | None:
    """Absolute, canonical form of ``url`` (no fragment); None for non-HTTP targets."""
    url = url.strip().replace("\\", "/") if url else ""
    if not url or url.lower().startswith(SKIP_SCHEMES):
        return None
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path) if path not in ("/", "") else "/"
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if trailing and not path.endswith("/"):
        path += "/"
    path = quote(unquote(path), safe=_SAFE)
    query = quote(parts.query, safe=_SAFE + "?/")
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    ext = _EXTRACT(host)
    return f"{ext.domain}.{ext.suffix}" if ext.suffix else ext.domain


@lru_cache(maxsize=4096)
def is_gov_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return any(host == s or host.endswith("." + s) for s in GOV_SUFFIXES)


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def same_site(host: str, site_hosts: frozenset[str]) -> bool:
    return host.lower() in site_hosts
