"""What ``lucidscore train`` prints about the model it wrote, and ``lucidscore model show`` about a model
file: by default a summary (one row per characteristic, one line per interaction grid), with ``--bins``
every bin and every grid's cells; ``model show`` prints from the file exactly what ``train`` printed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lucidscore.artifact import ScorecardArtifact, load_artifact
from lucidscore.cli.main import app
from lucidscore.policy import FAMILY_LABELS
from tests.model._sim import credit_table
from tests.model.test_interactions import _interacting

runner = CliRunner(env={"COLUMNS": "200"})


@dataclass(frozen=True)
class Trained:
    """A model written by ``train`` and what ``train`` printed."""

    path: Path
    output: str

    @property
    def art(self) -> ScorecardArtifact:
        return load_artifact(self.path)


def _train(data: Path, out: Path, *args: str) -> Trained:
    result = runner.invoke(app, ["train", str(data), "--target", "bad", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    return Trained(out, result.output)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Trained]:
    """Two segments (a rule), and one segment with an interaction grid and test metrics; each trained
    with and without --bins."""
    tmp = tmp_path_factory.mktemp("show")
    segmented, pairs = tmp / "credit.csv", tmp / "pairs.csv"
    credit_table(4000).to_csv(segmented, index=False)
    _interacting(12000, 1).to_csv(pairs, index=False)
    out: dict[str, Trained] = {}
    for bins in (False, True):
        flag = ["--bins"] if bins else []
        suffix = "_bins" if bins else ""
        out["segments" + suffix] = _train(
            segmented, tmp / f"seg{suffix}.json", "--segment-rule", "n_credit_accounts<2", *flag
        )
        out["grid" + suffix] = _train(
            pairs, tmp / f"grid{suffix}.json", "--no-segment-search", "--test-size", "0.3", *flag
        )
    grid = out["grid"].art
    assert [s.name for s in out["segments"].art.segments] == ["n_credit_accounts<2", "default"]
    assert grid.segments[0].interactions and "test_auc" in grid.training["metrics"]
    return out


def _rows(output: str) -> list[list[str]]:
    """The body rows of every Rich table in ``output``, as stripped cells."""
    return [[c.strip() for c in ln.strip().strip("│").split("│")] for ln in output.splitlines() if "│" in ln]


def _span(points: list[int]) -> str:
    low, high = min(points), max(points)
    return f"{low:+d}" if low == high else f"{low:+d} to {high:+d}"


def _show(path: Path, *args: str) -> str:
    result = runner.invoke(app, ["model", "show", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", ["segments", "grid"])
def test_the_summary_has_one_row_per_characteristic_and_one_line_per_grid(
    models: dict[str, Trained], name: str
) -> None:
    trained = models[name]
    art = trained.art
    # Every characteristic of every segment once, in the model's order, with its family, IV, number of
    # bins, the range of its points and its shape; and no bin's row.
    expected = [
        [
            ch.name,
            FAMILY_LABELS[ch.family],
            f"{ch.iv:.3f}",
            str(len(ch.bins)),
            _span([b.points for b in ch.bins]),
            ch.monotonic_trend,
        ]
        for seg in art.segments
        for ch in seg.characteristics
    ]
    assert _rows(trained.output) == expected
    assert "WOE" not in trained.output and "goods" not in trained.output
    flat = " ".join(trained.output.split())  # titles wrap at the table's width
    for seg in art.segments:
        assert f"segment {seg.name} (" in flat and f"base points {seg.base_points}" in flat
        for inter in seg.interactions:
            (note,) = [
                n
                for n in art.training["notes"]
                if n.startswith(f"segment {seg.name}: interaction {inter.first} x {inter.second}: ")
            ]
            z = re.search(r"([\d.]+) standard errors above zero", note)
            assert z is not None, note
            line = (
                f"segment {seg.name}: grid {inter.first} x {inter.second} "
                f"({len(inter.first_groups)} x {len(inter.second_groups)} cells), "
                f"points {_span([p for row in inter.points for p in row])}, z {z.group(1)}"
            )
            assert line in trained.output.splitlines(), trained.output
    if "test_auc" in art.training["metrics"]:
        assert f"AUC {art.training['metrics']['test_auc']:.4f}" in trained.output
    assert all(f"note: {' '.join(n.split())}" in flat for n in art.training["notes"])
    assert f"model {art.model_id} written to {trained.path}" in flat


@pytest.mark.parametrize("name", ["segments_bins", "grid_bins"])
def test_bins_shows_every_bin_and_every_grid_cell(models: dict[str, Trained], name: str) -> None:
    trained = models[name]
    art = trained.art
    rows = _rows(trained.output)
    bin_rows = [r for r in rows if len(r) == 10]
    # One row per bin, in order: characteristic (on its first bin), bin label, rows, bads, goods, points.
    expected = [
        [ch.name if i == 0 else "", b.label, f"{b.count:,}", f"{b.bad_count:,}", str(b.points)]
        for seg in art.segments
        for ch in seg.characteristics
        for i, b in enumerate(ch.bins)
    ]
    assert [[r[0], r[3], r[4], r[5], r[9]] for r in bin_rows] == expected
    for seg in art.segments:
        for inter in seg.interactions:
            assert f"points added for {inter.first} x {inter.second}" in trained.output
            for row_points, row_counts in zip(inter.points, inter.counts, strict=True):
                for points, n in zip(row_points, row_counts, strict=True):
                    assert f"{points:+d} ({n:,} rows" in trained.output


@pytest.mark.parametrize("name", ["segments", "grid", "segments_bins", "grid_bins"])
def test_model_show_prints_what_train_printed(models: dict[str, Trained], name: str) -> None:
    trained = models[name]
    art = trained.art
    shown = _show(trained.path, *(["--bins"] if name.endswith("_bins") else []))
    # The same report line for line; only the last line says where the model is. (Off a terminal, train's
    # progress display leaves one empty line before it.)
    written = trained.output.splitlines()
    assert written[0] == ""
    written = written[1:]
    end = written.index(f"model {art.model_id} written to {trained.path}")
    assert shown.splitlines() == [*written[:end], f"model {art.model_id} read from {trained.path}"]


def _main(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from lucidscore.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)


def _forged(art: ScorecardArtifact, path: Path) -> Path:
    """The model with one bin's points raised and its content hash left as it was."""
    raw = json.loads(art.model_dump_json())
    raw["segments"][0]["characteristics"][0]["bins"][0]["points"] += 50
    path.write_text(json.dumps(raw), "utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda art, p: _forged(art, p), r"content_hash is sha256:\w+ but the content hashes to"),
        (lambda art, p: p.write_text(art.model_dump_json()[:500], "utf-8") and p, r"not valid JSON"),
        (lambda art, p: p.write_text('{"kind": "other"}', "utf-8") and p, r"not a lucidscore model"),
        (lambda art, p: p, r"no such model file"),
    ],
    ids=["forged", "truncated", "another kind", "missing"],
)
def test_a_bad_model_file_is_one_error_naming_it(
    models: dict[str, Trained], tmp_path: Path, make: object, message: str
) -> None:
    path = make(models["grid"].art, tmp_path / "bad model.json")  # type: ignore[operator]
    result = _main("model", "show", str(path))
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.search(rf"^error: {re.escape(str(path))}: {message}", result.stderr), result.stderr
