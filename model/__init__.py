"""LSTM Lens engine: data, windows, network, training, evaluation and shape tracing.

Nothing in this package imports streamlit, and TensorFlow is imported lazily (only by the
modules that build, train or trace a network) so data work stays fast.
"""
