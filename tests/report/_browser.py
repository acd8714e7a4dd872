"""One headless Chromium for all of a test module's pages (the browser tests' driver).

Starting Chromium costs ~1.5 s of wall time and ~1 CPU s; the browser tests open 18 pages, so
they share one browser and talk to it over the DevTools protocol through a pipe
(``--remote-debugging-pipe``: JSON messages separated by NUL bytes on file descriptors 3 and 4;
no driver or package beyond Chromium itself). Each page gets a fresh tab (target) that is
closed afterwards. Chromium comes from Debian (``apt-get install chromium``; .ci/run installs
it); without it the tests fail and say how to install it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--hide-scrollbars", "--remote-debugging-pipe",
]


def chromium_exe() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Chromium is not installed; the browser tests need it: "
                    "apt-get install -y chromium (as .ci/run does).")
    return exe


def _as_fds_3_and_4(read_end: int, write_end: int) -> None:
    """In the child: the command pipe's read end on fd 3, the reply pipe's write end on fd 4
    (copied above fd 10 first, so neither dup2 can overwrite the other)."""
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (read_end, write_end)]
    os.dup2(high[0], 3)
    os.dup2(high[1], 4)


class Browser:
    """A headless Chromium driven over ``--remote-debugging-pipe``."""

    def __init__(self, profile: Path, timeout: float = 180.0):
        self.timeout = timeout
        to_chrome_r, self._w = os.pipe()   # Chromium reads commands on its fd 3
        self._r, from_chrome_w = os.pipe()  # and writes replies and events on its fd 4
        self.proc = subprocess.Popen(
            [chromium_exe(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: _as_fds_3_and_4(to_chrome_r, from_chrome_w))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    # -- the protocol -------------------------------------------------------------------
    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium exited (code {self.proc.poll()})")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events met meanwhile are kept)."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        for i, ev in enumerate(self.events):
            if ev.get("method") == method and ev.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            ev = self._read(deadline)
            if ev.get("method") == method and ev.get("sessionId") == session:
                return ev
            self.events.append(ev)

    # -- pages ----------------------------------------------------------------------------
    def open(self, url: str, width: int, height: int) -> Page:
        """A new tab with a *width* x *height* viewport, *url* loaded (load event fired)."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, target, session)
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session)
        self.send("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                  deviceScaleFactor=1, mobile=False)
        self.send("Page.navigate", session, url=url)
        self.wait_event("Page.loadEventFired", session)
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)


class Page:
    def __init__(self, browser: Browser, target: str, session: str):
        self.browser, self.target, self.session = browser, target, session

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, self.session, **params)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"JavaScript error: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, selector: str) -> str:
        """The text of the element *selector* once it exists (a probe's output)."""
        return self.evaluate(
            "new Promise(ok => { const f = () => { const e = document.querySelector("
            f"{json.dumps(selector)}); e ? ok(e.textContent) : setTimeout(f, 20); }}; f(); }})")

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def print_to_pdf(self, path: Path) -> None:
        """What ``chromium --headless --no-pdf-header-footer --print-to-pdf`` prints: US
        letter, 0.4 in margins, no header or footer, no backgrounds, the print CSS."""
        data = self.send("Page.printToPDF", paperWidth=8.5, paperHeight=11,
                         displayHeaderFooter=False, printBackground=False)["data"]
        path.write_bytes(base64.b64decode(data))

    def messages(self) -> list[str]:
        """Console messages, uncaught exceptions and log entries (failed resource loads) of
        this page, as text."""
        out, keep = [], []
        for ev in self.browser.events:
            if ev.get("sessionId") != self.session:
                keep.append(ev)
                continue
            p = ev.get("params", {})
            if ev["method"] == "Runtime.consoleAPICalled":
                out.append("CONSOLE " + " ".join(str(a.get("value", a.get("description")))
                                                 for a in p.get("args", [])))
            elif ev["method"] == "Runtime.exceptionThrown":
                out.append("Uncaught " + json.dumps(p.get("exceptionDetails", {}))[:500])
            elif ev["method"] == "Log.entryAdded":
                e = p.get("entry", {})
                out.append(f"LOG {e.get('level')} {e.get('source')}: {e.get('text')}")
        self.browser.events[:] = keep
        return out

    def close(self) -> None:
        self.browser.send("Target.closeTarget", targetId=self.target)
