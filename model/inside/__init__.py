"""Inside a trained model: why its predictions lag, which days and features it looks at, what each
hidden unit does, and what it would predict had the price moved differently.

Each view is a pure record (tested without Streamlit), computed from a stored run (its model and
its prices) and drawn by ``components/figures/inside.py``:

- ``lags``: cross-correlation of predictions with the actual series at lags -10..+10 (no TensorFlow;
  the stored predictions are enough, so the server computes it).
- ``attribution``: integrated gradients of the prediction w.r.t. the input window (TensorFlow).
- ``units``: every LSTM unit's hidden state over the test period, LSTMVis-style selection, and
  correlations with simple price signals (the states need TensorFlow; the selection does not).
- ``what_if``: edit a test day's input window and predict again (TensorFlow).

The TensorFlow parts run in the run pool's warm workers (``model.runs.jobs``), never in the server.
Importing this package does not import TensorFlow.
"""
