"""Frame shares by group: counts, bootstrap intervals, date periods, files, figures, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from framescope import frame_shares, summarize
from framescope.cli import main
from framescope.errors import InputFileError, OutputError, SettingsError
from framescope.summarize import (
    COLUMNS,
    MISSING,
    NONE,
    plot_share_heatmap,
    plot_shares_over_time,
)
from framescope.tables import write_frame

from .conftest import table_format_of

LABELS = ["alpha", "beta", "gamma"]
FORMATS = ["csv", "jsonl", "jsonl.gz", "parquet"]

# speaker, labels, date: A has 4 statements (one with none, one with two labels), B has 3
# (every one with beta, one with all three), 2 have no speaker
HAND = [
    ("A", ["alpha"], "2024-01-05"),
    ("A", ["alpha", "beta"], "2024-01-20"),
    ("A", [], "2024-02-03"),
    ("A", ["gamma"], "2024-05-30"),
    ("B", ["beta"], "2024-05-02"),
    ("B", ["beta"], "2024-05-02"),
    ("B", ["alpha", "beta", "gamma"], None),
    (None, ["alpha"], "2024-02-10"),
    ("", [], "2024-01-06"),
]
# (group, label) -> (n_statements, n_with_label)
EXPECTED = {
    ("A", "alpha"): (4, 2),
    ("A", "beta"): (4, 1),
    ("A", "gamma"): (4, 1),
    ("A", NONE): (4, 1),
    ("B", "alpha"): (3, 1),
    ("B", "beta"): (3, 3),
    ("B", "gamma"): (3, 1),
    ("B", NONE): (3, 0),
    (MISSING, "alpha"): (2, 1),
    (MISSING, "beta"): (2, 0),
    (MISSING, "gamma"): (2, 0),
    (MISSING, NONE): (2, 1),
}


def scored_frame(rows=HAND) -> pd.DataFrame:
    """A table as `framescope score` writes it: labels, one score column per label."""
    df = pd.DataFrame(rows, columns=["speaker", "labels", "date"])
    df.insert(0, "text", [f"statement {i}" for i in range(len(df))])
    for label in LABELS:
        df[f"score_{label}"] = [0.9 if label in v else 0.1 for v in df["labels"]]
    df["outlet"] = "daily"
    return df


def write_scored(df: pd.DataFrame, path) -> None:
    with open(path, "wb") as handle:  # CSV: labels ";"-joined, as score writes them
        write_frame(handle, df, table_format_of(path))


def counts(shares: pd.DataFrame) -> dict:
    return {
        (r.group, r.label): (r.n_statements, r.n_with_label) for r in shares.itertuples(index=False)
    }


# ------------------------------------------------------------------------- counts
def test_shares_and_counts_are_exact_on_a_hand_made_table():
    shares = frame_shares(scored_frame(), "speaker")
    assert list(shares.columns) == COLUMNS
    assert counts(shares) == EXPECTED
    assert list(dict.fromkeys(shares["group"])) == ["A", "B", MISSING]  # by size, missing last
    assert list(shares["label"][:4]) == [*LABELS, NONE]  # score_ column order, then none
    for r in shares.itertuples(index=False):
        assert r.share == pytest.approx(r.n_with_label / r.n_statements)
    b = shares[shares["group"] == "B"].set_index("label")["share"]
    assert b.sum() > 1  # multi-label: a group's shares need not sum to 1
    assert shares["small"].tolist() == [True] * len(shares)  # every group under 5


def test_csv_joined_labels_are_read_like_lists():
    lists = scored_frame()
    joined = lists.copy()
    joined["labels"] = [";".join(v) for v in lists["labels"]]
    joined.loc[2, "labels"] = None  # None and "" are both no label
    pd.testing.assert_frame_equal(frame_shares(lists, "speaker"), frame_shares(joined, "speaker"))


def test_a_subset_of_labels_and_none_meaning_no_label_at_all():
    shares = frame_shares(scored_frame(), "speaker", ["beta"])
    assert counts(shares) == {k: v for k, v in EXPECTED.items() if k[1] in ("beta", NONE)}


def test_missing_group_values_form_one_group_and_whole_floats_read_as_integers():
    df = scored_frame()
    df["year"] = [2021.0, 2021.0, np.nan, 2022.0, 2022.0, None, 2022.0, 2021.0, np.nan]
    df["speaker"] = ["A", "  ", None, np.nan, "", "A", "B", "B", "B"]
    shares = frame_shares(df, "speaker")
    sizes = shares.drop_duplicates("group").set_index("group")["n_statements"].to_dict()
    assert sizes == {"B": 3, "A": 2, MISSING: 4}
    assert list(sizes) == ["B", "A", MISSING]
    years = frame_shares(df, "year").drop_duplicates("group")
    assert years["group"].tolist() == ["2021", "2022", MISSING]
    assert years["n_statements"].tolist() == [3, 3, 3]


def test_small_groups_are_kept_and_flagged():
    rows = [("big", ["alpha"], None)] * 6 + [("tiny", ["beta"], None)] * 2
    shares = frame_shares(scored_frame(rows), "speaker").drop_duplicates("group")
    assert shares.set_index("group")["small"].to_dict() == {"big": False, "tiny": True}


def test_a_label_without_a_score_column_is_an_error_unless_labels_are_chosen():
    df = scored_frame()
    df.at[0, "labels"] = ["alpha", "delta"]
    with pytest.raises(InputFileError, match="row 1: label 'delta' has no score_ column"):
        frame_shares(df, "speaker")
    assert counts(frame_shares(df, "speaker", LABELS)) == EXPECTED
    with pytest.raises(InputFileError, match="did you mean 'gamma'"):
        frame_shares(df, "speaker", ["gama"])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n_boot": 0}, SettingsError),
        ({"confidence": 1.0}, SettingsError),
        ({"freq": "H"}, SettingsError),
    ],
)
def test_impossible_settings_are_refused(kwargs, error):
    with pytest.raises(error):
        frame_shares(scored_frame(), "speaker", **kwargs)


# ------------------------------------------------------------------------- bootstrap
def random_table(n: int, p: float, seed: int = 0, groups: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    draws = rng.random((n, 2))
    labels = [[x for x, hit in zip(("alpha", "beta"), (a < p, b < 0.5)) if hit] for a, b in draws]
    return pd.DataFrame(
        {
            "speaker": rng.integers(0, groups, n).astype(str),
            "labels": labels,
            "score_alpha": 0.0,
            "score_beta": 0.0,
        }
    )


def test_the_interval_contains_the_share():
    shares = frame_shares(random_table(3000, 0.2, groups=4), "speaker")
    assert (shares["ci_low"] <= shares["share"]).all()
    assert (shares["share"] <= shares["ci_high"]).all()
    assert (shares["ci_low"] < shares["ci_high"]).all()


def test_the_interval_narrows_with_more_statements():
    widths = []
    for n in (100, 10_000, 100_000):
        alpha = frame_shares(random_table(n, 0.3), "speaker").iloc[0]
        assert alpha["label"] == "alpha"
        widths.append(alpha["ci_high"] - alpha["ci_low"])
    assert widths[0] > 5 * widths[1] > 0
    assert widths[1] > 2 * widths[2] > 0


def test_the_interval_is_reproducible_with_a_seed_and_changes_with_another():
    df = random_table(500, 0.3, groups=3)
    one, again = frame_shares(df, "speaker", seed=7), frame_shares(df, "speaker", seed=7)
    pd.testing.assert_frame_equal(one, again)
    other = frame_shares(df, "speaker", seed=8)
    pd.testing.assert_series_equal(one["share"], other["share"])
    assert not np.allclose(one["ci_low"], other["ci_low"])


def test_a_frame_every_statement_carries_has_the_interval_1_1():
    df = pd.DataFrame({"speaker": "s", "labels": [["alpha"]] * 40, "score_alpha": 0.0})
    shares = frame_shares(df, "speaker").set_index("label")
    assert shares.loc["alpha", ["share", "ci_low", "ci_high"]].tolist() == [1.0, 1.0, 1.0]
    assert shares.loc[NONE, ["share", "ci_low", "ci_high"]].tolist() == [0.0, 0.0, 0.0]


def test_the_interval_matches_resampling_statement_indices():
    """Drawing label-set counts is the same bootstrap as resampling statements one by one."""
    df = random_table(400, 0.25)
    shares = frame_shares(df, "speaker", n_boot=4000, seed=1).set_index("label")
    alpha = np.array(["alpha" in v for v in df["labels"]])
    picks = np.random.default_rng(2).integers(0, len(alpha), (4000, len(alpha)))
    low, high = np.quantile(alpha[picks].mean(axis=1), [0.025, 0.975])
    assert shares.loc["alpha", "ci_low"] == pytest.approx(low, abs=0.01)
    assert shares.loc["alpha", "ci_high"] == pytest.approx(high, abs=0.01)


def test_a_wider_confidence_gives_a_wider_interval():
    df = random_table(500, 0.3)
    narrow = frame_shares(df, "speaker", confidence=0.5).iloc[0]
    wide = frame_shares(df, "speaker", confidence=0.99).iloc[0]
    assert wide["ci_high"] - wide["ci_low"] > 2 * (narrow["ci_high"] - narrow["ci_low"])


# ------------------------------------------------------------------------- dates
def test_dates_over_more_than_90_days_group_by_month_missing_last():
    shares = frame_shares(scored_frame(), "date")
    assert shares.attrs["freq"] == "M"
    sizes = shares.drop_duplicates("group").set_index("group")["n_statements"].to_dict()
    assert sizes == {"2024-01": 3, "2024-02": 2, "2024-05": 3, MISSING: 1}
    assert list(sizes) == ["2024-01", "2024-02", "2024-05", MISSING]  # by period
    starts = shares.drop_duplicates("group")["period_start"].tolist()
    assert starts[:3] == [pd.Timestamp(d) for d in ("2024-01-01", "2024-02-01", "2024-05-01")]
    assert pd.isna(starts[3])


def test_dates_over_a_short_span_group_by_day_and_time_zones_keep_the_local_day():
    rows = [
        ("A", ["alpha"], "2024-03-01"),
        ("A", [], "2024-03-01T23:30:00-05:00"),  # the 1st where it was said, the 2nd in UTC
        ("A", ["beta"], "2024-03-02T01:00:00+01:00"),  # the 2nd there, the 1st in UTC
        ("A", ["beta"], "not a date"),
    ]
    shares = frame_shares(scored_frame(rows), "date")
    assert shares.attrs["freq"] == "D"
    sizes = shares.drop_duplicates("group").set_index("group")["n_statements"].to_dict()
    assert sizes == {"2024-03-01": 2, "2024-03-02": 1, MISSING: 1}


@pytest.mark.parametrize(
    "freq, groups",
    [
        ("Q", ["2024Q1", "2024Q2", MISSING]),
        ("y", ["2024", MISSING]),
        ("D", ["2024-01-05", "2024-01-06", "2024-01-20", "2024-02-03", "2024-02-10"]),
    ],
)
def test_an_explicit_period(freq, groups):
    shares = frame_shares(scored_frame(), "date", freq=freq)
    assert list(dict.fromkeys(shares["group"]))[: len(groups)] == groups


def test_freq_reads_any_column_as_dates():
    df = scored_frame().rename(columns={"date": "published"})
    shares = frame_shares(df, "published", freq="M")
    assert shares.attrs["freq"] == "M"
    assert shares["group"].iloc[0] == "2024-01"


# ------------------------------------------------------------------------- figures
def test_heatmap_shows_groups_by_frames_with_percentages():
    shares = frame_shares(scored_frame(), "speaker")
    ax = plot_share_heatmap(shares).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [*LABELS, NONE]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "A (n=4) *",
        "B (n=3) *",
        f"{MISSING} (n=2) *",
    ]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 12 and texts[:4] == ["50%", "25%", "25%", "25%"]
    assert ax.get_title() == "Frame shares by speaker"


def test_heatmap_keeps_the_largest_groups():
    rows = [(f"s{i}", ["alpha"], None) for i in range(5) for _ in range(i + 1)]
    ax = plot_share_heatmap(frame_shares(scored_frame(rows), "speaker"), max_groups=2).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["s4 (n=5)", "s3 (n=4) *"]
    assert "largest 2 of 5 groups" in ax.get_title()


def test_shares_over_time_draw_a_line_and_a_band_per_frame():
    ax = plot_shares_over_time(frame_shares(scored_frame(), "date")).axes[0]
    assert [line.get_label() for line in ax.get_lines()] == [*LABELS, NONE]
    assert all(len(line.get_xdata()) == 3 for line in ax.get_lines())  # months; no (missing)
    assert len(ax.collections) == 4  # the bands
    assert "1 statements without a date" in ax.get_title()
    assert ax.get_ylim() == (0, 1)


def test_shares_over_time_refuse_shares_not_grouped_by_date():
    with pytest.raises(SettingsError, match="no dated groups"):
        plot_shares_over_time(frame_shares(scored_frame(), "speaker"))


# ------------------------------------------------------------------------- files
@pytest.mark.parametrize("fmt", FORMATS)
def test_summarize_reads_every_format_and_writes_its_files(tmp_path, fmt):
    scored = tmp_path / f"scored.{fmt}"
    write_scored(scored_frame(), scored)
    out = summarize(scored, tmp_path / "summary", "speaker", n_boot=200)
    assert out == tmp_path / "summary"
    assert sorted(p.name for p in out.iterdir()) == [
        "heatmap.png",
        "shares.csv",
        "shares.md",
        "summary.json",
    ]
    shares = pd.read_csv(out / "shares.csv", keep_default_na=False)
    assert counts(shares) == EXPECTED
    assert (out / "heatmap.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "shares.md").read_text(encoding="utf-8")
    assert "9 statements in 3 groups, 3 frames" in md
    assert "| speaker | statements | alpha | beta | gamma | none |" in md
    assert "| B * | 3 | 33.3% [" in md and "| 100.0% [100.0–100.0] (3) |" in md
    summary = json.loads((out / "summary.json").read_text())
    assert {k: summary[k] for k in ("by", "freq", "n_boot", "confidence", "seed", "rows")} == {
        "by": "speaker",
        "freq": None,
        "n_boot": 200,
        "confidence": 0.95,
        "seed": 0,
        "rows": 9,
    }
    assert summary["labels"] == LABELS and summary["input"] == str(scored)


def test_summarize_by_date_adds_the_figure_over_time_and_records_the_model(tmp_path):
    scored = tmp_path / "scored.jsonl"
    write_scored(scored_frame(), scored)
    meta = {"model": "models/unrest-v1", "labels": LABELS, "rows": 9}
    (tmp_path / "scored.jsonl.meta.json").write_text(json.dumps(meta))
    out = summarize(scored, tmp_path / "by-date", "date", freq="q", n_boot=100, seed=3)
    assert (out / "over_time.png").read_bytes()[:4] == b"\x89PNG"
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["freq"], summary["seed"], summary["model"]) == ("Q", 3, "models/unrest-v1")
    assert "over_time.png" in summary["files"]
    # an earlier summary is replaced, and a summary without dates drops over_time.png
    summarize(scored, out, "outlet", n_boot=100)
    assert not (out / "over_time.png").exists()
    df = scored_frame()
    df["date"] = "soon"  # no value is a date: all (missing), nothing to draw over time
    write_scored(df, scored)
    summarize(scored, out, "date", n_boot=100)
    assert not (out / "over_time.png").exists()
    shares = pd.read_csv(out / "shares.csv", keep_default_na=False)
    assert set(shares["group"]) == {MISSING}


def test_summarize_refuses_what_it_cannot_use(tmp_path):
    scored = tmp_path / "scored.csv"
    write_scored(scored_frame(), scored)
    with pytest.raises(InputFileError, match="no column 'speakr'.*did you mean 'speaker'"):
        summarize(scored, tmp_path / "out", "speakr")
    plain = tmp_path / "plain.csv"
    write_scored(scored_frame().drop(columns=[f"score_{x}" for x in LABELS]), plain)
    with pytest.raises(InputFileError, match="no score_<label> columns"):
        summarize(plain, tmp_path / "out", "speaker")
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        summarize(scored, tmp_path / "file", "speaker")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="notes.txt"):
        summarize(scored, busy, "speaker")
    assert (busy / "notes.txt").read_text() == "mine"
    header_only = tmp_path / "empty.csv"
    header_only.write_text("speaker,labels,score_alpha\n")
    with pytest.raises(InputFileError, match="no rows"):
        summarize(header_only, tmp_path / "out", "speaker")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------- CLI
def test_cli_writes_the_summary_and_prints_one_line(tmp_path, capsys):
    scored = tmp_path / "scored.parquet"
    write_scored(scored_frame(), scored)
    out = tmp_path / "summary"
    argv = ["summarize", str(scored), "-o", str(out), "--by", "date", "--freq", "m"]
    assert main(["--quiet", *argv, "--bootstrap", "50", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("wrote shares.csv, shares.md, heatmap.png, over_time.png")
    assert "9 statements in 4 groups by date (period M), 3 frames" in lines[0]
    assert json.loads((out / "summary.json").read_text())["n_boot"] == 50


def test_cli_missing_column_exits_2_with_one_line_and_a_suggestion(tmp_path, capsys):
    scored = tmp_path / "scored.jsonl"
    write_scored(scored_frame(), scored)
    argv = ["--quiet", "summarize", str(scored), "-o", str(tmp_path / "o"), "--by", "Outlet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("framescope: error:") and "did you mean 'outlet'" in err[0]
    assert not (tmp_path / "o").exists()
