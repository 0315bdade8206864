"""One line for each term of art, defined once: the pages' ``help=`` tooltips and captions use these."""

from __future__ import annotations

TERMS = {
    "skill": "Skill = 1 − RMSE of the model / RMSE of persistence: above 0 beats repeating the last "
    "price, 0 ties it, below 0 is worse.",
    "persistence": "Persistence: the forecast that tomorrow's price equals today's, the baseline every "
    "model must beat.",
    "Diebold-Mariano": "Diebold-Mariano test: are two forecasts' squared errors different on average, "
    "beyond chance? A small p-value says yes.",
    "HAC": "HAC (heteroskedasticity and autocorrelation consistent): a variance that allows errors to "
    "be correlated from one day to the next, so the p-value is not too optimistic.",
    "conformal": "Split-conformal interval: the band is the size of the model's own past errors on "
    "points it did not train on, so it covers the stated share of them.",
    "holdout": "Holdout: the last part of the data, kept out of training and used only to score.",
    "walk-forward": "Walk-forward: train on the past, test on the next period, grow the past and repeat, "
    "so every test is on data later than its training.",
    "ridge": "Ridge: a linear regression of the next price on the same window, with a small penalty on "
    "its weights; the strongest simple rung of the ladder.",
    "ladder": "Baseline ladder: simple forecasts (persistence, drift, mean of the last values, ridge) "
    "the LSTM is compared with on the same test points.",
    "direct": "Direct forecast: one output per day ahead, each predicted at once from the last window.",
    "recursive": "Recursive forecast: predict one day, feed it back as input, predict the next; errors "
    "compound.",
    "residual": "Residual: the actual price minus the forecast on a point the model did not train on.",
    "leak": "Leak: the scaler or the windows saw test prices before the test, so the score is too good.",
    "objective": "Objective: the validation loss of a trial (MSE, normalised units) that the sweep "
    "minimises; lower is better.",
}


def term(name: str) -> str:
    """The one-line explanation of ``name`` (a KeyError names a term that was never defined)."""
    return TERMS[name]


def terms(*names: str) -> str:
    """Several explanations, one per line (a tooltip over a caption that uses them all)."""
    return "\n\n".join(TERMS[n] for n in names)
