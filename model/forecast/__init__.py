"""Forecasts several business days past the data, with conformal intervals whose coverage is measured.

``horizon``: the two strategies (direct, recursive) and the out-of-sample paths they produce;
``conformal``: split-conformal bands from any set of out-of-sample residuals per horizon;
``coverage``: how often the actual prices fell inside those bands, per horizon and level.
"""
