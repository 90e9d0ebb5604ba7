"""The demo loads the fit's compiled kernels on a second thread while it generates and ingests the
population (``demo._build._Background``), so that a first run on a machine, where numba compiles them, does
not wait for it at the training step; and a failed warm-up is done again where its error shows."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import lucidscore.model
from lucidscore.demo import build_demo
from lucidscore.demo._build import _Background


def _threads_loading_kernels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, first_fails: bool
) -> list[str]:
    """Build a small demo and say which threads called ``load_kernels``, in order (the first call failing
    with ``first_fails``)."""
    real = lucidscore.model.load_kernels
    calls: list[str] = []

    def recorded(*, lean: bool = False) -> None:
        calls.append(threading.current_thread().name)
        if first_fails and len(calls) == 1:
            raise RuntimeError("numba could not compile")
        real(lean=lean)

    monkeypatch.setattr(lucidscore.model, "load_kernels", recorded)
    build = build_demo(tmp_path / "demo", consumers=200, seed=3)
    assert (build.directory / "model.json").is_file()
    return calls


def test_the_kernels_load_on_the_warm_up_thread_before_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _threads_loading_kernels(tmp_path, monkeypatch, first_fails=False) == ["lucidscore-warm-up"]


def test_the_training_step_loads_the_kernels_itself_when_the_warm_up_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _threads_loading_kernels(tmp_path, monkeypatch, first_fails=True)
    assert calls == ["lucidscore-warm-up", threading.main_thread().name]


def test_a_warm_up_that_failed_says_so_and_one_that_ran_says_so() -> None:
    def fails() -> None:
        raise RuntimeError("numba could not compile")

    ran: list[bool] = []
    assert _Background(fails).finished() is False
    assert _Background(lambda: ran.append(True)).finished() is True and ran == [True]
