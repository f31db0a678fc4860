"""framescope: tag how political statements frame unrest."""

from __future__ import annotations

__version__ = "0.1.0"

from .articles import score_articles  # noqa: E402
from .classifier import FrameClassifier  # noqa: E402
from .codebook import Codebook, LabelSpec  # noqa: E402
from .corpus import load_corpus, validate_corpus  # noqa: E402
from .evaluation import EvaluationReport, evaluate  # noqa: E402
from .extraction import Statement, extract_statements  # noqa: E402
from .scoring import score_file  # noqa: E402
from .summarize import frame_shares, summarize  # noqa: E402
from .training import TrainConfig, train  # noqa: E402

__all__ = [
    "Codebook",
    "EvaluationReport",
    "FrameClassifier",
    "LabelSpec",
    "Statement",
    "TrainConfig",
    "__version__",
    "evaluate",
    "extract_statements",
    "frame_shares",
    "load_corpus",
    "score_articles",
    "score_file",
    "summarize",
    "train",
    "validate_corpus",
]
