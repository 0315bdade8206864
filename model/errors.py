"""Domain errors: each carries a message written for the person using the app.

``kind`` names the family in a word, so a face can pick an icon or a layout from the error's
type rather than from its wording.
"""


class LensError(ValueError):
    """Base class for every error the UI should show as a message instead of a traceback."""

    kind = "error"


class DataError(LensError):
    """Price data could not be loaded or does not pass validation."""

    kind = "data"


class SourceUnavailableError(DataError):
    """A remote source (yfinance) could not be reached or returned nothing."""

    kind = "source_unavailable"


class ConfigError(LensError):
    """A hyperparameter or column choice is out of range or impossible for the data."""

    kind = "config"


class TrainingError(LensError):
    """Training failed in a way the user can act on (for example the loss became NaN)."""

    kind = "training"
