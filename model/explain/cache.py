"""What "the same network" means, and the engine's one bounded cache.

``architecture_key`` is the one definition of a network's architecture (its layers and the shapes
of their weights); ``same_network`` adds the input columns: a model built for one config has the
weights the other needs. ``ENGINE_CACHE`` is a small, thread-safe LRU that holds the untrained
networks (per architecture and seed) and the compiled forward functions (per model, weakly), so
neither grows without bound nor keeps a trained model alive.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

from model.engine.config import LstmConfig

T = TypeVar("T")


def architecture_key(config: LstmConfig) -> tuple:
    """The config fields that define the network's layers and the shapes of its weights (hashable)."""
    return (
        int(config.rnn_unit),
        int(config.layer_num),
        int(config.time_step),
        int(config.input_size),
        bool(config.share_cell),
        float(config.dropout),
    )


def same_network(a: LstmConfig, b: LstmConfig) -> bool:
    """Whether a model built for ``a`` has the weights a model for ``b`` needs: same architecture,
    fed the same columns."""
    return architecture_key(a) == architecture_key(b) and tuple(a.features) == tuple(b.features)


class LruCache:
    """A bounded least-recently-used cache: ``get_or_make(key, make)``; thread-safe."""

    def __init__(self, maxsize: int):
        self.maxsize = int(maxsize)
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.RLock()

    def get_or_make(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            value = make()
            self._items[key] = value
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
            return value

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Untrained networks (a few MB at most each) and compiled forward functions: enough for the
# architectures one session moves between.
ENGINE_CACHE = LruCache(maxsize=32)


def network_for(config: LstmConfig):
    """An untrained ``build_network(config)``, built once per architecture and seed and reused."""
    config.validate()
    key = ("network", architecture_key(config), int(config.seed))

    def build():
        from model.engine.network import build_network

        fresh = config.replace(features=tuple(f"feature_{i + 1}" for i in range(config.input_size)))
        return build_network(fresh)

    return ENGINE_CACHE.get_or_make(key, build)


def model_key(model) -> Hashable:
    """A cache key for ``model`` that does not keep it alive (a weak reference), else the object."""
    try:
        return weakref.ref(model)
    except TypeError:
        return model


def fingerprint(*parts: Any) -> str:
    """A short content hash of arrays and plain values (e.g. windows, weights): equal content, equal key."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, np.ndarray):
            arr = np.ascontiguousarray(part)
            digest.update(f"{arr.dtype.str}{arr.shape}".encode())
            digest.update(arr.tobytes())
        else:
            digest.update(repr(part).encode())
        digest.update(b"|")
    return digest.hexdigest()
