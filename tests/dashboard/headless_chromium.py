"""A headless Chromium driven over the DevTools protocol on a pipe (no port, no download).

`--remote-debugging-pipe` makes Chromium read commands on fd 3 and write replies and events
on fd 4, each a JSON message ended by a NUL byte. This is the small part of the protocol the
dashboard's tests need: open a page, evaluate JavaScript, take screenshots, and collect what a
page logs (console errors, exceptions) and every request it makes.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    env = os.environ.get("HARNESS_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class BrowserError(RuntimeError):
    pass


class Chromium:
    def __init__(self, binary: str, *, width: int = 1280, height: int = 900, timeout: float = 60):
        self.timeout = timeout
        self.events: list[dict] = []
        self._next_id = 0
        self._buffer = b""
        self._profile = tempfile.TemporaryDirectory(prefix="x2-chromium-")
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()
        # Copies above 4 first, so neither dup2 below can clobber the other's source. dup2
        # makes 3 and 4 inheritable; every other descriptor Python opened is close-on-exec,
        # which is why close_fds can stay off (it would close 3 and 4 after this runs).
        keep_in, keep_out = os.dup(to_child), os.dup(from_child)

        def wire() -> None:
            os.dup2(keep_in, 3)
            os.dup2(keep_out, 4)

        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--mute-audio",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,
            preexec_fn=wire,
        )
        for fd in (to_child, from_child, keep_in, keep_out):
            os.close(fd)
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    # --- the protocol -------------------------------------------------------------------

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._next_id += 1
        mid = self._next_id
        msg = {"id": mid, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._write, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            for reply in self._messages(deadline):
                if reply.get("id") == mid:
                    if "error" in reply:
                        raise BrowserError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
                self.events.append(reply)

    def call(self, method: str, **params) -> dict:
        """A command to the page."""
        return self.send(method, self.session, **params)

    def _messages(self, deadline: float) -> list[dict]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrowserError("Chromium did not answer in time")
        ready, _, _ = select.select([self._read], [], [], remaining)
        if not ready:
            raise BrowserError("Chromium did not answer in time")
        chunk = os.read(self._read, 1 << 20)
        if not chunk:
            raise BrowserError(f"Chromium exited (code {self.proc.poll()})")
        self._buffer += chunk
        *complete, self._buffer = self._buffer.split(b"\0")
        return [json.loads(m) for m in complete if m]

    # --- what the tests use --------------------------------------------------------------

    def open(self, url: str, ready: str = "document.body.dataset.ready === '1'") -> None:
        # Mark the page we leave, so its own readiness is never mistaken for the new one's.
        self.evaluate("window.__x2_left = true")
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + self.timeout
        while not self.evaluate(
            f"!window.__x2_left && document.readyState === 'complete' && ({ready})"
        ):
            if time.monotonic() > deadline:
                raise BrowserError(f"{url} did not get ready: {self.problems()}")
            time.sleep(0.05)

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, selector: str) -> bytes:
        """A PNG of the element, whole, wherever it is on the page."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, "
            "r.width, r.height]; })()"
        )
        x, y, w, h = box
        data = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": x, "y": y, "width": w, "height": h, "scale": 1},
        )["data"]
        return base64.b64decode(data)

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries so far."""
        out = []
        for ev in self.events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif method == "Runtime.exceptionThrown":
                details = p["exceptionDetails"]
                out.append(details.get("exception", {}).get("description") or details["text"])
            elif method == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(p["entry"]["text"])
        return out

    def requests(self) -> list[str]:
        return [
            ev["params"]["request"]["url"]
            for ev in self.events
            if ev.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()
