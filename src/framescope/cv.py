"""k-fold cross-validation: a fresh model per fold, the transformer beside the TF-IDF baseline."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

from .codebook import Codebook
from .corpus import (
    CorpusSource,
    infer_codebook,
    normalise_record,
    read_corpus,
    rows_to_dataset_dict,
    validate_records,
)
from .errors import CorpusError, FramescopeError
from .metrics import Scores
from .training import TrainConfig, train

log = logging.getLogger(__name__)

SYSTEMS = ("framescope", "tfidf-logreg")


@dataclass(frozen=True)
class FoldResult:
    fold: str
    sizes: dict[str, int]
    systems: dict[str, Scores]
    seconds: float


@dataclass(frozen=True)
class CVReport:
    """Per-fold scores and their mean and spread, for both systems."""

    labels: list[str]
    folds: list[FoldResult]
    grouping: str
    config: dict[str, Any] = field(default_factory=dict)

    def _values(self, system: str, key: str, label: str | None = None) -> np.ndarray:
        if label is None:
            return np.array([getattr(f.systems[system], key) for f in self.folds])
        return np.array([f.systems[system].per_label[label].f1 for f in self.folds])

    def summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{system: {metric: {"mean", "std", "min", "max"}}}``; per-label F1 as ``f1_<label>``.

        ``std`` is the sample standard deviation over folds (ddof=1).
        """
        out: dict[str, dict[str, dict[str, float]]] = {}
        for system in SYSTEMS:
            metrics: dict[str, np.ndarray] = {
                "macro_f1": self._values(system, "macro_f1"),
                "micro_f1": self._values(system, "micro_f1"),
                "exact_match": self._values(system, "exact_match"),
            }
            for label in self.labels:
                metrics[f"f1_{label}"] = self._values(system, "f1", label)
            out[system] = {
                k: {
                    "mean": float(v.mean()),
                    "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0,
                    "min": float(v.min()),
                    "max": float(v.max()),
                }
                for k, v in metrics.items()
            }
        return out

    def folds_won(self, metric: str = "macro_f1") -> int:
        """Folds on which the transformer beats the baseline on ``metric``."""
        a, b = self._values(SYSTEMS[0], metric), self._values(SYSTEMS[1], metric)
        return int((a > b).sum())

    def to_dict(self) -> dict[str, Any]:
        return {
            "grouping": self.grouping,
            "labels": self.labels,
            "config": self.config,
            "summary": self.summary(),
            "folds_won_macro_f1": self.folds_won(),
            "folds": [
                {
                    "fold": f.fold,
                    "sizes": f.sizes,
                    "seconds": round(f.seconds, 1),
                    "systems": {k: s.to_dict() for k, s in f.systems.items()},
                }
                for f in self.folds
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CVReport:
        """Rebuild a report from :meth:`to_dict` output (a saved ``<stem>.json``)."""
        folds = [
            FoldResult(
                fold=f["fold"],
                sizes=dict(f["sizes"]),
                systems={k: Scores.from_dict(v) for k, v in f["systems"].items()},
                seconds=float(f["seconds"]),
            )
            for f in data["folds"]
        ]
        return cls(list(data["labels"]), folds, data["grouping"], dict(data.get("config", {})))

    @classmethod
    def combine(cls, reports: list[CVReport]) -> CVReport:
        """Join reports of runs that tested disjoint folds of the same data with the same
        settings (for example folds run in separate sessions). Raises ``ValueError`` when the
        labels, grouping or training settings differ or a fold appears twice."""
        if not reports:
            raise ValueError("nothing to combine")
        first = reports[0]

        def settings(report: CVReport) -> dict[str, Any]:
            # a setting added to TrainConfig after a run was saved counts as its default
            return TrainConfig.from_dict(report.config).to_dict()

        for other in reports[1:]:
            for what in ("labels", "grouping"):
                if getattr(other, what) != getattr(first, what):
                    raise ValueError(f"cannot combine cross-validation runs with different {what}")
            if settings(other) != settings(first):
                raise ValueError("cannot combine cross-validation runs with different config")
        folds = [f for r in reports for f in r.folds]
        names = [f.fold for f in folds]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"fold(s) {', '.join(repeated)} appear in more than one run")
        folds.sort(key=lambda f: f.fold)
        return cls(first.labels, folds, first.grouping, first.config)

    def _tables(self) -> tuple[list[list[str]], list[list[str]]]:
        summary = self.summary()
        fold_rows = [["fold", "train/dev/test", "framescope macro / micro", "tfidf macro / micro"]]
        for f in self.folds:
            s = f.sizes
            fold_rows.append(
                [
                    f.fold,
                    f"{s['train']}/{s['dev']}/{s['test']}",
                    f"{f.systems[SYSTEMS[0]].macro_f1:.3f} / {f.systems[SYSTEMS[0]].micro_f1:.3f}",
                    f"{f.systems[SYSTEMS[1]].macro_f1:.3f} / {f.systems[SYSTEMS[1]].micro_f1:.3f}",
                ]
            )

        def ms(system: str, key: str) -> str:
            return f"{summary[system][key]['mean']:.3f} ± {summary[system][key]['std']:.3f}"

        fold_rows.append(
            [
                "mean ± sd",
                "",
                f"{ms(SYSTEMS[0], 'macro_f1')} / {ms(SYSTEMS[0], 'micro_f1')}",
                f"{ms(SYSTEMS[1], 'macro_f1')} / {ms(SYSTEMS[1], 'micro_f1')}",
            ]
        )
        label_rows = [["label", "framescope F1 (mean ± sd)", "tfidf F1 (mean ± sd)"]]
        for label in self.labels:
            key = f"f1_{label}"
            label_rows.append([label, ms(SYSTEMS[0], key), ms(SYSTEMS[1], key)])
        return fold_rows, label_rows

    def to_markdown(self) -> str:
        out = []
        for rows in self._tables():
            out.append("| " + " | ".join(rows[0]) + " |")
            out.append("|" + "---|" * len(rows[0]))
            out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
            out.append("")
        out.append(
            f"framescope beats the baseline on macro-F1 in {self.folds_won()} of "
            f"{len(self.folds)} folds ({self.grouping})."
        )
        return "\n".join(out) + "\n"

    def to_text(self) -> str:
        out = []
        for rows in self._tables():
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
            out.append("")
        out.append(
            f"framescope beats the baseline on macro-F1 in {self.folds_won()} of "
            f"{len(self.folds)} folds ({self.grouping})."
        )
        return "\n".join(out) + "\n"

    def save(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``<stem>.json`` and ``<stem>.md``."""
        from .evaluation import write_json_and_markdown

        return write_json_and_markdown(stem, self.to_json(), self.to_markdown())


def _groups(rows: list[dict[str, Any]], group_by: str | None) -> list[str]:
    if not group_by:
        return [str(r["id"]) for r in rows]
    return [str(r.get(group_by) or f"row:{r['id']}") for r in rows]


def assign_folds(
    rows: list[dict[str, Any]],
    folds: int,
    group_by: str | None = "event",
    fold_column: str | None = None,
) -> list[str]:
    """The fold name of every row: the value of ``fold_column`` when given, else ``fold<k>``
    from GroupKFold over ``group_by`` (rows whose group field is empty are their own group)."""
    if fold_column:
        names = [str(r.get(fold_column) or "") for r in rows]
        if "" in names:
            raise FramescopeError(f"some statements have no value in fold column {fold_column!r}")
        return names
    groups = _groups(rows, group_by)
    if len(set(groups)) < folds:
        raise FramescopeError(
            f"{folds} folds need at least {folds} groups; {group_by!r} has {len(set(groups))}"
        )
    names = [""] * len(rows)
    splitter = GroupKFold(n_splits=folds)
    for k, (_, test_idx) in enumerate(splitter.split(np.zeros(len(rows)), groups=groups)):
        for i in test_idx:
            names[i] = f"fold{k}"
    return names


def cross_validate(
    corpus: CorpusSource,
    folds: int = 5,
    *,
    group_by: str | None = "event",
    fold_column: str | None = None,
    dev_fraction: float = 0.1,
    config: TrainConfig | None = None,
    codebook: Codebook | None = None,
    progress: bool = True,
    train_only_folds: set[str] | None = None,
) -> CVReport:
    """Train and test a fresh model on every fold.

    All statements are pooled (their train/dev/test split is ignored). Each fold in turn is
    the test set; from the rest, ``dev_fraction`` of the groups is held out as dev (early
    stopping and thresholds) and the remainder trains. The TF-IDF baseline is trained and
    tuned on the same train and dev statements. Folds named in ``train_only_folds`` are
    never tested on (useful to probe a few folds quickly).
    """
    config = config or TrainConfig()
    raw = read_corpus(corpus, codebook)
    problems = raw.parse_problems + validate_records(
        raw.records, raw.codebook, require_split=False, unit=raw.unit
    )
    if problems:
        problems.sort(key=lambda p: (p.line is None, p.line or 0))
        raise CorpusError(raw.source, problems)
    rows = [normalise_record(rec) for _, rec in raw.records]
    book = raw.codebook or infer_codebook(rows, Path(raw.source).stem or "corpus")
    # fold and group fields may be any column, so read them from the records as given
    names = assign_folds([rec for _, rec in raw.records], folds, group_by, fold_column)
    order = sorted(set(names) - set(train_only_folds or ()))
    grouping = (
        f"folds from column {fold_column!r}" if fold_column else f"grouped by {group_by or 'row'}"
    )
    results = []
    for fold in order:
        started = time.perf_counter()
        rest = [i for i, n in enumerate(names) if n != fold]
        groups = _groups([raw.records[i][1] for i in rest], group_by)
        shuffle = GroupShuffleSplit(n_splits=1, test_size=dev_fraction, random_state=config.seed)
        _, dev_idx = next(shuffle.split(np.zeros(len(rest)), groups=groups))
        dev = {rest[i] for i in dev_idx}
        fold_rows = []
        for i, row in enumerate(rows):
            split = "test" if names[i] == fold else ("dev" if i in dev else "train")
            fold_rows.append({**row, "split": split})
        dsd = rows_to_dataset_dict(fold_rows, book, f"{raw.source}#{fold}")
        log.info("%s: train %d, dev %d, test %d", fold, *(len(dsd[s]) for s in dsd))
        clf = train(dsd, None, config, progress=progress)
        metrics = clf.config["metrics"]
        results.append(
            FoldResult(
                fold=fold,
                sizes={s: len(dsd[s]) for s in dsd},
                systems={
                    SYSTEMS[0]: Scores.from_dict(metrics["test"]),
                    SYSTEMS[1]: Scores.from_dict(metrics["baseline_test"]),
                },
                seconds=time.perf_counter() - started,
            )
        )
        log.info(
            "%s: framescope macro-F1 %.3f, baseline %.3f",
            fold,
            metrics["test"]["macro_f1"],
            metrics["baseline_test"]["macro_f1"],
        )
    return CVReport(book.label_names, results, grouping, config.to_dict())
