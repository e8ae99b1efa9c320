"""Headless Chromium (Debian's chromium) driven over the DevTools protocol, for tests of pages opened from disk.

The websockets client is Prefect's own dependency: no browser automation library is brought in for one test.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--remote-debugging-port=0"]


@dataclass
class LoadedPage:
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    value: object = None  # what the script evaluated after the load returned
    screenshot: bytes = b""


@contextmanager
def chromium(profile: Path) -> Iterator[str]:
    """A headless Chromium; yields its browser websocket URL, stops it after."""
    process = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in process.stderr:
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                yield found.group(1)
                break
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not open its DevTools port")
        else:
            raise RuntimeError("Chromium stopped before opening its DevTools port")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def load_page(browser_url: str, page_url: str, script: str, width: int = 1000, height: int = 1400) -> LoadedPage:
    """Opens PAGE_URL in a new tab, waits for its load event, evaluates SCRIPT, takes a full-page screenshot."""
    loaded = LoadedPage()
    with connect(browser_url, max_size=None, open_timeout=30) as socket:
        calls = iter(range(1, 10**6))

        def call(method: str, session: str | None = None, **params) -> dict:
            number = next(calls)
            socket.send(json.dumps({"id": number, "method": method, "params": params} |
                                   ({"sessionId": session} if session else {})))
            while True:
                message = json.loads(socket.recv(timeout=60))
                if message.get("id") == number:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message["result"]
                note(message)

        def note(message: dict) -> None:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.exceptionThrown":
                loaded.errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                loaded.errors.append(" ".join(str(a.get("value")) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                loaded.errors.append(params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                loaded.requests.append(params["request"]["url"])
            elif method == "Page.loadEventFired":
                loaded.value = "loaded"

        target = call("Target.createTarget", url="about:blank")["targetId"]
        session = call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Runtime", "Log", "Page", "Network"):
            call(f"{domain}.enable", session)
        call("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1,
             mobile=False)
        call("Page.navigate", session, url=page_url)
        while loaded.value != "loaded":
            note(json.loads(socket.recv(timeout=60)))
        result = call("Runtime.evaluate", session, expression=script, returnByValue=True, awaitPromise=True)
        loaded.value = result["result"].get("value")
        shot = call("Page.captureScreenshot", session, format="png", captureBeyondViewport=True)
        loaded.screenshot = base64.b64decode(shot["data"])
    return loaded
