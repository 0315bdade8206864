"""The command lines (a face, like components/): ``python -m model.train`` (train.py, train_folds.py),
``python -m model.runs`` (runs.py), ``python -m model.sweep`` (sweep.py). The ``__main__`` modules
they are started by only call ``main`` here."""
