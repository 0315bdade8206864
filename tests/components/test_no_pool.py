"""$LENS_NO_POOL: a page load starts no worker pool in the background (the fast tests' AppTests)."""

from __future__ import annotations

from components import run_client


def test_start_pool_starts_no_thread_with_lens_no_pool(monkeypatch):
    monkeypatch.setenv(run_client.ENV_NO_POOL, "1")
    monkeypatch.setattr(run_client, "_starting", None)
    run_client.start_pool()
    assert run_client._starting is None


def test_lens_no_pool_empty_or_zero_leaves_the_background_start_on(monkeypatch):
    for value in ("", "0"):
        monkeypatch.setenv(run_client.ENV_NO_POOL, value)
        assert not run_client.background_start_off()
    monkeypatch.setenv(run_client.ENV_NO_POOL, "yes")
    assert run_client.background_start_off()
