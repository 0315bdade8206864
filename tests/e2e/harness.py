"""Shared browser-test plumbing: start the Streamlit app, drive headless Chromium, wait for reruns.

Plain functions (no pytest) so both ``tests/e2e/conftest.py`` and ``scripts/bench_ui.py`` use them.
Timeouts are in seconds throughout.

DOM signals, checked against Streamlit 1.67's real DOM (not guessed):

* ``[data-testid="stApp"]`` carries ``data-test-script-state``: ``initial`` (no run yet) ->
  ``running`` -> ``notRunning`` when the script run has finished (``rerunRequested``,
  ``stopRequested``, ``compilationError`` also exist). It also carries
  ``data-test-connection-state`` (``CONNECTED`` once the websocket is up). This is the idle signal.
* ``[data-testid="stStatusWidget"]`` only appears after a run has lasted ~0.5 s (its text is
  "Stop" with ``toolbarMode = "minimal"``) and lingers ~0.1 s after the run ends, so it is a
  secondary signal: screenshots wait for it to be gone as well.
* Sidebar navigation (``st.navigation``): ``a[data-testid="stSidebarNavLink"]``, text = page title.
* ``st.number_input``: ``input[data-testid="stNumberInputField"][aria-label=<label>]``; a typed
  value is committed on Enter (or blur), which starts a rerun.
* ``st.progress``: ``[data-testid="stProgress"]``; ``st.dataframe``: ``[data-testid="stDataFrame"]``;
  ``st.table``: ``[data-testid="stTable"]`` (testids read from the 1.67 frontend bundle).
* Exceptions: ``[data-testid="stException"]``. Plotly charts: ``[data-testid="stPlotlyChart"]``
  wrapping a ``.js-plotly-plot`` once Plotly has drawn.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1400, "height": 1000}
MAX_SHOT_HEIGHT = 12_000  # px; a taller page is cut there

APP_SELECTOR = '[data-testid="stApp"]'
STATUS_WIDGET = '[data-testid="stStatusWidget"]'
EXCEPTION_SELECTOR = '[data-testid="stException"]'
MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
NAV_LINK = 'a[data-testid="stSidebarNavLink"]'
PLOTLY_CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
PROGRESS_BAR = '[data-testid="stProgress"]'
# A metrics table is either st.dataframe (canvas grid) or st.table (HTML table).
TABLE = '[data-testid="stDataFrame"], [data-testid="stTable"]'

# True when the last script run has finished and the websocket is connected.
IDLE_JS = """() => {
  const a = document.querySelector('[data-testid="stApp"]');
  if (!a || a.getAttribute('data-test-connection-state') !== 'CONNECTED') return false;
  const s = a.getAttribute('data-test-script-state');
  return s === 'notRunning' || s === 'compilationError';
}"""


# --------------------------------------------------------------------------- server


def chromium_path() -> str:
    return os.environ.get("LSTM_LENS_CHROMIUM", DEFAULT_CHROMIUM)


def free_port() -> int:
    """A free loopback port (bound once then released; Streamlit binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    proc: subprocess.Popen
    port: int
    log_path: Path
    started_at: float  # time.perf_counter() just before Popen
    cache_dir: Path | None = None
    _owned_tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group, then SIGKILL if it lingers."""
        stop_process_group(self.proc, timeout)
        if self._owned_tmp is not None:
            self._owned_tmp.cleanup()
            self._owned_tmp = None


def kill_process_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGKILL the server and its worker processes at once (a crash: no clean-up runs)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    proc.wait(timeout)


def stop_process_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout)


def start_server(
    log_path: Path | None = None, cache_dir: Path | None = None, app: str = "app.py", env: dict | None = None
) -> AppServer:
    """Popen ``streamlit run app.py`` on a free loopback port, in its own process group.

    Does not wait: call :func:`wait_healthy`. ``cache_dir`` (``LSTM_LENS_CACHE``) defaults to a
    fresh temporary directory removed by :meth:`AppServer.stop`. ``env`` adds or overrides
    environment variables (e.g. ``LENS_DB``: each test server gets its own run store).
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = log_path or ARTIFACTS / f"server-{port}.log"
    owned = None
    if cache_dir is None:
        owned = tempfile.TemporaryDirectory(prefix="lstm-lens-cache-")
        cache_dir = Path(owned.name)
    env = {**os.environ, **(env or {})}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["LSTM_LENS_CACHE"] = str(cache_dir)
    env.setdefault("PYTHONUNBUFFERED", "1")
    cmd = [
        sys.executable, "-m", "streamlit", "run", app,
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = open(log_path, "wb")  # noqa: SIM115 - the child keeps it; closed below once inherited
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: teardown kills its children too
        )
    finally:
        log.close()
    return AppServer(proc, port, log_path, started, cache_dir, owned)


def wait_healthy(server: AppServer, timeout: float = 60.0, poll: float = 0.05) -> float:
    """Block until ``/_stcore/health`` answers ``ok``; return seconds since Popen.

    Raises RuntimeError with the server log tail if the process dies or the timeout passes.
    """
    url = f"{server.base_url}/_stcore/health"
    deadline = time.perf_counter() + timeout
    last_error = "no answer"
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with code {server.proc.returncode} before it was healthy; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                body = resp.read().decode(errors="replace").strip()
            if body == "ok":
                return time.perf_counter() - server.started_at
            last_error = f"answered {body!r}"
        except OSError as exc:  # connection refused while it starts, URLError, timeouts
            last_error = str(exc)
        time.sleep(poll)
    raise RuntimeError(
        f"streamlit not healthy at {url} after {timeout:.0f} s ({last_error}); "
        f"log {server.log_path}:\n{server.log_tail()}"
    )


# --------------------------------------------------------------------------- browser


def launch_browser(playwright):
    """Headless Debian Chromium; raises FileNotFoundError if the executable is missing."""
    exe = chromium_path()
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        raise FileNotFoundError(
            f"chromium not installed: {exe} missing (run `make chromium` as root, "
            "`sudo apt-get install chromium`, or set LSTM_LENS_CHROMIUM)"
        )
    return playwright.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)


# Console errors that are Streamlit-internal noise, not app problems. Each entry is documented:
#  * When a page other than the root is opened by URL (e.g. http://host/train), Streamlit's
#    frontend probes for its base path by requesting ``<page>/_stcore/health`` and
#    ``<page>/_stcore/host-config`` first; those 404 (then ``/_stcore/...`` answers 200).
#    Known upstream: streamlit/streamlit#7074. Observed here on 1.67 with a bare test app.
#  * ``favicon.ico`` 404s are the browser's own request, nothing the app renders.
def is_benign_console_error(text: str, url: str) -> bool:
    if "404" in text and url.rstrip("/").endswith(("/_stcore/health", "/_stcore/host-config")):
        return True
    if "404" in text and url.endswith("/favicon.ico"):
        return True
    return False


@dataclass
class PageProblems:
    """Console errors and uncaught page exceptions seen by a page (benign noise filtered)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def attach(self, page) -> "PageProblems":
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        return self

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        url = (msg.location or {}).get("url", "")
        entry = f"{msg.text} (at {url})" if url else msg.text
        (self.ignored if is_benign_console_error(msg.text, url) else self.console_errors).append(entry)

    def summary(self) -> str:
        parts = [f"console error: {e}" for e in self.console_errors]
        parts += [f"page error: {e}" for e in self.page_errors]
        return "\n".join(parts)


def new_page(browser):
    """A fresh context (1400x1000 viewport) and page; returns ``(context, page, problems)``."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    problems = PageProblems().attach(page)
    return context, page, problems


# --------------------------------------------------------------------------- waiting


def script_state(page) -> str | None:
    return page.evaluate(
        "() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') ?? null"
    )


def wait_idle(page, timeout: float = 30.0) -> None:
    """Wait until the current script run has finished (``data-test-script-state`` notRunning).

    Right after an action that triggers a rerun the state may still read ``notRunning`` for
    ~100 ms before the server answers; use :func:`wait_rerun` around such actions.
    """
    page.wait_for_function(IDLE_JS, timeout=timeout * 1000)


_ARM_JS = """() => {
  const a = document.querySelector('[data-testid="stApp"]');
  if (window.__lensObserver) window.__lensObserver.disconnect();
  window.__lensRunsSeen = 0;
  window.__lensObserver = new MutationObserver(() => {
    const s = a.getAttribute('data-test-script-state');
    if (s === 'running' || s === 'rerunRequested') window.__lensRunsSeen++;
  });
  window.__lensObserver.observe(a, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""

_RUN_DONE_JS = "() => window.__lensRunsSeen > 0 && (" + IDLE_JS + ")()"


def wait_rerun(page, action, timeout: float = 30.0, start_timeout: float = 3.0):
    """Run ``action()`` (a click, an Enter...) and wait for the rerun it starts to finish.

    A MutationObserver armed before the action counts transitions to ``running``, so a stale
    ``notRunning`` read before the server reacts is not mistaken for the end of the rerun. If no
    run starts within ``start_timeout`` (the action changed nothing), it just waits for idle.
    Returns whatever ``action`` returns.
    """
    page.evaluate(_ARM_JS)
    result = action()
    deadline = time.perf_counter() + timeout
    try:
        page.wait_for_function(_RUN_DONE_JS, timeout=start_timeout * 1000)
    except Exception:  # playwright TimeoutError: either still running or no rerun at all
        if page.evaluate("() => window.__lensRunsSeen || 0") > 0:
            remaining = max(deadline - time.perf_counter(), 0.1)
            page.wait_for_function(_RUN_DONE_JS, timeout=remaining * 1000)
        else:
            wait_idle(page, max(deadline - time.perf_counter(), 0.1))
    return result


def wait_settled(page, timeout: float = 30.0) -> None:
    """Idle, and the status widget ("Running"/"Stop" indicator) gone."""
    wait_idle(page, timeout)
    page.locator(STATUS_WIDGET).first.wait_for(state="hidden", timeout=timeout * 1000)


# --------------------------------------------------------------------------- actions


# Idle with something in the main area: the root URL's page renders nothing and forwards to /data,
# and between its run and Data's the app reads notRunning for a moment (seen 1 in 2 loads).
_PAGE_DRAWN_JS = (
    "() => (" + IDLE_JS + ")() && !!document.querySelector('[data-testid=\"stMain\"]')?.innerText.trim()"
)


def open_app(page, base_url: str, path: str = "", timeout: float = 60.0) -> None:
    """Load ``base_url/path`` (e.g. ``"train"``) and wait for its first run to finish (after the
    root URL's forward to /data, when ``path`` is empty)."""
    page.goto(f"{base_url}/{path.lstrip('/')}", wait_until="domcontentloaded")
    page.wait_for_function(_PAGE_DRAWN_JS, timeout=timeout * 1000)


def nav_link(page, title: str):
    return page.locator(NAV_LINK).filter(has_text=title).first


def click_nav(page, title: str, timeout: float = 30.0) -> None:
    """Click the sidebar link of page ``title`` (client-side navigation) and wait for its run."""
    wait_rerun(page, lambda: nav_link(page, title).click(), timeout)


def button(page, text: str, where: str = MAIN):
    """The button labelled ``text`` inside ``where`` (the main area by default).

    Scoped because Streamlit's own status widget in the header is a "Stop" button while a script
    runs; ``where=SIDEBAR`` for sidebar buttons.
    """
    return page.locator(where).get_by_role("button", name=text, exact=True)


def click_button(page, text: str, timeout: float = 30.0, wait: bool = True, where: str = MAIN) -> None:
    """Click the button labelled ``text``; with ``wait``, wait for the rerun it starts."""
    if wait:
        wait_rerun(page, lambda: button(page, text, where).click(), timeout)
    else:
        button(page, text, where).click()


def number_input(page, label: str):
    """The ``<input>`` of the ``st.number_input`` labelled ``label`` (exact match)."""
    return page.get_by_label(label, exact=True)


def set_number(page, label: str, value, timeout: float = 30.0) -> None:
    """Type ``value`` into the ``st.number_input`` labelled ``label``, commit with Enter, wait."""
    field_ = number_input(page, label)
    field_.fill(str(value))
    wait_rerun(page, lambda: field_.press("Enter"), timeout)


def exception_count(page) -> int:
    return page.locator(EXCEPTION_SELECTOR).count()


def main_text(page) -> str:
    return page.locator(MAIN).inner_text()


def shoot(page, name: str, timeout: float = 60.0) -> Path:
    """Wait for Streamlit to settle and charts to draw, then save a full-page PNG in tests/artifacts."""
    wait_settled(page, timeout)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".js-plotly-plot").first.wait_for(state="attached", timeout=timeout * 1000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (name if name.endswith(".png") else f"{name}.png")
    # The document never scrolls in Streamlit: <main data-testid="stMain"> does (checked on 1.67),
    # so Playwright's full_page alone gives just the viewport. Grow the viewport to the content
    # height for the shot (width unchanged, so nothing re-flows), then put it back.
    viewport = page.viewport_size or VIEWPORT
    height = page.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll(
             '[data-testid="stMain"], [data-testid="stSidebarContent"]')].map(e => e.scrollHeight))"""
    )
    height = min(max(int(height), viewport["height"]), MAX_SHOT_HEIGHT)
    if height > viewport["height"]:
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.wait_for_timeout(300)  # let Plotly's resize handlers and lazy elements settle
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if height > viewport["height"]:
            page.set_viewport_size(viewport)
    return path


def open_tab(page, name: str) -> None:
    """Open one of a page's lazy tabs (Results: only the open tab runs) and wait for its rerun."""
    wait_rerun(page, lambda: page.get_by_role("tab", name=name).click())
