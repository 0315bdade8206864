"""Streamlit UI of LSTM Lens: one module per page, shared state, widgets and figure builders.

No ML logic lives here: the pages call ``model`` and draw what it returns.
"""
