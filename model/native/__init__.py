"""LSTM Lens' own whole-sequence LSTM kernel (``lens_lstm.cc``), compiled on this machine.

Why: at the tutorial's size a training step is thousands of tiny products, and both Keras' loop
(a dozen ops per time step) and TensorFlow's fused ``BlockLSTM`` (a few thread-pool dispatches
per time step, a weight re-layout and two transposes per call) spend most of it on dispatch.
This op runs each block of batch rows through the whole sequence in registers, one block per
intra-op thread, directly on Keras' weights and batch-major tensors (``make bench`` measures
it). It computes exactly Keras' LSTM; tests/model/native/test_native_lstm.py holds it to that.

The library is built by ``python -m model.native.build`` (``make run``/``test``/``bench`` do it)
with the C++ compiler and TensorFlow's own headers (as system headers: warnings are on for our
source only, and the tests hold it to none), into ``model/native/build/`` under a name of two
hashes: this machine (CPU name and flags) and the build (source, TensorFlow's version, flags).
A stale or foreign build is never loaded; a new build replaces only this machine's stale ones,
so machines sharing a checkout keep theirs. Without a compiler, or if loading fails, ``load()`` returns None and
``model.engine.fused_lstm`` falls back to TensorFlow's ``BlockLSTM``; ``status()`` says why.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("lens_lstm.cc")
BUILD_DIR = Path(__file__).with_name("build")
# -march=native: the library is built where it runs (the CPU is part of its name);
# -fopenmp-simd: the `#pragma omp simd` hints, without OpenMP's runtime;
# -fno-tree-loop-distribute-patterns: keep the short copy loops inline rather than memcpy calls.
# -mno-avx512fp16: TensorFlow 2.21's bundled Eigen does not compile its AVX512-FP16 packet maths with g++ 12
# (PacketMathFP16.h: "expected initializer"), and -march=native turns it on for CPUs that have it
# (Sapphire Rapids and later). The kernel computes in float32, so it loses nothing.
# Left out (optional_flags) where the compiler does not know it.
OPTIMISE = ["-O3", "-march=native", "-fopenmp-simd", "-fno-tree-loop-distribute-patterns"]
OPTIONAL_FLAGS = ["-mno-avx512fp16"]
# Our source's warnings are on (TensorFlow's headers are included as system headers).
WARNINGS = ["-Wall", "-Wextra"]

_lock = threading.Lock()
_library = None
_reason = "not loaded yet"


class BuildError(RuntimeError):
    """The kernel could not be compiled (the message says why, with the compiler's words)."""


def compiler() -> str | None:
    """The C++ compiler to build with: $CXX, else g++ or c++ on PATH (None: there is none)."""
    for name in (os.environ.get("CXX"), "g++", "c++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _cpu_model() -> str:
    """The CPU's name and instruction-set flags: -march=native code built for one CPU may not run
    on another, and virtual machines can show one name ("AMD EPYC") over different flags."""
    wanted = {"model name": "", "flags": ""}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key = line.split(":", 1)[0].strip()
            if key in wanted and not wanted[key]:
                wanted[key] = line
    except OSError:
        pass
    return "\n".join(wanted.values()) if any(wanted.values()) else platform.processor() or platform.machine()


def _tf_flags() -> tuple[list[str], list[str]]:
    """TensorFlow's compile and link flags, its include directories as system headers (their
    warnings are TensorFlow's, not ours)."""
    import tensorflow as tf

    compile_flags = [
        f"-isystem{flag[2:]}" if flag.startswith("-I") else flag for flag in tf.sysconfig.get_compile_flags()
    ]
    return compile_flags, tf.sysconfig.get_link_flags()


_accepted: dict[tuple[str, str], bool] = {}


def _compiler_accepts(cxx: str, flag: str) -> bool:
    """Whether ``cxx`` compiles an empty file with ``flag`` (cached per process)."""
    if (cxx, flag) not in _accepted:
        try:
            done = subprocess.run(
                [cxx, "-x", "c++", "-fsyntax-only", flag, "-"],
                input="",
                capture_output=True,
                text=True,
                timeout=60,
            )
            _accepted[cxx, flag] = done.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _accepted[cxx, flag] = False
    return _accepted[cxx, flag]


def optimise_flags() -> list[str]:
    """OPTIMISE plus each of OPTIONAL_FLAGS that this machine's compiler accepts."""
    cxx = compiler()
    return OPTIMISE + [flag for flag in OPTIONAL_FLAGS if cxx is not None and _compiler_accepts(cxx, flag)]


def machine_key() -> str:
    """This machine's part of a build's name: -march=native code built for one CPU may not run on another."""
    return hashlib.sha256(f"{_cpu_model()}\0{platform.machine()}".encode()).hexdigest()[:8]


def library_path() -> Path:
    """Where this source, built for this TensorFlow and this machine, lives (whether built or not)."""
    import tensorflow as tf

    compile_flags, link_flags = _tf_flags()
    key = hashlib.sha256()
    for part in (
        SOURCE.read_bytes(),
        tf.__version__.encode(),
        " ".join(compile_flags + link_flags + optimise_flags() + WARNINGS).encode(),
    ):
        key.update(part)
        key.update(b"\0")
    return BUILD_DIR / f"lens_lstm-{machine_key()}-{key.hexdigest()[:16]}.so"


def compile_to(output: Path) -> str:
    """Compile the kernel into ``output``; returns what the compiler printed (its warnings).

    Raises BuildError when there is no compiler or the compile fails.
    """
    cxx = compiler()
    if cxx is None:
        raise BuildError("no C++ compiler found (set CXX or install g++)")
    compile_flags, link_flags = _tf_flags()
    command = [
        cxx,
        "-shared",
        "-fPIC",
        *optimise_flags(),
        *WARNINGS,
        str(SOURCE),
        "-o",
        str(output),
        *compile_flags,
        *link_flags,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise BuildError(f"{Path(cxx).name} failed:\n{done.stderr[-4000:]}")
    return done.stderr


def build_library(force: bool = False) -> Path:
    """Compile the kernel unless an up-to-date build exists; returns the library's path."""
    target = library_path()
    if target.exists() and not force:
        return target
    if compiler() is None:
        raise BuildError("no C++ compiler found (set CXX or install g++)")
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    # Compile to a temporary name and rename: a process loading meanwhile never sees half a file.
    fd, partial = tempfile.mkstemp(suffix=".so.partial", dir=BUILD_DIR)
    os.close(fd)
    failed = target.with_suffix(".failed")
    try:
        warnings = compile_to(Path(partial))
        os.replace(partial, target)
        failed.unlink(missing_ok=True)
    except BuildError as error:
        # Kept beside the build it stands for, so a run's provenance can say why it fell back.
        failed.write_text(str(error))
        raise
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    if warnings.strip():
        print(warnings, file=sys.stderr)
    # Only this machine's stale builds: another machine sharing the checkout keeps its own.
    for old in [
        *BUILD_DIR.glob(f"lens_lstm-{machine_key()}-*.so"),
        *BUILD_DIR.glob(f"lens_lstm-{machine_key()}-*.failed"),
    ]:
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _register_gradient(library) -> None:
    import tensorflow as tf

    def gradient(op, dh, dc, _dgates, _dtanh_c):
        # The gates and tanh(c) outputs are the forward pass's saved values for this gradient,
        # never used downstream (lstm_sequence does not return them), so their gradients are
        # ignored. An output nothing depended on may arrive as None.
        dh = tf.zeros_like(op.outputs[0]) if dh is None else dh
        dc = tf.zeros_like(op.outputs[1]) if dc is None else dc
        return library.lens_lstm_grad(*op.inputs, *op.outputs, dh, dc)

    try:
        tf.RegisterGradient("LensLstm")(gradient)
    except KeyError:  # already registered in this process (the op library is process-wide)
        pass


def load():
    """The loaded op library, or None when it is not built or does not load (see ``status``)."""
    global _library, _reason
    with _lock:
        if _library is not None or _reason != "not loaded yet":
            return _library
        try:
            import tensorflow as tf

            path = library_path()
            if not path.exists():
                failed = path.with_suffix(".failed")
                if failed.exists():
                    lines = failed.read_text().strip().splitlines() or ["no message"]
                    first = next((line for line in lines if "error" in line.lower()), lines[0])[:200]
                    _reason = f"its build failed on this machine ({first}; `python -m model.native.build` shows all)"
                else:
                    _reason = "not built (run `python -m model.native.build`)"
                return None
            library = tf.load_op_library(str(path))
            _register_gradient(library)
            _library, _reason = library, f"loaded {path.name}"
        except Exception as error:  # noqa: BLE001 - any load failure means: use BlockLSTM
            log.exception("The native LSTM kernel failed to load; training uses BlockLSTM")
            _reason = f"failed to load: {error}"
        return _library


def available() -> bool:
    return load() is not None


def status() -> str:
    """One line: whether the native kernel is in use, and if not, why."""
    load()
    return ("native kernel " if _library is not None else "native kernel unavailable: ") + _reason


def lstm_sequence(sequences, h0, c0, kernel, recurrent_kernel, bias):
    """Keras' LSTM over batch-major ``sequences`` [batch, time, in] with Keras' weights.

    Returns h and c for every step, each [batch, time, units]. Needs ``available()``.
    """
    library = load()
    if library is None:
        raise RuntimeError(status())
    h, c, _gates, _tanh_c = library.lens_lstm(sequences, h0, c0, kernel, recurrent_kernel, bias)
    return h, c
