from __future__ import annotations

import json

from framescope.modelcard import render_model_card


def test_card_shows_metrics_and_extra_sections(tiny_model_dir):
    config = json.loads((tiny_model_dir / "framescope.json").read_text())
    card = render_model_card(config)
    assert "## Evaluation" in card and "| macro-f1 |" in card
    assert "## Which model to pick" not in card
    config["card_sections"] = {"Which model to pick": "Pick <b>this</b> one for speed."}
    card = render_model_card(config)
    assert "## Which model to pick\n\nPick <b>this</b> one for speed." in card
    assert card.index("## Which model to pick") < card.index("## Limits")
