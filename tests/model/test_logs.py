"""One logging configuration: a rotating file under the runs directory with tracebacks, a console
without them, and TensorFlow's C++ start-up lines kept off the console."""

import logging
import logging.handlers
import os
import subprocess
import sys
from pathlib import Path

import pytest

from model import logs

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def restored_root_logger():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def failing_step(log: logging.Logger) -> None:
    try:
        raise RuntimeError("the disk said no")
    except Exception:  # noqa: BLE001 - the pattern under test: caught, said in words, logged
        log.exception("Saving run 7 failed")


def test_a_caught_exception_goes_to_the_file_with_its_traceback_and_to_the_console_in_one_line(
    tmp_path, capsys, restored_root_logger
):
    path = logs.configure("cli", files_root=tmp_path)
    assert path == tmp_path / "logs" / "cli.log"
    failing_step(logging.getLogger("model.runs.example"))
    logging.getLogger("model.runs.example").info("an info line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    written = path.read_text()
    assert "ERROR" in written and "model.runs.example: Saving run 7 failed" in written
    assert "Traceback (most recent call last)" in written and "RuntimeError: the disk said no" in written
    assert "an info line" in written
    console = capsys.readouterr().err
    assert "Saving run 7 failed" in console and f"(traceback in {path})" in console
    assert "Traceback" not in console and "an info line" not in console


def test_verbose_puts_info_and_tracebacks_on_the_console_and_a_second_call_replaces_the_first(
    tmp_path, capsys, restored_root_logger
):
    logs.configure("cli", files_root=tmp_path)
    logs.configure("cli", files_root=tmp_path, verbose=True)
    handlers = logging.getLogger().handlers
    assert sum(isinstance(h, logging.handlers.RotatingFileHandler) for h in handlers) == 1
    logging.getLogger("model.example").info("hello")
    failing_step(logging.getLogger("model.example"))
    console = capsys.readouterr().err
    assert console.count("hello") == 1
    assert "Traceback (most recent call last)" in console


def test_an_unwritable_runs_directory_leaves_the_console_only(tmp_path, restored_root_logger):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert logs.configure("server", files_root=blocker) is None
    assert logs.current_log_file() is None


@pytest.mark.process
def test_what_c_code_writes_to_descriptor_2_goes_to_the_file(tmp_path):
    target = tmp_path / "native.log"
    script = (
        "import os, sys; from pathlib import Path; from model import logs\n"
        f"with logs.native_stderr_to(Path({str(target)!r})):\n"
        "    os.write(2, b'I0000 cudart_stub.cc] Could not find cuda drivers\\n')\n"
        "os.write(2, b'after\\n')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "after\n"
    assert "Could not find cuda drivers" in target.read_text()
