"""The bare root URL: open the Data page at its own path (/data), keeping the link's query string,
so every page, the first one included, has one address that can be shared."""

import streamlit as st

st.switch_page("views/data.py", query_params=st.query_params.to_dict())
