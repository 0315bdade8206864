"""Studies: create, open, resume, stop and list them, in Optuna storage.

Storage (``model.sweep.storage``): the journal file next to the run store by default, or a
database with a heartbeat, which workers on other machines can join. The journal has no
heartbeat, so a trial left RUNNING by a worker of this host that is gone is failed whenever the
study is opened.

A study's own settings live in its user attributes: ``lens`` (search space, data source, run
store, pruner, trial budget and deadline) and ``stop`` (the flag workers read between epochs and
between trials). Workers tag each trial with ``worker`` ("host:pid") and ``run_id``.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.data.sources import load_source  # noqa: F401 - model.train imports it from here until it moves to model/cli
from model.errors import LensError, SweepError
from model.sweep.objective import PRUNERS, parse_objective
from model.sweep.paths import prices_path, run_store_url
from model.sweep.space import SearchSpace
from model.sweep.storage import open_storage, resolve_storage_url

META = "lens"
STOP = "stop"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


# -- studies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudySettings:
    """What ``lens`` in a study's user attributes holds."""

    space: SearchSpace
    source: str
    run_db: str
    pruner: str = "median"
    trials: int | None = 20
    deadline: float | None = None  # wall-clock time (time.time()) after which no trial starts
    sampler_seed: int | None = None
    objective: str = "holdout"  # holdout | folds:K (model.sweep.evidence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "space": self.space.to_dict(),
            "source": self.source,
            "run_db": self.run_db,
            "pruner": self.pruner,
            "trials": self.trials,
            "deadline": self.deadline,
            "sampler_seed": self.sampler_seed,
            "objective": self.objective,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StudySettings":
        return cls(
            space=SearchSpace.from_dict(data["space"]),
            source=data["source"],
            run_db=data["run_db"],
            pruner=data.get("pruner", "median"),
            trials=data.get("trials"),
            deadline=data.get("deadline"),
            sampler_seed=data.get("sampler_seed"),
            objective=data.get("objective", "holdout"),
        )


def new_study_name() -> str:
    return time.strftime("sweep-%Y%m%d-%H%M%S")


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name or ""):
        raise SweepError(
            f"Study name {name!r}: use letters, digits, '-', '_' or '.', starting with a letter or digit (at most 100)."
        )
    return name


def save_prices(prices, name: str, run_db: str | None = None) -> str:
    """Keep the price table of a study that has no reloadable source (an uploaded CSV) in a file
    next to the run store; returns the source text (``parquet:PATH``) workers load it from."""
    from model.runs.files import write_atomically

    path = prices_path(name, run_db)
    write_atomically(path, lambda tmp: prices.frame.to_parquet(tmp, engine="pyarrow"))
    return f"parquet:{path}"


def settings_of(study) -> StudySettings:
    data = study.user_attrs.get(META)
    if not data:
        raise SweepError(f"Study {study.study_name!r} was not made by LSTM Lens (it has no search space).")
    return StudySettings.from_dict(data)


def create_study(
    name: str | None,
    space: SearchSpace,
    source: str,
    *,
    trials: int | None = 20,
    minutes: float | None = None,
    pruner: str = "median",
    storage: str | None = None,
    run_db: str | None = None,
    sampler_seed: int | None = None,
    objective: str = "holdout",
):
    """A new study (``SweepError`` if the name is taken); returns the Optuna study."""
    import optuna

    name = check_name(name or new_study_name())
    space.check()
    if pruner not in PRUNERS:
        raise SweepError(f"Unknown pruner {pruner!r}; choose one of {', '.join(PRUNERS)}.")
    if trials is None and minutes is None:
        raise SweepError("Give a budget: a number of trials, minutes, or both.")
    if trials is not None and trials < 1:
        raise SweepError(f"trials must be at least 1, got {trials}.")
    if minutes is not None and minutes <= 0:
        raise SweepError(f"minutes must be above 0, got {minutes:g}.")
    kind, folds = parse_objective(objective)
    objective = kind if kind == "holdout" else f"folds:{folds}"
    url = resolve_storage_url(storage, run_db)
    store_url = run_store_url(run_db)
    if store_url.startswith("sqlite:///") and not store_url.startswith("sqlite:////"):
        store_url = "sqlite:///" + str(Path(store_url.removeprefix("sqlite:///")).resolve())
    settings = StudySettings(
        space=space,
        source=source,
        run_db=store_url,
        pruner=pruner,
        trials=trials,
        deadline=None if minutes is None else time.time() + minutes * 60,
        sampler_seed=sampler_seed,
        objective=objective,
    )
    try:
        study = optuna.create_study(storage=open_storage(url), study_name=name, direction="minimize")
    except optuna.exceptions.DuplicatedStudyError:
        raise SweepError(
            f"A study named {name!r} already exists; resume it or choose another name."
        ) from None
    study.set_user_attr(META, settings.to_dict())
    study.set_user_attr(STOP, False)
    study.set_user_attr("created", time.time())
    return study


def open_study(name: str, storage: str | None = None, *, sampler=None, pruner=None):
    """Load a study and fail the trials its dead workers left RUNNING (``SweepError`` if unknown)."""
    import optuna

    url = resolve_storage_url(storage)
    try:
        study = optuna.load_study(study_name=name, storage=open_storage(url), sampler=sampler, pruner=pruner)
    except KeyError:
        known = (
            ", ".join(s.study_name for s in optuna.get_all_study_summaries(open_storage(url))) or "none yet"
        )
        raise SweepError(f"No study named {name!r} in {url} (studies: {known}).") from None
    fail_orphaned_trials(study, open_storage(url))
    return study


def _worker_alive(tag: str | None) -> bool:
    from model.runs.store import pid_alive

    if not tag or ":" not in tag:
        return True  # not tagged yet (a trial just asked for): cannot tell, leave it
    host, _, pid = tag.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's worker: the RDB heartbeat judges those
    return pid_alive(int(pid))


def fail_orphaned_trials(study, storage, *, run_db: str | None = None) -> list[int]:
    """Fail RUNNING trials whose worker process (on this host) has ended, and their runs. Returns
    the trial numbers failed."""
    from optuna.trial import TrialState

    failed = []
    study_id = None
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if _worker_alive(trial.user_attrs.get("worker")):
            continue
        # The Study API cannot change another process's trial; the storage API (public) can.
        if study_id is None:
            study_id = storage.get_study_id_from_name(study.study_name)
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            storage.set_trial_user_attr(trial_id, "error", "its worker process ended mid-trial")
            storage.set_trial_state_values(trial_id, TrialState.FAIL)
        except RuntimeError:
            continue  # finished in the meantime
        failed.append(trial.number)
        run_id = trial.user_attrs.get("run_id")
        if run_id is not None:
            _fail_run(run_id, run_db or _settings_run_db(study))
    return failed


def _settings_run_db(study) -> str | None:
    try:
        return settings_of(study).run_db
    except SweepError:
        return None


def _fail_run(run_id: int, run_db: str | None) -> None:
    from model.runs.store import open_store

    try:
        store = open_store(run_db)
        try:
            store.fail(
                int(run_id),
                "The sweep worker training this trial ended before it finished.",
                status="interrupted",
            )
        finally:
            store.close()
    except LensError:
        pass  # the run store is unreachable: its own start-up check marks the run later


def request_stop(name: str, storage: str | None = None) -> None:
    """Workers end (abandoning their current trial after its epoch) and start no new trial."""
    open_study(name, storage).set_user_attr(STOP, True)


def stop_requested(study) -> bool:
    return bool(study.user_attrs.get(STOP))


def resume_study(
    name: str, storage: str | None = None, *, more_trials: int | None = None, minutes: float | None = None
):
    """Clear the stop flag; ``more_trials`` more trials run from now (the budget becomes the trials
    done so far plus that, whatever it was) and/or the deadline is ``minutes`` from now."""
    study = open_study(name, storage)
    settings = settings_of(study)
    done = len(counted_trials(study))
    trials = settings.trials
    if more_trials is not None:
        trials = done + more_trials
    deadline = settings.deadline if minutes is None else time.time() + minutes * 60
    settings = StudySettings(**{**settings.__dict__, "trials": trials, "deadline": deadline})
    study.set_user_attr(META, settings.to_dict())
    study.set_user_attr(STOP, False)
    return study


def counted_trials(study):
    """Trials that use the budget: every trial but the failed ones (a crash does not use it up)."""
    from optuna.trial import TrialState

    return [t for t in study.get_trials(deepcopy=False) if t.state != TrialState.FAIL]


def budget_left(study, settings: StudySettings | None = None) -> bool:
    """Whether a worker may start another trial."""
    from optuna.trial import TrialState

    settings = settings or settings_of(study)
    if stop_requested(study):
        return False
    if settings.deadline is not None and time.time() >= settings.deadline:
        return False
    if settings.trials is None:
        return True
    trials = study.get_trials(deepcopy=False)
    failed = sum(t.state == TrialState.FAIL for t in trials)
    # Failures do not use the budget, but a study whose every trial fails must still end.
    return len(trials) - failed < settings.trials and failed < max(3, settings.trials)


@dataclass(frozen=True)
class StudySummary:
    name: str
    trials: int
    complete: int
    running: int
    best_value: float | None
    created: float | None
    stopped: bool
    budget: int | None


def list_studies(storage: str | None = None) -> list[StudySummary]:
    """Every study in the storage, newest first."""
    import optuna
    from optuna.trial import TrialState

    store = open_storage(resolve_storage_url(storage))
    summaries = []
    for name in optuna.get_all_study_names(store):
        study = optuna.load_study(study_name=name, storage=store)
        trials = study.get_trials(deepcopy=False)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        summaries.append(
            StudySummary(
                name=name,
                trials=len(trials),
                complete=len(complete),
                running=sum(t.state == TrialState.RUNNING for t in trials),
                best_value=min((t.value for t in complete), default=None),
                created=study.user_attrs.get("created"),
                stopped=stop_requested(study),
                budget=(study.user_attrs.get(META) or {}).get("trials"),
            )
        )
    return sorted(summaries, key=lambda s: s.created or 0, reverse=True)


def workers_alive(study, kinds: tuple[str, ...] = ("worker", "supervisor")) -> int:
    """Processes working on this study (its workers and their supervisors) still running; another
    host's are counted until they say they ended (only the RDB heartbeat can judge those)."""
    from model.runs.store import pid_alive

    host = socket.gethostname()
    alive = 0
    for key, value in study.user_attrs.items():
        kind, _, tag = key.partition(":")
        if kind not in kinds or not isinstance(value, dict) or "ended" in value:
            continue
        worker_host, _, pid = tag.rpartition(":")
        alive += worker_host != host or pid_alive(int(pid))
    return alive
