from __future__ import annotations

import numpy as np

from framescope.baseline import TfidfBaseline

TEXTS = ["foreign agents", "prices up", "foreign money", "prices of bread", "calm day", "hello"]
Y = np.array([[1, 0], [0, 1], [1, 0], [0, 1], [0, 0], [0, 0]])


def test_fit_save_load_round_trip(tmp_path):
    model = TfidfBaseline(["f", "p"]).fit(TEXTS, Y).tune(TEXTS, Y)
    model.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json", "baseline.safetensors"]
    again = TfidfBaseline.load(tmp_path)
    np.testing.assert_allclose(again.predict_proba(TEXTS), model.predict_proba(TEXTS), rtol=1e-6)
    assert again.predict_matrix(TEXTS).tolist() == Y.tolist()


def test_a_label_without_positives_never_fires():
    y = Y.copy()
    y[:, 1] = 0
    model = TfidfBaseline(["f", "p"]).fit(TEXTS, y)
    assert (model.predict_proba(TEXTS)[:, 1] < 0.01).all()
