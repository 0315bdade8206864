"""Names users chose (file names, column names, tickers, data descriptions, messages quoting them)
are shown literally on every page: the walk fails on any link or HTML element they would produce.

Markdown-rendering elements (markdown, captions, alerts, titles, widget labels and help) must hold
the hostile text only escaped; plotly figures (whose strings accept <b>, <a href>) must not hold
it raw either. st.text, code and dataframes show text as it is, so they are not checked.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import run_client
from components.session import state
from model.engine.config import LstmConfig
from tests.components.conftest import APP, TIMEOUT, assert_clean, plotly_specs, price_csv, wait_run

HOSTILE_FILE = "[x](http://e.com)<b>y</b>.csv"
HOSTILE_COLUMN = "<b>vol</b> http://e.com"
# What would become a link or an element if rendered as Markdown or plotly text.
MARKERS = ("[x](http", "<b>y</b>", "<b>vol</b>", "http://e.com")
PLOTLY_MARKERS = ("<b>y</b>", "<b>vol</b>", "<a ")  # plotly renders tags (not Markdown, not bare URLs)
MARKDOWN_KINDS = (
    "markdown",
    "caption",
    "error",
    "warning",
    "info",
    "success",
    "title",
    "header",
    "subheader",
    "exception",
    "toast",
)
WIDGET_KINDS = (
    "button",
    "selectbox",
    "multiselect",
    "radio",
    "number_input",
    "text_input",
    "toggle",
    "checkbox",
    "slider",
    "select_slider",
    "metric",
    "download_button",
    "file_uploader",
    "date_input",
    "expander",
    "tabs",
    "page_link",
)
PAGES = (
    "views/data.py",
    "views/train.py",
    "views/results.py",
    "views/shapes.py",
    "views/runs.py",
    "views/tune.py",
)


def rendered_markup(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything Streamlit or plotly would render as markup on this page."""
    found = []
    for kind in MARKDOWN_KINDS:
        for element in at.get(kind):
            found.append((kind, str(getattr(element.proto, "body", None) or element.value)))
    for kind in WIDGET_KINDS:
        for element in at.get(kind):
            for field in ("label", "help"):
                text = getattr(element.proto, field, None)
                if text:
                    found.append((f"{kind}.{field}", str(text)))
    for spec in plotly_specs(at):
        strings: list[str] = []
        _strings(spec.get("layout", {}), strings)
        for trace in spec.get("data", []):
            _strings(
                {k: v for k, v in trace.items() if k in ("name", "text", "hovertext", "hovertemplate")},
                strings,
            )
        found.extend(("plotly", s) for s in strings)
    return found


def _strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def hostile_csv() -> bytes:
    lines = price_csv(160).decode().splitlines()
    header = lines[0] + f",{HOSTILE_COLUMN}"
    rows = [f"{line},{i % 7 + 1}" for i, line in enumerate(lines[1:])]
    return ("\n".join([header, *rows]) + "\n").encode()


def _check(at: AppTest, page: str, bad: list) -> None:
    assert_clean(at)
    for where, text in rendered_markup(at):
        if any(m in text for m in (PLOTLY_MARKERS if where == "plotly" else MARKERS)):
            bad.append((page, where, text))


@pytest.mark.slow
def test_every_page_shows_hostile_names_literally():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload(HOSTILE_FILE, hostile_csv(), "text/csv")
    at.run()
    prices = at.session_state[state.PRICES]
    hostile_column = next(c for c in prices.frame.columns if "<b>vol</b>" in c)  # the loader's spelling of it
    assert HOSTILE_FILE in prices.source and "http://e.com" in hostile_column
    bad: list = []
    _check(at, "data", bad)

    # A run trained on it (its description quotes the file name), the hostile column its feature and target.
    config = LstmConfig(
        rnn_unit=4,
        layer_num=1,
        time_step=5,
        epochs=1,
        features=("close", hostile_column),
        target=hostile_column,
    )
    run_id = run_client.store().create_run(config, prices, "ui")
    run_client.pool().submit(run_id)
    assert wait_run(run_id).status == "finished"
    at.query_params["run"] = str(run_id)
    for page in PAGES:
        at.switch_page(page).run()
        _check(at, page, bad)

    # A failed upload: the message quotes the file name.
    at.switch_page("views/data.py").run()
    at.file_uploader(key="csv_file").upload("bad " + HOSTILE_FILE, b"hello,world\n1,2\n", "text/csv")
    at.run()
    assert at.error, "the bad upload is reported"
    _check(at, "data (failed upload)", bad)
    assert not bad, "hostile text rendered as markup:\n" + "\n".join(map(repr, bad))
