"""``python -m model.native.build [--force] [--strict] [--stamp PATH]``: compile the native LSTM kernel here.

``--stamp PATH``: touch PATH once the kernel is built and loads (make's record that it is done;
not written without a compiler, so a later ``make`` tries again).

Exit status 0 when the kernel is built and loads, and also when it cannot be (no C++ compiler,
or it does not compile or load here): training then uses TensorFlow's BlockLSTM and this says
why, so ``make run`` still starts the app. ``--strict`` makes those failures exit 1 instead.
The tests fail on a machine with a compiler where the kernel does not build or load.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main(argv: list[str] | None = None) -> int:
    from model import native

    argv = sys.argv[1:] if argv is None else argv
    if native.compiler() is None:
        print(
            "No C++ compiler (g++): training uses TensorFlow's BlockLSTM kernel instead of LSTM Lens' own "
            "(install g++ and run `make` again for the faster one).",
            file=sys.stderr,
        )
        return 0
    failed = 1 if "--strict" in argv else 0
    fallback = "Training uses TensorFlow's BlockLSTM kernel instead."
    started = time.perf_counter()
    try:
        path = native.build_library(force="--force" in argv)
    except native.BuildError as error:
        print(f"Building the native LSTM kernel failed: {error}\n{fallback}", file=sys.stderr)
        return failed
    if not native.available():
        print(
            f"The native LSTM kernel was built but does not load: {native.status()}\n{fallback}",
            file=sys.stderr,
        )
        return failed
    print(
        f"Native LSTM kernel ready: {path.relative_to(native.SOURCE.parents[2])} ({time.perf_counter() - started:.1f} s)"
    )
    if "--stamp" in argv:
        stamp = Path(argv[argv.index("--stamp") + 1])
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
