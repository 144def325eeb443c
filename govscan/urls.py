"""URL normalisation and host classification, shared by crawl, fetch and checks."""

from __future__ import annotations

import ipaddress
import posixpath
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    import tldextract

SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "sms:", "ftp:", "file:", "#")
GOV_SUFFIXES = ("gov.cn", "政务", "xn--zfr164b")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE = "/:@!$&'()*+,;=-._~%"


# normalize() is the crawl's hottest function (every link of every page, again in extractors):
# results are memoised on (url, the part of base the result depends on), so that a site's
# navigation and footer links, the same on every page, are worked out once. Bounded: cleared
# when full.
_MEMO: dict[tuple[str, str | None], str | None] = {}
_MEMO_MAX = 16_384


def normalize(url: str, base: str | None = None) -> str | None:
    """Absolute, canonical form of ``url`` (no fragment); None for non-HTTP targets."""
    if not url:
        return None
    if base:
        kind = _KINDS.get(url)
        if kind is None:
            if len(_KINDS) >= _MEMO_MAX:
                _KINDS.clear()
            kind = _KINDS[url] = _url_kind(url)
        if kind >= 0:
            parts = _BASES.get(base) or _base_parts(base)
            key = (url, parts[kind])
        else:
            key = (url, None)
    else:
        key = (url, None)
    try:
        return _MEMO[key]  # never holds a skipped scheme: tested on a miss only
    except KeyError:
        pass
    if url.lstrip()[:11].lower().startswith(SKIP_SCHEMES):
        return None
    result = _normalize(url, base)
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
        _BASES.clear()
    _MEMO[key] = result
    return result


def _authority_end(base: str) -> int:
    """Index of the '/' that starts base's path; -1 when base has no path, or a query or
    fragment comes first (then only the whole base is a safe key)."""
    start = base.find("//")
    if start < 0:
        return -1
    end = base.find("/", start + 2)
    if end < 0 or "?" in base[:end] or "#" in base[:end]:
        return -1
    return end


_BASES: dict[str, tuple[str, str, str, str]] = {}


def _base_parts(base: str) -> tuple[str, str, str, str]:
    """(scheme, origin, directory, base) of ``base`` as memo keys; ``base`` itself where unsure."""
    parts = _BASES.get(base)
    if parts is None:
        end = _authority_end(base)
        scheme = base[: base.find(":") + 1] or base
        origin = base[:end] if end > 0 else base
        directory = base if end < 0 or "?" in base or "#" in base else base[: base.rfind("/") + 1]
        if len(_BASES) >= 4096:
            _BASES.clear()
        parts = _BASES[base] = (scheme, origin, directory, base)
    return parts


# What part of base a link's resolution depends on is a property of the link alone: the index
# into _base_parts (3: the whole base), or -1 when base plays no part (an absolute URL). Kept
# per link (bounded as the memo), so that a memo key costs two dictionary lookups.
_KINDS: dict[str, int] = {}


def _base_key(url: str, base: str) -> str | None:
    """The part of ``base`` that ``urljoin(base, url)`` depends on, for the memo key."""
    kind = _url_kind(url)
    return _base_parts(base)[kind] if kind >= 0 else None


def _url_kind(url: str) -> int:
    """Which part of any base ``urljoin(base, url)`` depends on (see _KINDS)."""
    u = url if url[:1] > " " else url.lstrip()
    first = u[:1]
    if first == "/" or first == "\\":
        second = u[1:2]
        if second == "/" or second == "\\":
            after = u[2:3]
            if not after or after in "/\\?#":
                return 3
            return 0  # scheme-relative: the scheme
        return 1  # root-relative: scheme and authority
    if first == "h" or first == "H":
        head = u[:8].lower()
        if head.startswith(("http://", "https://")):
            after = u[u.find("//") + 2:][:1]
            return -1 if after and after not in "/\\?#" else 3  # absolute: base plays no part
    if not first or first in "?#":
        return 3
    colon = u.find(":")
    if colon >= 0:
        slash = u.find("/")
        if slash < 0 or colon < slash:
            return 3  # another scheme, or something urljoin may read as one
    return 2  # a relative path: base's directory


def _normalize(url: str, base: str | None) -> str | None:
    url = url.strip().replace("\\", "/") if url else ""
    if not url or url.lower().startswith(SKIP_SCHEMES):
        return None
    joined = _join_simple(url, base) if base else None
    if joined is not None:
        scheme, netloc, path = joined
        query = ""
    else:
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
        path = parts.path
        query = parts.query
    path = path or "/"
    trailing = path.endswith("/")
    path = posixpath.normpath(path) if path not in ("/", "") else "/"
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if trailing and not path.endswith("/"):
        path += "/"
    path = quote(unquote(path), safe=_SAFE)
    query = quote(query, safe=_SAFE + "?/")
    return urlunsplit((scheme, netloc, path, query, ""))


# The common first sight of a link: a relative or root-relative path (no scheme, query,
# fragment or parameters) on a canonical base. urljoin and a second urlsplit are most of
# _normalize's cost (~35 µs in a crawl, its code cold in the CPU caches); _join_simple does
# urljoin's path resolution (RFC 3986 as CPython writes it) on the parts urlsplit would give.
_SIMPLE_REF = re.compile(r"(?!//)[A-Za-z0-9._~!$&'()*+,=@%/-]+")
_SIMPLE_BASE = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*)(/[A-Za-z0-9._~!$&'()*+,=@%/:-]*)?")


def _join_simple(url: str, base: str) -> tuple[str, str, str] | None:
    """(scheme, host, joined path) as ``urlsplit(urljoin(base, url))`` gives them, for a
    simple ``url`` and ``base`` (no port, no user, lower-case ASCII host); None otherwise."""
    if _SIMPLE_REF.fullmatch(url) is None:
        return None
    parts = _simple_base(base)
    if parts is None:
        return None
    scheme, netloc, bpath = parts
    # from urllib.parse.urljoin
    if url[:1] == "/":
        segments = url.split("/")
    else:
        base_parts = bpath.split("/")
        if base_parts[-1] != "":
            del base_parts[-1]  # the last item is not a directory
        segments = base_parts + url.split("/")
        segments[1:-1] = filter(None, segments[1:-1])
    resolved: list[str] = []
    for seg in segments:
        if seg == "..":
            if resolved:
                resolved.pop()
        elif seg != ".":
            resolved.append(seg)
    if segments[-1] in (".", ".."):
        resolved.append("")
    path = "/".join(resolved) or "/"
    if path[:1] != "/":
        path = "/" + path  # as urlunsplit puts it after a netloc
    return scheme, netloc, path


@lru_cache(maxsize=1024)
def _simple_base(base: str) -> tuple[str, str, str] | None:
    match = _SIMPLE_BASE.fullmatch(base)
    if match is None:
        return None
    return match.group(1), match.group(2), match.group(3) or ""


@lru_cache(maxsize=16384)  # asked of every link and page, by several checks and extractors
def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


@lru_cache(maxsize=16384)  # asked several times of every request
def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)


@cache
def _extractor() -> "tldextract.TLDExtract":
    """tldextract on its bundled suffix list only: never fetched at run time. Imported when
    first needed: it imports requests and urllib3 (~0.1 s), which only the processes that
    compare registered domains (page analysis) need."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def load_suffix_list() -> None:
    """Import tldextract and read its suffix list now (a worker does this while it waits for
    its first page) rather than at the first registered_domain."""
    registered_domain("www.gov.cn")


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    ext = _extractor()(host)
    return f"{ext.domain}.{ext.suffix}" if ext.suffix else ext.domain


@lru_cache(maxsize=4096)
def is_gov_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    return any(host == s or host.endswith("." + s) for s in GOV_SUFFIXES)


@lru_cache(maxsize=4096)  # asked of a page's few link hosts by several checks (a miss raises twice)
def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def same_site(host: str, site_hosts: frozenset[str]) -> bool:
    return host.lower() in site_hosts
