"""How a stored run was trained (its provenance), drawn as a small expander on the Results page."""

from __future__ import annotations

import streamlit as st

from model.runs.provenance import describe_provenance


def caption_text(provenance: dict | None) -> str:
    """The expander's title: the kernel and device when recorded."""
    if not provenance:
        return "How this run was trained: not recorded"
    return f"How this run was trained: {provenance.get('kernel', '?')} on {provenance.get('device', '?')}"


def render(record) -> None:
    """One expander with the run's provenance in words (a line each)."""
    with st.expander(caption_text(record.provenance)):
        st.caption("  \n".join(describe_provenance(record.provenance)))
