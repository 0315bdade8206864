"""LSTM Lens: page config and navigation only; the pages live in components/."""

import streamlit as st

st.set_page_config(page_title="LSTM Lens", page_icon="📈", layout="wide")

st.title("LSTM Lens")
st.write("The dashboard is being built. The engine is usable from the command line: `python -m model.train --help`.")
