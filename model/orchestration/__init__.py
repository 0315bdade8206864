"""Orchestration: what coordinates many runs, above model/runs (which executes ONE run).

Walk-forward runs (``walkforward``: start, drive, finish; ``graph``: the same as a Dask graph;
``reading``: the stored evidence; ``forecast_pooling``: the forecast pooled from the folds).
"""
