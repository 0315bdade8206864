"""A bare Streamlit page drawing one plotly candlestick of the Data page's size (the bundled GOOG
sample, same bars): the yardstick ``scripts/bench_inside.py`` compares the app's start with."""

import plotly.graph_objects as go
import streamlit as st

from components.figures.prices import price_bars
from model.data import load_sample

frame = price_bars(load_sample("GOOG").frame).frame
fig = go.Figure(go.Candlestick(x=frame.index, open=frame["open"], high=frame["high"], low=frame["low"],
                               close=frame["close"]))  # fmt: skip
fig.update_layout(height=520)
st.title("Bare candlestick")
st.plotly_chart(fig, width="stretch")
