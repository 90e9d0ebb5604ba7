"""Build the demo database: synth -> ingest (SQLite) -> features -> segmented scorecard -> scores, the
current month published as an operator would (``lucidscore.service.publish_month``)."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session

from lucidscore.artifact import Condition, ScorecardArtifact
from lucidscore.demo._logins import DemoLogins, create_logins
from lucidscore.errors import InputError
from lucidscore.service import (
    PipelineRescorer,
    activate_model,
    generate_model_key,
    publish_month,
    record_scores,
    register_model,
)
from lucidscore.store import make_engine, migrate

if TYPE_CHECKING:
    from lucidscore.api import Settings

HISTORY_MONTHS = 6
DB_NAME = "lucidscore.db"
LOGINS_NAME = "logins.json"
FEATURES_NAME = "features_current.parquet"  # written by demos before issue 15; still cleared
INFO_NAME = "demo.json"
MODEL_KEY_NAME = "model_key.pem"  # the demo's model signing key (0600); a real deployment keeps it elsewhere


@dataclass(frozen=True)
class DemoBuild:
    """A built demo directory: where things are and the logins to print."""

    directory: Path
    as_of: date
    logins: DemoLogins

    @property
    def db_url(self) -> str:
        return f"sqlite:///{(self.directory / DB_NAME).resolve()}"

    @property
    def model_key_path(self) -> Path | None:
        path = self.directory / MODEL_KEY_NAME
        return path if path.is_file() else None


def month_ends(end: date, months: int) -> list[date]:
    """The last ``months`` month-end dates up to ``end`` (itself a month end), oldest first."""
    out = [end]
    while len(out) < months:
        out.append(out[-1].replace(day=1) - timedelta(days=1))
    return out[::-1]


def existing_demo(directory: Path) -> DemoBuild | None:
    """The demo built earlier in ``directory``, if it is complete."""
    info, logins = directory / INFO_NAME, directory / LOGINS_NAME
    if not (info.is_file() and logins.is_file() and (directory / DB_NAME).is_file()):
        return None
    raw = json.loads(info.read_text("utf-8"))
    return DemoBuild(directory, date.fromisoformat(raw["as_of"]), DemoLogins.load(logins))


def demo_settings(build: DemoBuild, **overrides: Any) -> Settings:
    """Service settings for serving the demo (the web layer's, loaded only to serve)."""
    from lucidscore.api import Settings

    return Settings(db_url=build.db_url, as_of=build.as_of, model_key_path=build.model_key_path, **overrides)


def demo_rescorer(build: DemoBuild) -> PipelineRescorer:
    """What rescores the demo's consumers after a dispute or a model change."""
    return PipelineRescorer(db_url=build.db_url, as_of=build.as_of)


class _Steps:
    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress

    @contextmanager
    def step(self, text: str, total: int | None = None) -> Iterator[Any]:
        if self.progress is None:
            yield lambda n=1: None
            return
        task = self.progress.add_task(text, total=total)

        def advance(n: int = 1) -> None:
            assert self.progress is not None
            self.progress.advance(task, n)

        yield advance
        self.progress.update(
            task, total=1 if total is None else total, completed=1 if total is None else total
        )


def build_demo(
    directory: Path, consumers: int = 20_000, seed: int = 7, *, console: Console | None = None
) -> DemoBuild:
    """Build everything the demo serves into ``directory`` (replacing what is there).

    Parameters
    ----------
    directory : where the data, database, model and logins go.
    consumers, seed : size and seed of the synthetic population.
    console : show Rich progress on it; None builds silently.
    """
    from lucidscore.features import FEATURE_CATALOGUE, compute_features
    from lucidscore.ingest import ingest_directory
    from lucidscore.model import load_kernels, train_scorecard
    from lucidscore.score import score_consumers
    from lucidscore.synth import generate_population

    if consumers < 200:
        raise InputError.about(
            "consumers", f"{consumers}: the demo needs at least 200 consumers to train a scorecard"
        )
    _clear(directory)
    directory.mkdir(parents=True)
    progress = (
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        )
        if console is not None
        else None
    )
    steps = _Steps(progress)
    if progress is not None:
        progress.start()
    # The fit's compiled kernels (and the test split's scikit-learn) load on a second thread while the
    # population is generated, ingested and its features computed: on a machine where numba has not
    # compiled them yet, that is about 25 CPU-s that the training step would otherwise wait for.
    # A daemon thread: a demo stopped by Ctrl-C does not wait for numba to finish compiling.
    warm_up = _Background(_load_fit)
    try:
        with steps.step(f"Generating {consumers:,} synthetic consumers"):
            summary = generate_population(consumers, seed, directory / "data")
        db_url = f"sqlite:///{(directory / DB_NAME).resolve()}"
        # Readable by its owner only (issue 11): it holds password hashes and everyone's records. SQLite
        # gives its -wal and -shm files the database file's mode.
        os.close(os.open(directory / DB_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with steps.step("Ingesting into SQLite"):
            ingest_directory(directory / "data", db_url)
        dates = month_ends(summary.end, HISTORY_MONTHS)
        frames = {}
        with steps.step("Computing point-in-time features", total=len(dates)) as advance:
            # Training and past months read the generated files (the same records, several times faster);
            # the current month, which the service scores and rescores, is published from the database.
            data_dir = directory / "data"
            train_frame = compute_features(data_dir, summary.observation_date).to_pandas()
            advance()
            for as_of in dates[:-1]:
                frames[as_of] = compute_features(data_dir, as_of)
                advance()
        with steps.step("Training the segmented scorecard (thin vs thick file)"):
            # numba's set-up without importing scipy.linalg (``model._warm``), as ``lucidscore train``
            # loads it; should the second thread have failed, loaded here, where an error shows.
            if not warm_up.finished():
                load_kernels()
            artifact = _train(train_frame, seed, dict(FEATURE_CATALOGUE), train_scorecard)
            artifact.save(directory / "model.json")
        engine = make_engine(db_url)
        migrate(engine)
        key = generate_model_key(directory / MODEL_KEY_NAME)
        with steps.step("Scoring everyone, with history", total=len(dates)) as advance, Session(engine) as s:
            model = register_model(
                s, artifact, key, description="segmented scorecard: thin file vs thick file"
            )
            activate_model(s, model)
            for as_of in dates[:-1]:
                rows = score_consumers(artifact, frames[as_of], as_of, explain_ids=())
                record_scores(s.connection(), rows)
                advance()
            s.commit()
            publish_month(db_url, dates[-1])  # features from the database; scores, reasons and recourse
            advance()
        with steps.step("Creating demo logins"), Session(engine) as s:
            logins = create_logins(s, artifact.model_id)
            s.commit()
        engine.dispose()
    finally:
        if progress is not None:
            progress.stop()
    logins.save(directory / LOGINS_NAME)
    info = {
        "as_of": dates[-1].isoformat(),
        "consumers": consumers,
        "seed": seed,
        "model_id": artifact.model_id,
    }
    (directory / INFO_NAME).write_text(json.dumps(info, indent=1) + "\n", "utf-8")
    return DemoBuild(directory, dates[-1], logins)


DEMO_FILES = frozenset(
    {
        "data",
        DB_NAME,
        f"{DB_NAME}-wal",
        f"{DB_NAME}-shm",
        LOGINS_NAME,
        FEATURES_NAME,
        INFO_NAME,
        "model.json",
        MODEL_KEY_NAME,
    }
)


def _clear(directory: Path) -> None:
    """Remove an earlier demo; refuse to delete a directory holding anything a demo does not write."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise InputError.about("directory", f"{directory} is a file; expected a directory for the demo")
    foreign = sorted(p.name for p in directory.iterdir() if p.name not in DEMO_FILES)
    if foreign:
        raise InputError.about(
            "directory",
            f"{directory} holds {', '.join(foreign[:5])}, which a demo does not write; "
            "choose an empty or new directory",
        )
    shutil.rmtree(directory)


class _Background:
    """``work`` on a daemon thread, started at once; ``finished`` waits for it and says whether it ran to
    its end without an error."""

    def __init__(self, work: Callable[[], None]) -> None:
        self._ok = False
        self._work = work
        self._thread = threading.Thread(target=self._run, name="lucidscore-warm-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._work()
        except Exception:  # the caller does the work again where its error shows
            return
        self._ok = True

    def finished(self) -> bool:
        self._thread.join()
        return self._ok


def _load_fit() -> None:
    """What the demo's training step loads: the fit's compiled kernels (``model.load_kernels``, compiled
    and cached by numba on their first load on a machine) and scikit-learn's split (``_train``'s test
    rows). For a second thread; nothing depends on it having run."""
    from lucidscore.model import load_kernels

    load_kernels()
    import sklearn.model_selection  # noqa: F401 - imported now, for ``train_split``'s test rows


def _train(frame: Any, seed: int, meta: dict[str, Any], train: Any) -> ScorecardArtifact:
    thin = Condition(column="thin_file", op="==", value=1.0)
    rows = len(frame)
    artifact: ScorecardArtifact = train(
        frame.drop(columns=["consumer_id"]),
        "bad",
        test_size=0.3,
        seed=seed,
        segment_rule=thin,
        feature_meta=meta,
        min_segment_rows=min(1000, max(100, rows // 10)),
        min_segment_bads=min(50, max(10, rows // 100)),
    )
    return artifact.with_hash()
