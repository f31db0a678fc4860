"""The Ray engine on a local Ray instance: same rows, labels and scores as the local engine."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from framescope import score_file
from framescope.cli import main
from framescope.errors import InputFileError

from .conftest import LABELS, read_scored, tiny_records

ray = pytest.importorskip("ray", reason="the Ray engine is the optional extra framescope[ray]")
pytestmark = pytest.mark.ray
SCORES = [f"score_{n}" for n in LABELS]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=80 * 1024**2)
    yield
    ray.shutdown()


def _inputs(folder, fmt: str) -> None:
    folder.mkdir()
    texts = [r["text"] for r in tiny_records()] + ["", "calm prices foreign"]
    frame = pd.DataFrame({"id": range(len(texts)), "text": texts})
    for i, part in enumerate((frame.iloc[:9], frame.iloc[9:])):
        if fmt == ".parquet":
            part.to_parquet(folder / f"part{i}.parquet")
        else:
            part.to_json(folder / f"part{i}.jsonl", orient="records", lines=True)


def _joined(folder) -> pd.DataFrame:
    frames = [read_scored(p) for p in sorted(folder.iterdir()) if not p.name.endswith(".json")]
    frame = pd.concat(frames, ignore_index=True)
    frame["id"] = frame["id"].astype(int)
    return frame.sort_values("id", ignore_index=True)


@pytest.mark.parametrize("fmt", [".parquet", ".jsonl"])
def test_ray_output_equals_the_local_engine(tmp_path, tiny_model_dir, local_ray, capsys, fmt):
    src = tmp_path / "in"
    _inputs(src, fmt)
    score_file(src, tmp_path / "local", tiny_model_dir, progress=False)
    argv = ["--quiet", "score", str(src), "-o", str(tmp_path / "ray"), "--engine", "ray"]
    assert main([*argv, "--model", str(tiny_model_dir), "--actors", "1"]) == 0
    assert "scored 24 rows" in capsys.readouterr().out
    assert all(p.suffix == fmt for p in (tmp_path / "ray").iterdir())
    here = _joined(tmp_path / "local")
    there = _joined(tmp_path / "ray")
    assert there["text"].fillna("").tolist() == here["text"].fillna("").tolist()
    assert there["labels"].tolist() == here["labels"].tolist()
    assert there["windows"].astype(int).tolist() == here["windows"].astype(int).tolist()
    np.testing.assert_allclose(there[SCORES].to_numpy(), here[SCORES].to_numpy(), atol=1e-5)


def test_ray_refuses_mixed_formats_and_a_used_output_folder(tmp_path, tiny_model_dir):
    from framescope.ray_engine import score_with_ray

    src = tmp_path / "in"
    _inputs(src, ".parquet")
    (src / "extra.jsonl").write_text('{"text": "calm"}\n')
    with pytest.raises(InputFileError, match="reads one format"):
        score_with_ray(src, tmp_path / "out", tiny_model_dir)
    (src / "extra.jsonl").unlink()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.parquet").write_bytes(b"")
    with pytest.raises(InputFileError, match="new, empty folder"):
        score_with_ray(src, tmp_path / "out", tiny_model_dir)
