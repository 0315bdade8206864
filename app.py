"""LSTM Lens: page config and navigation only; the pages live in components/pages/.

Pages are thin scripts in views/ (one line each, calling a page module's ``render()``) so that
``AppTest.switch_page("views/train.py")`` can open them in tests; titles and url_paths are a
contract with the browser tests.
"""

import streamlit as st

from components import errors, run_client, widgets, worker_jobs
from components.logs import configure_server_logging
from components.session import query

configure_server_logging()  # <runs>/logs/server.log; once per process, not per rerun

st.set_page_config(
    page_title="LSTM Lens",
    page_icon="📈",
    layout="wide",
    menu_items={"About": "LSTM Lens: understand and tune a stacked LSTM on stock prices."},
)

PAGES = [
    # The root URL is a hidden page that forwards to /data: a default page is served only at
    # "/", so making Data the default would leave /data itself "Page not found".
    st.Page("views/home.py", title="LSTM Lens", url_path="home", default=True, visibility="hidden"),
    st.Page("views/data.py", title="Data", url_path="data", icon=":material/candlestick_chart:"),
    st.Page("views/train.py", title="Train", url_path="train", icon=":material/model_training:"),
    st.Page("views/results.py", title="Results", url_path="results", icon=":material/insights:"),
    st.Page("views/shapes.py", title="Shapes", url_path="shapes", icon=":material/view_in_ar:"),
    st.Page("views/tour.py", title="Explainer", url_path="tour", icon=":material/route:"),
    st.Page("views/inside.py", title="Inside", url_path="inside", icon=":material/neurology:"),
    st.Page("views/runs.py", title="Runs", url_path="runs", icon=":material/table_chart:"),
    st.Page("views/tune.py", title="Tune", url_path="tune", icon=":material/tune:"),
]
page = st.navigation(PAGES)

# A run store that cannot be opened (a damaged file, a server that is down) is said once, on the
# pages that need it; the others work without it.
store_problem = errors.store_problem()
# The hidden root page forwards to /data with the query string: the link is read there, so its
# warnings are shown on Data rather than lost with the forwarding page.
link_warnings = query.load_query_params() if page.title != "LSTM Lens" else []
widgets.sidebar_summary()
if page.title != "Train":
    widgets.sidebar_training_status()

if store_problem is not None and page.title in errors.STORE_PAGES:
    st.title(page.title)
    errors.show_error(store_problem, kept="The Data and Shapes pages work without it.")
else:
    if page.title not in ("Train", "Shapes"):  # those two list the link's warnings themselves
        widgets.link_warnings(link_warnings)
    with errors.page_boundary(page.title):
        page.run()
query.sync_query_params()

# The server's worker pool (an embedded Dask cluster, or $LENS_DASK's): created once the first
# page of this process has been drawn (later loads reuse it; a page that trains or asks a worker
# creates it itself), so starting the scheduler and the workers, and their TensorFlow import
# (at a lower CPU priority), do not delay the first chart. Training and every other TensorFlow
# computation (Shapes, the leak demo, Inside) run there, never in this process.
if store_problem is None:
    run_client.start_pool()
    worker_jobs.preload_current_run()  # a worker loads the open run's model before a page asks
