"""Hyperparameter sweeps on Optuna: a search space from the knobs (space), one trial = one stored run
trained by the engine's one path and scored on the validation period (objective), studies in Optuna
storage (study), trial worker processes (workers), leaderboards (board). No Streamlit here."""

from model.errors import SweepError
from model.sweep.objective import PRUNERS, make_objective, make_pruner
from model.sweep.space import Param, SearchSpace, parse_spec
from model.sweep.study import (
    create_study,
    list_studies,
    open_study,
    request_stop,
    resolve_storage_url,
    resume_study,
    settings_of,
)

__all__ = [
    "PRUNERS",
    "Param",
    "SearchSpace",
    "SweepError",
    "create_study",
    "list_studies",
    "make_objective",
    "make_pruner",
    "open_study",
    "parse_spec",
    "request_stop",
    "resolve_storage_url",
    "resume_study",
    "settings_of",
]
