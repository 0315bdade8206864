"""Evidence: walk-forward folds, the baseline ladder, the Diebold-Mariano test and the verdict.

Pure numpy/pandas (no TensorFlow, no Streamlit): model.orchestration.walkforward trains the folds.
"""
