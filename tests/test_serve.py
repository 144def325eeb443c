"""The fixture server (govscan.serve) and the consistency of the sample sites it serves."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pytest
import yaml

from govscan import serve
from govscan.page import Page
from govscan.urls import host_of, normalize

FIXTURES = serve.fixtures_root()
SITES = FIXTURES / "sites"
SAMPLE_SITES = ("qingshan", "qingshan-fgw", "baishui")


class _ToServer(httpx.HTTPTransport):
    """Send every request to the fixture server, keeping the URL's host in the Host header."""

    def __init__(self, port: int):
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        original = request.url
        request.url = original.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        try:
            return super().handle_request(request)
        finally:
            request.url = original


@pytest.fixture(scope="module")
def raw(fixture_server):
    with httpx.Client(base_url=fixture_server.base, timeout=5) as client:
        yield client


@pytest.fixture(scope="module")
def web(fixture_server):
    """A client that reaches http://<any fixture host>/ through the server."""
    with httpx.Client(transport=_ToServer(fixture_server.port), timeout=5) as client:
        yield client


def get(client, host, path, method="GET"):
    return client.request(method, path, headers={"Host": host})


# ---------------------------------------------------------------- virtual hosts

def test_server_object(fixture_server):
    assert fixture_server.port > 0
    assert fixture_server.base == f"http://127.0.0.1:{fixture_server.port}"
    assert fixture_server.url == fixture_server.base + "/"
    assert {"www.qingshan.gov.cn", "fgw.qingshan.gov.cn", "www.baishui-xian.com", "www.zj.gov.cn"} <= set(fixture_server.hosts)
    assert f"www.zj.gov.cn:80:127.0.0.1:{fixture_server.port}" in fixture_server.connect_to


def test_host_header_chooses_the_site(raw):
    city = get(raw, "www.qingshan.gov.cn", "/")
    dept = get(raw, "fgw.qingshan.gov.cn", "/")
    assert city.status_code == dept.status_code == 200
    assert "<title>青山市人民政府门户网站</title>" in city.text
    assert "<title>青山市发展和改革委员会</title>" in dept.text
    assert city.headers["content-type"] == "text/html; charset=utf-8"
    assert dept.headers["content-type"] == "text/html; charset=UTF-8"
    # port stripped, case folded, trailing dot ignored
    for host in ("www.qingshan.gov.cn:80", "WWW.QingShan.gov.cn", "www.qingshan.gov.cn."):
        assert get(raw, host, "/").content == city.content


def test_unknown_host_and_path_are_404(raw):
    for host, path in (("www.nowhere.gov.cn", "/"), ("127.0.0.1", "/"), ("..", "/"),
                       ("www.qingshan.gov.cn", "/no/such/page.html")):
        r = get(raw, host, path)
        assert r.status_code == 404, (host, path)
        assert r.headers["content-type"].startswith("text/html") and "404" in r.text


def test_directory_index_and_slash_redirect(raw):
    index = get(raw, "www.qingshan.gov.cn", "/zwgk/tzgg/index.html")
    assert get(raw, "www.qingshan.gov.cn", "/zwgk/tzgg/").content == index.content
    r = get(raw, "www.qingshan.gov.cn", "/zwgk/tzgg")
    assert r.status_code == 301 and r.headers["location"] == "/zwgk/tzgg/"


def test_query_string_ignored_for_files(raw):
    assert get(raw, "www.qingshan.gov.cn", "/css/style.css?v=2").status_code == 200


def test_content_types(raw):
    assert get(raw, "www.qingshan.gov.cn", "/css/style.css").headers["content-type"] == "text/css; charset=utf-8"
    assert get(raw, "www.qingshan.gov.cn", "/images/red.png").headers["content-type"] == "image/png"
    pdf = get(raw, "www.qingshan.gov.cn", "/zwgk/zcwj/202610/P020261020512345678.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    robots = get(raw, "www.qingshan.gov.cn", "/robots.txt")
    assert robots.headers["content-type"].startswith("text/plain")
    assert "Disallow: /private/" in robots.text
    # no _site.yaml: no charset claimed
    assert get(raw, "www.gov.cn", "/").headers["content-type"] == "text/html"


# ---------------------------------------------------------------- the GBK site

def test_gbk_bytes_served_unchanged(raw):
    r = get(raw, "www.baishui-xian.com", "/")
    assert r.status_code == 200
    assert r.content == (SITES / "www.baishui-xian.com" / "index.html").read_bytes()
    assert r.headers["content-type"] == "text/html"  # the header says nothing about the charset
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    text = r.content.decode("gbk")
    assert "<title>白水县人民政府门户网站</title>" in text and "县政府常务会议" in text
    assert 'charset=gb2312' in text


def test_gbk_site_wrong_headers(raw):
    wrong = get(raw, "www.baishui-xian.com", "/xxgk/index.html")
    assert wrong.headers["content-type"] == "text/html; charset=utf-8"
    assert "政府信息公开" in wrong.content.decode("gbk")
    latin = get(raw, "www.baishui-xian.com", "/xwzx/cwhy/202611/t20261116_8801.html")
    assert latin.headers["content-type"] == "text/html; charset=iso-8859-1"
    text = latin.content.decode("gbk")
    assert "喆" in text  # a GBK character outside GB2312, although the page declares gb2312
    with pytest.raises(UnicodeEncodeError):
        "喆".encode("gb2312")


# ---------------------------------------------------------------- routes

def test_redirect_routes(raw, web):
    r = get(raw, "www.qingshan.gov.cn", "/old/zcwj.html")
    assert r.status_code == 301 and r.headers["location"] == "http://www.qingshan.gov.cn/redirect/zcwj.html"
    r = get(raw, "www.qingshan.gov.cn", "/redirect/zcwj.html")
    assert r.status_code == 302 and r.headers["location"] == "/zwgk/zcwj/index.html"
    good = web.get("http://www.qingshan.gov.cn/old/zcwj.html", follow_redirects=True)
    assert [h.status_code for h in good.history] == [301, 302] and good.status_code == 200
    assert str(good.url) == "http://www.qingshan.gov.cn/zwgk/zcwj/index.html"
    bad = web.get("http://www.qingshan.gov.cn/old/bszn.html", follow_redirects=True)
    assert [h.status_code for h in bad.history] == [301] and bad.status_code == 404


def test_error_routes(raw):
    assert get(raw, "www.qingshan.gov.cn", "/hdjl/zxdc/index.html").status_code == 500
    forbidden = get(raw, "www.baishui-xian.com", "/xxgk/ysqgk/index.html")
    assert forbidden.status_code == 403 and "403" in forbidden.text


def test_head_refused_but_get_works(raw):
    head = get(raw, "www.baishui-xian.com", "/bsfw/index.html", "HEAD")
    assert head.status_code == 405 and head.content == b""
    assert get(raw, "www.baishui-xian.com", "/bsfw/index.html").status_code == 200


def test_head_matches_get(raw):
    get_r = get(raw, "www.qingshan.gov.cn", "/")
    head = get(raw, "www.qingshan.gov.cn", "/", "HEAD")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get_r.content))
    assert head.headers["content-type"] == get_r.headers["content-type"]
    assert get(raw, "www.qingshan.gov.cn", "/missing.html", "HEAD").status_code == 404


def test_route_with_query_and_private_file(raw):
    path = "/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=1234&unitid=4567"
    r = get(raw, "fgw.qingshan.gov.cn", path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert "art_1234_5660.html" in r.text
    assert get(raw, "fgw.qingshan.gov.cn", "/module/web/jpage/dataproxy.jsp").status_code == 404
    assert "art_1235_5690.html" in get(raw, "fgw.qingshan.gov.cn", path.replace("1234", "1235")).text


def test_route_answers_for_paths_without_files(raw):
    r = get(raw, "bszs.conac.cn", "/sitename?method=show&id=6B3F1A2C9D8E4F50A1B2C3D4E5F60718")
    assert r.status_code == 200 and "党政机关网站标识" in r.text


@pytest.mark.parametrize("path", ["/_site.yaml", "/_dataproxy_1234.xml", "/%5Fsite.yaml", "/../sites.yaml",
                                  "/%2e%2e/sites.yaml", "/%2e%2e/%2e%2e/sites.yaml", "/.hidden"])
def test_private_files_never_served(raw, path):
    r = get(raw, "fgw.qingshan.gov.cn", path)
    assert r.status_code == 404
    assert b"routes" not in r.content and b"datastore" not in r.content


# ---------------------------------------------------------------- robustness

def test_bad_requests_do_not_break_the_server(fixture_server, raw, capfd):
    for junk in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                 b"GET / HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n", b"POST / HTTP/1.1\r\nHost: www.gov.cn\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", fixture_server.port), timeout=5) as sock:
            sock.sendall(junk)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):
                pass
    with socket.create_connection(("127.0.0.1", fixture_server.port), timeout=5) as sock:
        sock.close()  # connect and hang up
    assert get(raw, "www.gov.cn", "/").status_code == 200
    assert capfd.readouterr().err == ""


def test_broken_site_config_is_a_500_not_a_crash(tmp_path: Path, capfd):
    site = tmp_path / "sites" / "broken.example.com"
    site.mkdir(parents=True)
    (site / "_site.yaml").write_text("routes: [unclosed\n", "utf-8")
    (site / "index.html").write_text("<p>x</p>", "utf-8")
    server = serve.start(tmp_path)
    try:
        with httpx.Client(base_url=server.base, timeout=5) as client:
            assert client.get("/", headers={"Host": "broken.example.com"}).status_code == 500
            assert client.get("/", headers={"Host": "broken.example.com"}).status_code == 500
    finally:
        server.stop()
    assert capfd.readouterr().err == ""


def test_start_and_stop_own_root(tmp_path: Path):
    (tmp_path / "sites" / "a.example.com").mkdir(parents=True)
    (tmp_path / "sites" / "a.example.com" / "index.html").write_bytes(b"<title>A</title>")
    server = serve.start(tmp_path)
    assert server.hosts == ["a.example.com"]
    with httpx.Client(base_url=server.base, timeout=5) as client:
        r = client.get("/", headers={"Host": "a.example.com"})
    assert r.content == b"<title>A</title>" and r.headers["content-type"] == "text/html"
    server.stop()
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=2) as client:
        client.get(server.url)


def test_fixtures_root():
    assert (serve.fixtures_root() / "sites.yaml").is_file()
    assert (serve.fixtures_root() / "sites").is_dir()


# ---------------------------------------------------------------- the sample sites themselves

def _crawl(client: httpx.Client, home: str) -> dict[str, set[str]]:
    """A small reference crawl of one site: target URL -> pages linking it (robots.txt obeyed).
    Besides the markup's links it reads Hanweb datastore records and TRS createPageHTML pages."""
    host = host_of(home)
    robots = client.get(f"http://{host}/robots.txt")
    disallow = re.findall(r"(?m)^Disallow:\s*(\S+)", robots.text) if robots.status_code == 200 else []
    refs: dict[str, set[str]] = {}
    todo, seen = [home], {home}
    while todo:
        url = todo.pop(0)
        r = client.get(url, follow_redirects=True)
        if r.status_code != 200 or not r.headers["content-type"].startswith("text/html"):
            continue
        text = r.content.decode("gbk" if host == "www.baishui-xian.com" else "utf-8")
        page = Page.from_html(url, text, final_url=str(r.url))
        links = [link.url for link in page.links]
        for cdata in re.findall(r"<!\[CDATA\[(.*?)\]\]>", text, re.S):
            links += [link.url for link in Page.from_html(url, cdata).links]
        for count, _, name, ext in re.findall(r'createPageHTML\((\d+),\s*(\d+),\s*"(\w+)",\s*"(\w+)"\)', text):
            links += [normalize(f"{name}_{i}.{ext}" if i else f"{name}.{ext}", url) for i in range(int(count))]
        for link in filter(None, links):
            refs.setdefault(link, set()).add(str(r.url))
            path = link.split(host, 1)[-1]
            if host_of(link) == host and link not in seen and not any(path.startswith(d) for d in disallow):
                seen.add(link)
                todo.append(link)
    return {u: p for u, p in refs.items() if not (host_of(u) == host and
                                                  any(u.split(host, 1)[-1].startswith(d) for d in disallow))}


def test_sample_sites_break_exactly_where_planted(web, expected_findings):
    sites = {s["id"]: s for s in yaml.safe_load((FIXTURES / "sites.yaml").read_text("utf-8"))["sites"]}
    for site_id in SAMPLE_SITES:
        refs = _crawl(web, sites[site_id]["url"])
        broken = {}
        for target, pages in refs.items():
            r = web.get(target, follow_redirects=True)
            soft = r.status_code == 200 and "页面不存在" in r.text[:1000]
            if r.status_code >= 400 or soft:
                broken[target] = sorted(pages)
        planted = {e["url"]: sorted(e["found_on"]) for e in expected_findings
                   if e["site"] == site_id and e["rule"] == "dead-link"}
        assert broken == planted, site_id


def test_sites_file_and_expected_findings_agree(expected_findings):
    sites = {s["id"]: s for s in yaml.safe_load((FIXTURES / "sites.yaml").read_text("utf-8"))["sites"]}
    for site_id in SAMPLE_SITES:
        assert sites[site_id]["url"].startswith("http://") and "connect_to" not in sites[site_id]
        assert (SITES / host_of(sites[site_id]["url"]) / "index.html").is_file()
    assert sites["lvshui"]["connect_to"] == "127.0.0.1:9"
    assert not (SITES / host_of(sites["lvshui"]["url"])).exists()
    mine = [e for e in expected_findings if e["site"] in SAMPLE_SITES + ("lvshui",)]
    assert {e["rule"] for e in mine} >= {"dead-link", "non-gov-domain", "site-unreachable"}
    for entry in mine:
        assert entry["level"] in ("error", "warning", "info") and entry["note"]
        assert entry["url"].startswith("http://")
