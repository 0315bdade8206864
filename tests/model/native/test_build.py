"""The native kernel's build: warnings on and none printed, per-machine names, optional flags."""

import pytest

from model import native


@pytest.mark.slow
def test_the_kernel_compiles_without_a_single_warning(tmp_path):
    """Warnings are on for our source (-Wall -Wextra); TensorFlow's headers are system headers."""
    if native.compiler() is None:
        pytest.skip("no C++ compiler on this machine")
    assert "-w" not in native.optimise_flags() + native.WARNINGS
    printed = native.compile_to(tmp_path / "lens_lstm.so")
    assert (tmp_path / "lens_lstm.so").stat().st_size > 0
    assert printed.strip() == "", printed[-3000:]


def test_a_build_replaces_only_this_machines_stale_builds(tmp_path, monkeypatch):
    """Machines sharing a checkout keep their own builds; this machine's older ones go."""
    monkeypatch.setattr(native, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(native, "compiler", lambda: "/usr/bin/true")
    monkeypatch.setattr(native, "compile_to", lambda output: output.write_bytes(b"built") and "")
    mine = native.machine_key()
    stale = tmp_path / f"lens_lstm-{mine}-0000000000000000.so"
    other_machine = tmp_path / "lens_lstm-ffffffff-0000000000000000.so"
    for path in (stale, other_machine):
        path.write_bytes(b"old")
    built = native.build_library(force=True)
    assert built.name.startswith(f"lens_lstm-{mine}-") and built.read_bytes() == b"built"
    assert not stale.exists()
    assert other_machine.read_bytes() == b"old"


def test_the_machine_is_part_of_the_build_name(monkeypatch):
    before = native.library_path()
    monkeypatch.setattr(native, "_cpu_model", lambda: "another CPU\nflags: sse2")
    after = native.library_path()
    assert after != before and after.name.split("-")[1] == native.machine_key() != before.name.split("-")[1]


def test_an_optional_flag_the_compiler_rejects_is_left_out(monkeypatch):
    monkeypatch.setattr(native, "compiler", lambda: "/usr/bin/g++")
    monkeypatch.setattr(native, "_compiler_accepts", lambda cxx, flag: flag != "-mno-avx512fp16")
    assert "-mno-avx512fp16" not in native.optimise_flags()
    monkeypatch.setattr(native, "_compiler_accepts", lambda cxx, flag: True)
    assert native.optimise_flags()[-len(native.OPTIONAL_FLAGS) :] == native.OPTIONAL_FLAGS


def test_a_real_compiler_is_asked_about_optional_flags():
    cxx = native.compiler()
    if cxx is None:
        pytest.skip("no C++ compiler on this machine")
    assert native._compiler_accepts(cxx, "-O2")
    assert not native._compiler_accepts(cxx, "-mno-such-flag-anywhere")


def test_a_failed_build_is_remembered_and_named_as_the_reason(tmp_path, monkeypatch):
    """A run trained after a failed build says the build failed, not merely "not built"."""
    monkeypatch.setattr(native, "BUILD_DIR", tmp_path)
    monkeypatch.setattr(native, "compiler", lambda: "/usr/bin/true")

    def broken(output):
        raise native.BuildError("g++ failed:\nPacketMathFP16.h:12: error: expected initializer")

    monkeypatch.setattr(native, "compile_to", broken)
    with pytest.raises(native.BuildError):
        native.build_library(force=True)
    monkeypatch.setattr(native, "_library", None)
    monkeypatch.setattr(native, "_reason", "not loaded yet")
    assert native.load() is None
    assert native.status() == (
        "native kernel unavailable: its build failed on this machine (PacketMathFP16.h:12: error: expected "
        "initializer; "
        "`python -m model.native.build` shows all)"
    )
    monkeypatch.setattr(native, "compile_to", lambda output: output.write_bytes(b"built") and "")
    native.build_library(force=True)
    assert not list(tmp_path.glob("*.failed"))
