"""Evidence: walk-forward folds, the baseline ladder, the Diebold-Mariano test and the verdict.

Pure numpy/pandas (no TensorFlow, no Streamlit): model.runs.walkforward trains the folds.
"""
