"""Guards for the page tests' plumbing (tests/components/conftest.py): ``goto`` opens a page in one
run, and the memoised component scan keeps replacing what AppTest calls and finds what a scan finds."""

import ast
import inspect
from pathlib import Path

import streamlit
from streamlit.components.v2 import component_manager, manifest_scanner
from streamlit.testing.v1 import app_test

from tests.components.conftest import PAGES, SCAN_COMPONENT_MANIFESTS, assert_clean, goto, new_app

REPO = Path(__file__).resolve().parents[2]


def app_pages() -> dict[str, str]:
    """url_path -> script of every st.Page in app.py."""
    pages = {}
    for node in ast.walk(ast.parse((REPO / "app.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            pages[keywords["url_path"]] = node.args[0].value
    return pages


def test_every_page_is_found_by_its_file_name_before_the_first_run():
    # AppTest.switch_page before any run hashes the file's name; st.Page hashes its url_path.
    for url_path, script in app_pages().items():
        assert Path(script).stem == url_path, (url_path, script)
    assert set(PAGES.values()) <= set(app_pages().values())


def test_a_fresh_app_opens_a_page_in_one_run():
    at = goto(new_app(), "runs")
    assert_clean(at)
    assert at.title[0].value == "Runs"


def test_apptest_still_scans_through_the_memoised_function():
    # A Streamlit upgrade may add a supported switch or move the scan: look again, then drop the memo.
    assert streamlit.__version__.startswith("1.67."), streamlit.__version__
    assert "discover_and_register_components" in inspect.getsource(app_test.AppTest._run)
    discover = inspect.getsource(component_manager.BidiComponentManager.discover_and_register_components)
    assert "from streamlit.components.v2.manifest_scanner import" in discover
    assert manifest_scanner.scan_component_manifests is not SCAN_COMPONENT_MANIFESTS  # the memo is in place
    assert manifest_scanner.scan_component_manifests.__wrapped__ is SCAN_COMPONENT_MANIFESTS


def test_the_memo_returns_what_a_fresh_scan_finds():
    fresh = SCAN_COMPONENT_MANIFESTS()
    memo = manifest_scanner.scan_component_manifests()
    assert [(m.name, str(root)) for m, root in memo] == [(m.name, str(root)) for m, root in fresh]
