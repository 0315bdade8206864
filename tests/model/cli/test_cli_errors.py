"""The training CLI's error boundary covers the file system, and it prints the data's warnings.

The runs directory is made unwritable for real: as root (permission bits do not bind root) the
CLI runs without CAP_DAC_OVERRIDE, through setpriv. The full disk is a real 16 KiB tmpfs
(mounted only where the tests may mount, else skipped).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from model.train import main
from tests.components.conftest import price_csv

REPO = Path(__file__).resolve().parents[3]
TINY = ["--rnn-unit", "4", "--layer-num", "1", "--time-step", "5", "--epochs", "1"]


def _cli(args, env, prefix=()):
    return subprocess.run(
        [*prefix, sys.executable, "-m", "model.train", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
    )


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a directory unwritable")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}"]


def test_the_cli_prints_the_price_tables_warnings(tmp_path, capsys):
    text = price_csv(120).decode().splitlines()
    fields = text[5].split(",")
    fields[4] = "0"  # a zero close, kept with a warning (the Data page shows it)
    text[5] = ",".join(fields)
    csv = tmp_path / "zero.csv"
    csv.write_text("\n".join(text) + "\n")
    # A --db that is not a database ends the command right after the data is described: no training.
    (tmp_path / "lens.db").write_text("not a database")
    code = main(["--csv", str(csv), *TINY, "--db", f"sqlite:///{tmp_path / 'lens.db'}"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert "warning: Column 'close' has 1 value ≤ 0" in captured.out


@pytest.mark.slow
def test_an_unwritable_runs_directory_is_one_clear_line(tmp_path):
    files = tmp_path / "files"
    files.mkdir()
    files.chmod(0o555)
    db = tmp_path / "db"
    db.mkdir()
    result = _cli(
        TINY, {"LENS_DB": f"sqlite:///{db / 'lens.db'}", "LENS_RUNS_DIR": str(files)}, _unprivileged()
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: Permission denied for {files}" in result.stderr and "writable" in result.stderr


@pytest.mark.slow
def test_a_full_disk_is_one_clear_line(tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(full)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        result = _cli(TINY, {"LENS_DB": f"sqlite:///{tmp_path / 'lens.db'}", "LENS_RUNS_DIR": str(full)})
    finally:
        subprocess.run(["umount", str(full)], check=False)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "error: The disk holding" in result.stderr and "is full" in result.stderr
