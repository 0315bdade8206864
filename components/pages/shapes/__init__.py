"""The Shapes page: the tutorial's seven-step explanation of ``lstm(X)`` as a live trace of the real network.

- ``page``: ``render`` and the page's layout.
- ``steps``: step navigation (Previous / slider / Next).
- ``tables``: pure shape tables (the tutorial's shape, with the user's numbers, observed) and texts.
- ``code``: the two sources side by side, as HTML with the step's lines highlighted.
- ``model_choice``: which model and which windows are traced, and the cached trace.
- ``equivalence``: the proof against the tutorial's TF1 graph (a pure view, and its panel).
- ``panels``: the gates, the hidden state and the LSTM unrolled in time.
"""

from components.pages.shapes.page import render

__all__ = ["render"]
