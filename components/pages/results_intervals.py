"""Results page, forecast section: the interval methods side by side.

The run's bands come from its ``interval_method``; the stored test intervals hold every method's,
so this panel shows how each would have covered: against nominal per horizon, over time and by
regime known at the origin, with proper scores, the Diebold-Mariano test against persistence and
the PIT histogram. Reads only the stored forecast (no TensorFlow). ``render`` is the one call.
"""

from __future__ import annotations

import streamlit as st

from components import widgets
from components.figures import intervals as figures
from components.figures import style
from model.forecast import online, scores

LEVEL_KEY = "results_intervals_level"  # widget keys
HORIZON_KEY = "results_intervals_horizon"

METHOD_TEXT = {
    "split": "**Split conformal**: the band at each horizon is the conformal quantile of every out-of-sample "
    "residual known at the forecast's origin; it assumes yesterday's errors look like tomorrow's.",
    "aci": "**Adaptive conformal (ACI)**: the miscoverage level moves after each known outcome (wider after a "
    f"miss, narrower after a hit; step {online.ACI_STEP}), so the long-run share inside the band stays at its "
    "level whatever the market does.",
    "agaci": "**Aggregated ACI**: ACI with several step sizes at once, weighted by how well each did, so no "
    "step size has to be picked.",
}
FEEDBACK_TEXT = (
    "A horizon-h outcome is known h business days after its origin and never used before. Regimes use only what "
    "was known at the origin: terciles of the trailing 20-day realised volatility over the tested origins, and "
    "whether the origin's day was up or down."
)


def render(forecast) -> None:
    """The interval-method views of a stored HorizonForecast."""
    intervals = forecast.intervals
    st.markdown("#### Interval methods")
    if intervals.empty:
        st.caption(
            "This forecast was stored before the interval methods existed: train the run again to compare them."
        )
        return
    period = "test folds" if forecast.calibration == "folds" else "test period"
    st.markdown(
        f"This run's bands: {METHOD_TEXT.get(forecast.method, forecast.method)} Every method was measured on the "
        f"same {period} origins. {FEEDBACK_TEXT}"
    )
    levels = sorted(intervals["level"].unique(), key=float)
    left, right = st.columns([1, 2])
    with left:
        level = st.radio("Interval", levels, key=LEVEL_KEY, horizontal=True, format_func=lambda v: f"{v}%")
    horizons = sorted(int(h) for h in intervals["horizon"].unique())
    with right:
        horizon = (
            horizons[0]
            if len(horizons) == 1
            else st.select_slider("Horizon (business days)", horizons, key=HORIZON_KEY)
        )
    widgets.metric_row(
        [
            (
                f"Worst gap, {online.METHOD_LABELS[m]}",
                f"{widgets.format_number(scores.worst_method_gap(intervals, m), 1)} pts",
                "Largest |coverage − nominal| of the model over horizons and both levels.",
            )
            for m in online.METHODS
        ]
    )
    a, b = st.columns(2, gap="large")
    with a:
        record = figures.method_coverage_record(intervals, level)
        style.show(figures.method_coverage_figure(record, level, period), key="intervals_methods_chart")
    with b:
        style.show(
            figures.regime_figure(figures.regime_record(intervals, level), level),
            key="intervals_regime_chart",
        )
    rolled = scores.rolling_coverage(intervals, forecaster="model", level=level, horizon=horizon)
    style.show(figures.rolling_figure(rolled, level, horizon), key="intervals_rolling_chart")
    c, d = st.columns(2, gap="large")
    with c:
        style.show(figures.pit_figure(figures.pit_record(intervals, horizon)), key="intervals_pit_chart")
    with d:
        st.markdown("**Proper scores** (mean over horizons, price units; lower is better)")
        st.dataframe(figures.scores_table(intervals).round(3), width="stretch")
        st.caption(
            "Pinball: at the bands' quantiles. Interval (Winkler) score: width plus 2/α times any miss distance. "
            "CRPS: from the point (median) and the bands' quantiles."
        )
    with st.expander(f"Model against persistence: Diebold-Mariano on the {level}% interval score"):
        table = figures.dm_table(intervals, forecast.method, level)
        if table.empty:
            st.caption("Too few paired origins to test.")
        else:
            st.dataframe(table.round(4), width="stretch")
