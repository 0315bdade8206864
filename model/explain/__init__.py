"""The shape-explanation stage: the tutorial's ``lstm(X)`` walked through a real forward pass.

- ``sources``: the step numbers (``Step``) and the two displayed source texts, each line tagged
  with its step; the line maps are derived from the tags.
- ``shapes``: the one shape formatter and the tutorial's symbolic axis names.
- ``records``: what a trace records (``ShapeTrace``, ``StepRecord``, ``GateTrace``, ``UnrolledTrace``).
- ``cache``: what "the same network" means, and the engine's one bounded cache.
- ``forward``: the literal steps compiled on a model's own weights.
- ``cells``: the LSTM cell run by hand (gates of one step; the stack unrolled in time).
- ``narrative``: the prose of each step and of the checks.
- ``trace``: ``trace_shapes``, putting it together.
- ``tutorial_graph`` (+ ``tutorial_graph_worker``): the proof against the tutorial's own TF1 graph.

Importing this package (or any module in it) does not import TensorFlow.
"""

from model.explain.cache import architecture_key, network_for, same_network
from model.explain.records import GateTrace, ShapeTrace, StepRecord, UnrolledTrace
from model.explain.shapes import fmt_shape
from model.explain.sources import (
    KERAS_STEP_LINES,
    N_STEPS,
    STEPS,
    TUTORIAL_STEP_LINES,
    Step,
    keras_source,
    tutorial_source,
)
from model.explain.trace import MATCH_ATOL, trace_shapes

__all__ = [
    "KERAS_STEP_LINES",
    "MATCH_ATOL",
    "N_STEPS",
    "STEPS",
    "TUTORIAL_STEP_LINES",
    "GateTrace",
    "ShapeTrace",
    "Step",
    "StepRecord",
    "UnrolledTrace",
    "architecture_key",
    "fmt_shape",
    "keras_source",
    "network_for",
    "same_network",
    "trace_shapes",
    "tutorial_source",
]
