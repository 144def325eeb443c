"""The HTML report in a real browser: headless Chromium (Debian's), driven over the Chrome
DevTools Protocol on 127.0.0.1, opens the report of a scan of the fixture sites.

It must render with no console error, request nothing but its own file, filter by rule, keep
hostile text from scanned pages inert, and leave screenshots in test-artifacts/. Skipped only
when Chromium is missing outside CI; in CI (``CI`` set) a missing Chromium fails.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from govscan import config, serve
from govscan.demo import DEMO_AS_OF, connect_all_to
from govscan.model import Finding, fingerprint
from govscan.reports import validate
from govscan.reports.html import render_html
from govscan.run import RunOptions, run

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = (1280, 1000)

# Text of the fixture TRS article t20261105_123450.html (its <title> and a link text).
FIXTURE_TITLE = '</script>关于征集2026年民生实事项目意见的通知'
FIXTURE_LINK = "<img src=x onerror=alert(1)>公告"
# A rules file that makes the fixture's hostile text reach findings through the real pipeline:
# lexicon entries matching that article, so wrong-expression findings carry it as context.
RULES = """\
extends: default
rules:
  wrong-expression:
    extra-entries:
      - {wrong: 民生实事项目意见, right: 民生实事项目建议, category: 测试, severity: normal}
      - {wrong: onerror, right: 无, category: 测试, severity: normal}
"""
SYNTHETIC = {
    "message": '隐藏链接："><img src=x onerror=alert(2)><script>alert(3)</script>',
    "found_on": 'http://www.qingshan.gov.cn/a.html"onmouseover="alert(4)',
    "snippet": "<iframe src=javascript:alert(5)></iframe>",
    "style": "</style><script>alert(6)</script>",
    "text": "<svg/onload=alert(7)>",
}
PROBE = """
window.__hostile = [];
["alert", "confirm", "prompt", "print"].forEach(function (name) {
  window[name] = function () { window.__hostile.push(name + ":" + Array.prototype.join.call(arguments, ",")); };
});
"""


def chromium_path() -> str:
    for candidate in (os.environ.get("GOVSCAN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    if os.environ.get("CI"):
        pytest.fail("Chromium is not installed: CI must run scripts/test, which installs Debian's chromium")
    pytest.skip("Chromium is not installed (apt-get install chromium); CI does not skip this test")


class Browser:
    """Just enough of the DevTools protocol: one page session, commands and collected events."""

    def __init__(self, executable: str, profile: Path) -> None:
        import websocket

        self.proc = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--disable-default-apps", "--disable-dev-shm-usage", "--mute-audio",
             "--no-default-browser-check", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                self.close()
                raise RuntimeError(f"Chromium did not start its DevTools endpoint: {err[-2000:]}")
            time.sleep(0.05)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=30, suppress_origin=True)
        self.ids = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def _recv(self, timeout: float) -> dict:
        self.ws.settimeout(max(timeout, 0.01))
        return json.loads(self.ws.recv())

    def call(self, method: str, params: dict | None = None, *, page: bool = False, timeout: float = 30) -> dict:
        self.ids += 1
        message = {"id": self.ids, "method": method, "params": params or {}}
        if page:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            data = self._recv(deadline - time.monotonic())
            if data.get("id") == self.ids:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.events.append(data)

    def page(self, method: str, params: dict | None = None) -> dict:
        return self.call(method, params, page=True)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._recv(deadline - time.monotonic()))

    def drain(self, seconds: float) -> None:
        """Collect the events of the next moments (late console errors, requests)."""
        import websocket

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.events.append(self._recv(deadline - time.monotonic()))
            except websocket.WebSocketTimeoutException:
                break

    def js(self, expression: str):
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.page("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("browser")
    (tmp / "rules.yaml").write_text(RULES, "utf-8")
    server = serve.start()
    try:
        cfg = config.load(str(serve.fixtures_root() / "sites.yaml"), (), str(tmp / "rules.yaml"), DEMO_AS_OF)
        result = run(cfg, RunOptions(connect_to=connect_all_to(server.port)))
    finally:
        server.stop()
    site = next(s for s in result.sites if s.id == "qingshan")
    url = "javascript:alert(document.domain)"
    site.findings.append(Finding(
        url=url, rule="hidden-link", fingerprint=fingerprint("hidden-link", site.id, url), level="error",
        title="隐藏链接", message=SYNTHETIC["message"], found_on=(SYNTHETIC["found_on"],),
        evidence={k: SYNTHETIC[k] for k in ("snippet", "style", "text")}))
    data = result.to_dict()
    validate(data)
    path = tmp / "report.html"
    path.write_text(render_html(data), "utf-8")
    return path, data


@pytest.fixture(scope="module")
def browser(report_file, tmp_path_factory):
    b = Browser(chromium_path(), tmp_path_factory.mktemp("chromium-profile"))
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.page(f"{domain}.enable")
        b.page("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
        b.page("Emulation.setDeviceMetricsOverride", {"width": VIEWPORT[0], "height": VIEWPORT[1],
                                                      "deviceScaleFactor": 1, "mobile": False})
        b.page("Page.navigate", {"url": report_file[0].as_uri()})
        b.wait_for("Page.loadEventFired")
        b.drain(0.5)
        yield b
    finally:
        b.close()


def test_fixture_report_has_the_hostile_text(report_file):
    _, data = report_file
    evidence = json.dumps([f["evidence"] for s in data["sites"] for f in s["findings"]], ensure_ascii=False)
    assert FIXTURE_TITLE in evidence and FIXTURE_LINK in evidence


def test_renders_without_console_errors(browser, report_file):
    problems = [e for e in browser.events if e.get("method") == "Runtime.exceptionThrown"
                or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
                or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert not problems, problems
    assert browser.js("document.title").startswith("政府网站检查报告")
    sites = len(report_file[1]["sites"])
    assert sites >= 4
    assert browser.js("document.querySelectorAll('section.site').length") == sites
    assert browser.js("document.querySelector('#overview-table tbody').rows.length") == sites


def test_no_network_request_but_the_file(browser, report_file):
    requested = {e["params"]["request"]["url"] for e in browser.events
                 if e.get("method") == "Network.requestWillBeSent"}
    assert requested == {report_file[0].as_uri()}


def test_filtering_by_rule_hides_other_rows(browser, report_file):
    result = browser.js("""(() => {
      const sel = document.getElementById('filter-rule');
      sel.value = 'dead-link';
      sel.dispatchEvent(new Event('change'));
      const all = [...document.querySelectorAll('.finding')];
      const shown = all.filter(el => el.offsetParent !== null);
      return {total: all.length, shown: shown.map(el => el.dataset.rule),
              hidden: all.filter(el => el.offsetParent === null).map(el => el.dataset.rule),
              count: document.getElementById('filter-count').textContent};
    })()""")
    dead = sum(1 for s in report_file[1]["sites"] for f in s["findings"] if f["rule"] == "dead-link")
    assert dead and len(result["shown"]) == dead and set(result["shown"]) == {"dead-link"}
    assert result["hidden"] and "dead-link" not in result["hidden"]
    assert result["count"] == f"显示 {dead} 条问题"
    browser.js("document.querySelector('.finding[data-rule=\"dead-link\"]').scrollIntoView()")
    browser.screenshot(ARTIFACTS / "report-filtered.png")
    # typed text narrows further: the hostile link text of the fixture page
    browser.js("""(() => { const s = document.getElementById('filter-rule'); s.value = '';
                 s.dispatchEvent(new Event('change')); document.getElementById('filter-text').focus(); })()""")
    browser.page("Input.insertText", {"text": "onerror=alert(1)"})
    shown = browser.js("[...document.querySelectorAll('.finding')].filter(el => el.offsetParent !== null)"
                       ".map(el => el.dataset.rule)")
    assert shown == ["wrong-expression"]
    browser.js("""(() => { const t = document.getElementById('filter-text'); t.value = '';
                 t.dispatchEvent(new Event('input')); window.scrollTo(0, 0); })()""")


def test_hostile_content_stays_text(browser):
    state = browser.js("""(() => ({
      hostile: window.__hostile,
      scripts: document.scripts.length,
      handlers: [...document.querySelectorAll('*')].filter(el =>
          [...el.attributes].some(a => a.name.startsWith('on'))).map(el => el.outerHTML.slice(0, 80)),
      injected: document.querySelectorAll('iframe, img, object, embed, script[src]').length,
      hrefs: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
          .filter(h => !/^(https?:\\/\\/|#)/.test(h)),
      text: document.body.innerText,
    }))()""")
    assert state["hostile"] == [] and state["scripts"] == 1
    assert state["handlers"] == [] and state["injected"] == 0 and state["hrefs"] == []
    for payload in (FIXTURE_TITLE, FIXTURE_LINK, SYNTHETIC["message"], SYNTHETIC["found_on"],
                    SYNTHETIC["snippet"], SYNTHETIC["style"], SYNTHETIC["text"]):
        assert payload in state["text"], payload


def test_screenshot_saved(browser):
    browser.js("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    path = ARTIFACTS / "report.png"
    browser.screenshot(path)
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == VIEWPORT[0]
