"""framescope: tag how political statements frame unrest."""

from __future__ import annotations

__version__ = "0.1.0"

from .classifier import FrameClassifier  # noqa: E402
from .codebook import Codebook, LabelSpec  # noqa: E402
from .corpus import load_corpus, validate_corpus  # noqa: E402
from .evaluation import EvaluationReport, evaluate  # noqa: E402
from .scoring import score_file  # noqa: E402
from .training import TrainConfig, train  # noqa: E402

__all__ = [
    "Codebook",
    "EvaluationReport",
    "FrameClassifier",
    "LabelSpec",
    "TrainConfig",
    "__version__",
    "evaluate",
    "load_corpus",
    "score_file",
    "train",
    "validate_corpus",
]
