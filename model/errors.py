"""Domain errors: each carries a message written for the person using the app."""


class LensError(ValueError):
    """Base class for every error the UI should show as a message instead of a traceback."""


class DataError(LensError):
    """Price data could not be loaded or does not pass validation."""


class SourceUnavailableError(DataError):
    """A remote source (yfinance) could not be reached or returned nothing."""


class ConfigError(LensError):
    """A hyperparameter or column choice is out of range or impossible for the data."""


class TrainingError(LensError):
    """Training failed in a way the user can act on (for example the loss became NaN)."""


class StoreError(LensError):
    """The run store could not be reached, is locked, or holds a schema this version cannot use."""


class RunNotFoundError(StoreError):
    """No stored run has the requested id (deleted, or another database)."""


class StopRefusedError(StoreError):
    """A session or process asked to stop a run it did not start."""
