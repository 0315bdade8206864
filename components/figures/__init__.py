"""Plotly figure builders, grouped by subject: ``prices``, ``training``, ``shapes`` (and the shared
``style``). Each builder takes plain numbers and returns a figure; nothing here reads session state."""
