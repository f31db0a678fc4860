"""evaluate(): the transformer and the TF-IDF baseline, side by side, on any split or file."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets

from .baseline import TfidfBaseline
from .classifier import FrameClassifier
from .corpus import CorpusSource, corpus_metadata, load_corpus
from .errors import FramescopeError
from .metrics import Scores, multilabel_scores
from .model_folder import BASELINE_DIR
from .training import label_matrix

log = logging.getLogger(__name__)

SYSTEM = "framescope"
BASELINE = "tfidf-logreg"


@dataclass(frozen=True)
class EvaluationReport:
    """Scores per system (``framescope`` and ``tfidf-logreg``) on one split."""

    labels: list[str]
    split: str
    codebook: dict[str, str]
    systems: dict[str, Scores]

    def to_dict(self) -> dict[str, Any]:
        return {
            "split": self.split,
            "codebook": self.codebook,
            "labels": self.labels,
            "systems": {name: s.to_dict() for name, s in self.systems.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def _rows(self) -> list[list[str]]:
        names = list(self.systems)
        rows = [["label", "support"] + [f"{n} P/R/F1" for n in names]]
        first = self.systems[names[0]]
        for label in self.labels:
            row = [label, str(first.per_label[label].support)]
            for n in names:
                s = self.systems[n].per_label[label]
                row.append(f"{s.precision:.2f} / {s.recall:.2f} / {s.f1:.3f}")
            rows.append(row)
        for key in ("macro_f1", "micro_f1", "exact_match"):
            rows.append(
                [key.replace("_", "-"), str(first.n)]
                + [f"{getattr(self.systems[n], key):.3f}" for n in names]
            )
        return rows

    def to_markdown(self) -> str:
        rows = self._rows()
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        rows = self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        return (
            "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows) + "\n"
        )

    def save(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``<stem>.json`` and ``<stem>.md``."""
        return write_json_and_markdown(stem, self.to_json(), self.to_markdown())


def write_json_and_markdown(stem: str | Path, json_text: str, markdown: str) -> tuple[Path, Path]:
    """Write a report as ``<stem>.json`` and ``<stem>.md``; return both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    js, md = stem.with_suffix(".json"), stem.with_suffix(".md")
    js.write_text(json_text + "\n", encoding="utf-8")
    md.write_text(markdown, encoding="utf-8")
    return js, md


def check_compatible(clf: FrameClassifier, meta: dict[str, Any]) -> None:
    """A corpus must come from the model's codebook (same name and version), or, when it has
    no codebook of its own, use only the model's labels."""
    model_book = clf.codebook
    if meta.get("codebook_version") != "0" and model_book:
        if (meta["codebook"], meta["codebook_version"]) != (
            model_book.get("name"),
            model_book.get("version"),
        ):
            raise FramescopeError(
                f"corpus codebook {meta['codebook']}@{meta['codebook_version']} does not match "
                f"the model's {model_book.get('name')}@{model_book.get('version')}"
            )
    unknown = sorted(set(meta["labels"]) - set(clf.labels))
    if unknown:
        raise FramescopeError(f"corpus labels unknown to the model: {', '.join(unknown)}")


def baseline_for(clf: FrameClassifier, dsd: datasets.DatasetDict) -> TfidfBaseline:
    """The TF-IDF baseline saved beside the model; when there is none (or its labels differ),
    one fitted on the corpus's train split and tuned on its dev split."""
    if clf.source and (Path(clf.source) / BASELINE_DIR / "baseline.json").is_file():
        baseline = TfidfBaseline.load(Path(clf.source) / BASELINE_DIR)
        if baseline.labels == clf.labels:
            return baseline
    if len(dsd["train"]) == 0:
        raise FramescopeError("no saved baseline and no train split to fit one on")
    log.info("fitting the TF-IDF baseline on the corpus's train split")
    baseline = TfidfBaseline(clf.labels, min_labels=clf.min_labels)
    baseline.fit(dsd["train"]["text"], label_matrix(dsd["train"], clf.labels))
    if len(dsd["dev"]):
        baseline.tune(dsd["dev"]["text"], label_matrix(dsd["dev"], clf.labels))
    return baseline


def evaluation_inputs(
    model: FrameClassifier | str | Path | None,
    corpus: CorpusSource | datasets.DatasetDict,
    split: str = "test",
) -> tuple[FrameClassifier, datasets.DatasetDict, datasets.Dataset]:
    """The loaded model, the whole corpus and the statements of ``split`` (train, dev, test or
    all), after checking that the corpus fits the model."""
    clf = model if isinstance(model, FrameClassifier) else FrameClassifier.load(model)
    if isinstance(corpus, datasets.DatasetDict):
        dsd = corpus
    else:  # a plain labelled file without splits is evaluated whole ("all") or as test
        dsd = load_corpus(corpus, default_split="test")
    meta = corpus_metadata(dsd)
    check_compatible(clf, meta)
    if split == "all":
        ds = datasets.concatenate_datasets([dsd[s] for s in dsd if len(dsd[s])])
    elif split in dsd:
        ds = dsd[split]
    else:
        raise FramescopeError(f"unknown split {split!r}; use train, dev, test or all")
    if len(ds) == 0:
        raise FramescopeError(f"the corpus has no statements in split {split!r}")
    return clf, dsd, ds


def evaluate(
    model: FrameClassifier | str | Path | None,
    corpus: CorpusSource | datasets.DatasetDict,
    split: str = "test",
    *,
    batch_size: int = 64,
) -> EvaluationReport:
    """Per-label precision/recall/F1/support, micro and macro F1 and exact match for the model
    and for the TF-IDF + logistic-regression baseline, on ``split`` (train, dev, test or all).

    The baseline is the one saved with the model (trained on the same train split); when the
    model has none, it is fitted on the corpus's train split.
    """
    clf, dsd, ds = evaluation_inputs(model, corpus, split)
    labels = clf.labels
    y = label_matrix(ds, labels)
    texts = ds["text"]
    systems = {
        SYSTEM: multilabel_scores(y, _decide_matrix(clf, texts, batch_size), labels),
        BASELINE: multilabel_scores(y, baseline_for(clf, dsd).predict_matrix(texts), labels),
    }
    return EvaluationReport(labels, split, clf.codebook, systems)


def _decide_matrix(clf: FrameClassifier, texts: list[str], batch_size: int):
    from .thresholds import apply_thresholds

    probs = clf.predict_proba(texts, batch_size=batch_size)
    return apply_thresholds(probs, clf.thresholds, clf.min_labels)
