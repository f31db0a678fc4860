"""Frame shares by group (speaker, outlet, date, event, ...) in a scored table.

``frame_shares`` counts, for each group and each frame, the statements that carry the frame
and their share of the group's statements, with a percentile bootstrap interval;
``plot_share_heatmap`` and ``plot_shares_over_time`` draw them (matplotlib ``Figure``s, no
pyplot); ``summarize`` reads a table written by ``framescope score`` and writes shares.csv,
shares.md, the figures and summary.json to a folder.

The bootstrap resamples a group's statements with replacement. Statements with the same label
set are interchangeable, so one resample is fully described by how often each distinct label
set is drawn: a multinomial draw over the group's label sets, with their observed frequencies.
That is the same distribution as drawing statement indices, at a cost that does not grow with
the number of statements (1,000 resamples of 10^5 statements take milliseconds).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .errors import InputFileError, SettingsError
from .fsutil import check_replaceable, png_bytes, replacing_directory
from .tables import read_chunks, suggest_column

log = logging.getLogger(__name__)

NONE = "none"  # the row for statements that carry no frame
MISSING = "(missing)"  # the group of statements whose group value is missing
SMALL_GROUP = 5  # groups with fewer statements are flagged ``small``
FREQS = ("D", "W", "M", "Q", "Y")
MONTHLY_AFTER_DAYS = 90  # default freq for dates: month over a longer span, else day
COLUMNS = [
    "group",
    "label",
    "n_statements",
    "n_with_label",
    "share",
    "ci_low",
    "ci_high",
    "small",
    "period_start",
]
SHARES_CSV = "shares.csv"
SHARES_MD = "shares.md"
HEATMAP_PNG = "heatmap.png"
OVER_TIME_PNG = "over_time.png"
SUMMARY_JSON = "summary.json"
FILES = (SHARES_CSV, SHARES_MD, HEATMAP_PNG, OVER_TIME_PNG, SUMMARY_JSON)


def score_columns(columns) -> list[str]:
    """The ``score_<label>`` columns, in order."""
    return [str(c) for c in columns if str(c).startswith("score_") and len(str(c)) > 6]


def score_labels(columns) -> list[str]:
    """The labels named by ``score_<label>`` columns, in column order."""
    return [c[len("score_") :] for c in score_columns(columns)]


# ------------------------------------------------------------------------- parsing
def _row_labels(value: Any, row: int) -> list[str]:
    """One ``labels`` cell as a list: a list or array (JSONL, Parquet), a ";"-joined string
    (CSV); None, NaN, "" and [] are no label."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(part) for part in value]
    raise InputFileError(f"row {row}: 'labels' is {type(value).__name__}, not a list of labels")


def _label_patterns(
    cells: pd.Series, labels: list[str], strict: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(pattern id of each row, pattern matrix): the matrix has one row per distinct label
    set and one 0/1 column per label plus a last one for "no label at all". A label outside
    ``labels`` is an error when ``strict``, else ignored."""
    index = {label: i for i, label in enumerate(labels)}
    ids: dict[tuple[tuple[int, ...], bool], int] = {}
    rows = np.empty(len(cells), dtype=np.int64)
    for row, value in enumerate(cells):
        found = _row_labels(value, row + 1)
        if strict:
            unknown = [x for x in found if x not in index]
            if unknown:
                raise InputFileError(
                    f"row {row + 1}: label {unknown[0]!r} has no score_ column "
                    f"(labels: {', '.join(labels)})"
                )
        key = (tuple(sorted({index[x] for x in found if x in index})), not found)
        rows[row] = ids.setdefault(key, len(ids))
    matrix = np.zeros((len(ids), len(labels) + 1), dtype=np.int64)
    for (members, empty), pattern in ids.items():
        matrix[pattern, list(members)] = 1
        matrix[pattern, -1] = int(empty)
    return rows, matrix


def _group_names(values: pd.Series) -> np.ndarray:
    """Each value as a group name: text as written, whole floats without ".0" (a Parquet
    integer column with gaps), missing, NaN and blank values as ``MISSING``."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:
        raise InputFileError(
            f"column {values.name!r} holds lists or objects, not group names"
        ) from None
    names = []
    for value in uniques:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value)
        names.append(text if text.strip() else MISSING)
    table = np.array(names + [MISSING], dtype=object)
    return table[np.where(codes < 0, len(names), codes)]


def _one_date(value: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def parse_dates(values: pd.Series) -> pd.Series:
    """Dates as naive timestamps (a time zone's wall-clock time is kept); values that are
    missing or cannot be read as a date become NaT. Numbers are read as text (2021 is
    2021-01-01)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        dates = values
    else:
        text = values.astype(object).map(lambda v: str(v).strip() or None, na_action="ignore")
        try:
            dates = pd.to_datetime(text, errors="coerce", format="mixed")
        except (ValueError, TypeError):  # mixed time zones: read each value on its own
            dates = text.map({v: _one_date(v) for v in text.dropna().unique()})
            dates = pd.to_datetime(dates)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def default_freq(dates: pd.Series) -> str:
    """ "M" (months) when the dates span more than ``MONTHLY_AFTER_DAYS`` days, else "D"."""
    known = dates.dropna()
    if known.empty:
        return "D"
    return "M" if (known.max() - known.min()).days > MONTHLY_AFTER_DAYS else "D"


def _periods(values: pd.Series, freq: str | None) -> tuple[np.ndarray, pd.Series, str]:
    """(period name of each row, start of each row's period, the freq used)."""
    dates = parse_dates(values)
    unread = int((dates.isna() & values.notna() & (values.astype(str).str.strip() != "")).sum())
    if unread:
        log.warning("%d value(s) of %r are not dates; counted as %s", unread, values.name, MISSING)
    freq = freq or default_freq(dates)
    periods = dates.dt.to_period(freq)
    names = periods.astype(str).to_numpy(dtype=object)
    names[periods.isna().to_numpy()] = MISSING
    return names, periods.dt.start_time, freq


# ------------------------------------------------------------------------- shares
def _bootstrap(
    counts: np.ndarray, matrix: np.ndarray, n_boot: int, confidence: float, rng
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column's share, resampling one group's statements:
    ``counts[p]`` statements have label set ``matrix[p]``."""
    present = counts > 0
    n = int(counts.sum())
    draws = rng.multinomial(n, counts[present] / n, size=n_boot)
    shares = draws @ matrix[present] / n
    alpha = (1 - confidence) / 2
    low, high = np.quantile(shares, [alpha, 1 - alpha], axis=0)
    return low, high


def frame_shares(
    df: pd.DataFrame,
    by: str,
    labels: list[str] | None = None,
    *,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    freq: str | None = None,
    min_statements: int = SMALL_GROUP,
) -> pd.DataFrame:
    """The share of each group's statements that carry each frame, with bootstrap intervals.

    ``df`` has a ``labels`` column (lists, or ";"-joined strings as in a scored CSV) and the
    column ``by``. ``labels`` defaults to the labels of the ``score_<label>`` columns, in
    their order; a statement's label outside them is then an error. One row per (group,
    label), in ``COLUMNS`` order: ``n_with_label`` of the group's ``n_statements`` carry the
    label and ``share`` is their ratio; statements can carry several frames, so shares in a
    group need not sum to 1. A last row per group, label "none", counts the statements with
    no label at all. ``ci_low``/``ci_high``: percentile interval at ``confidence`` over
    ``n_boot`` resamples of the group's statements (seeded by ``seed``).

    Missing or blank group values form the group "(missing)". Groups of fewer than
    ``min_statements`` statements are kept with ``small`` true. When ``by`` is "date" or
    ``freq`` is given, the column is read as dates and grouped by period: ``freq`` D, W, M, Q
    or Y (default: M when the dates span more than 90 days, else D); ``period_start`` is each
    period's first day (NaT otherwise). Groups are ordered by period, else by size (largest
    first); "(missing)" comes last. ``attrs`` records by, freq, n_boot, confidence and seed.
    """
    if by not in df.columns:
        raise InputFileError(f"no column {by!r}{suggest_column(by, list(df.columns))}")
    if "labels" not in df.columns:
        raise InputFileError(f"no column 'labels'{suggest_column('labels', list(df.columns))}")
    if n_boot < 1:
        raise SettingsError(f"bootstrap resamples (n_boot) must be at least 1, not {n_boot}")
    if not 0 < confidence < 1:
        raise SettingsError(f"confidence must be between 0 and 1, not {confidence}")
    if freq is not None and freq.upper() not in FREQS:
        raise SettingsError(f"freq must be one of {', '.join(FREQS)}, not {freq!r}")
    if len(df) == 0:
        raise InputFileError("no statements to summarize")
    known = score_labels(list(df.columns))
    strict = labels is None
    if labels is None:
        if not known:
            raise InputFileError("no score_<label> columns: is this a table from framescope score?")
        labels = known
    elif known:
        for label in labels:
            if label not in known:
                raise InputFileError(
                    f"no score_ column for label {label!r}{suggest_column(label, known)}"
                )
    labels = list(labels)
    if NONE in labels:
        raise SettingsError(f"a label named {NONE!r} would clash with the no-label row")

    dated = by == "date" or freq is not None
    if dated:
        names, starts, freq = _periods(df[by], freq.upper() if freq else None)
    else:
        names, starts = _group_names(df[by]), None
    codes, groups = pd.factorize(names)
    pattern, matrix = _label_patterns(df["labels"], labels, strict)
    counts = np.zeros((len(groups), len(matrix)), dtype=np.int64)
    np.add.at(counts, (codes, pattern), 1)
    sizes = counts.sum(axis=1)
    with_label = counts @ matrix

    if dated:
        first = pd.Series(starts.to_numpy()).groupby(codes).min()
        keys = [(g == MISSING, first[i], "") for i, g in enumerate(groups)]
    else:
        keys = [(g == MISSING, -int(sizes[i]), str(g)) for i, g in enumerate(groups)]
    order = sorted(range(len(groups)), key=lambda i: keys[i])

    rng = np.random.default_rng(seed)
    out = []
    for i in order:
        low, high = _bootstrap(counts[i], matrix, n_boot, confidence, rng)
        start = first[i] if dated else pd.NaT
        for j, label in enumerate([*labels, NONE]):
            out.append(
                {
                    "group": str(groups[i]),
                    "label": label,
                    "n_statements": int(sizes[i]),
                    "n_with_label": int(with_label[i, j]),
                    "share": with_label[i, j] / sizes[i],
                    "ci_low": float(low[j]),
                    "ci_high": float(high[j]),
                    "small": bool(sizes[i] < min_statements),
                    "period_start": start,
                }
            )
    shares = pd.DataFrame(out, columns=COLUMNS)
    shares["period_start"] = pd.to_datetime(shares["period_start"])
    shares.attrs = {
        "by": by,
        "freq": freq if dated else None,
        "n_boot": n_boot,
        "confidence": confidence,
        "seed": seed,
        "min_statements": min_statements,
    }
    return shares


# ------------------------------------------------------------------------- figures
def _plain(text: str) -> str:
    """Text shown as written: a ``$`` would otherwise start matplotlib's math mode."""
    return str(text).replace("$", r"\$")


def _check_shares(shares: pd.DataFrame) -> None:
    missing = [c for c in ("group", "label", "n_statements", "share") if c not in shares]
    if missing or shares.empty:
        raise SettingsError("no shares to plot: pass the table that frame_shares returns")


def plot_share_heatmap(shares: pd.DataFrame, max_groups: int = 30) -> Figure:
    """Groups (rows, the ``max_groups`` largest, in the table's order) by frames (columns),
    each cell coloured by its share and annotated with it as a percentage."""
    _check_shares(shares)
    sizes = shares.groupby("group", sort=False)["n_statements"].first()
    kept = sizes.sort_values(ascending=False, kind="stable").index[:max_groups]
    groups = [g for g in sizes.index if g in set(kept)]
    frames = list(dict.fromkeys(shares["label"]))
    grid = shares.pivot(index="group", columns="label", values="share").loc[groups, frames]
    values = grid.to_numpy(dtype=float)

    fig = Figure(figsize=(2.5 + 0.95 * len(frames), 1.6 + 0.36 * len(groups)), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (row, col), value in np.ndenumerate(values):
        ax.text(
            col,
            row,
            f"{value:.0%}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value > 0.6 else "black",
        )
    small = shares.groupby("group", sort=False)["small"].first() if "small" in shares else None
    ticks = [
        f"{_plain(g)} (n={sizes[g]}){' *' if small is not None and small[g] else ''}"
        for g in groups
    ]
    ax.set_yticks(range(len(groups)), ticks, fontsize=8)
    ax.set_xticks(range(len(frames)), [_plain(f) for f in frames], rotation=30, ha="right")
    ax.set_xlabel("frame")
    by = shares.attrs.get("by", "group")
    ax.set_ylabel(_plain(by))
    fig.colorbar(image, ax=ax, label="share of the group's statements", format=PercentFormatter(1))
    title = f"Frame shares by {_plain(by)}"
    if len(groups) < len(sizes):
        title += f" (largest {len(groups)} of {len(sizes)} groups)"
    ax.set_title(title, fontsize=10)
    return fig


def plot_shares_over_time(shares: pd.DataFrame) -> Figure:
    """One line per frame over the periods of date-grouped shares, with the bootstrap
    interval as a shaded band; statements without a date are left out (counted in the
    title)."""
    _check_shares(shares)
    if "period_start" not in shares or shares["period_start"].isna().all():
        raise SettingsError("no dated groups: summarize by date (or with freq) to plot over time")
    dated = shares[shares["period_start"].notna()].sort_values("period_start", kind="stable")
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    for k, (label, rows) in enumerate(dated.groupby("label", sort=False)):
        color = "0.45" if label == NONE else f"C{k % 10}"
        style = "--" if label == NONE else "-"
        x = pd.to_datetime(rows["period_start"]).to_numpy()
        ax.plot(x, rows["share"], style, marker="o", ms=3, color=color, label=_plain(label))
        if {"ci_low", "ci_high"} <= set(rows.columns):
            ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=color, alpha=0.15, lw=0)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1))
    ax.set_ylabel("share of the period's statements")
    freq = shares.attrs.get("freq")
    ax.set_xlabel("period start" + (f" (freq {freq})" if freq else ""))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    undated = shares.loc[shares["period_start"].isna()].groupby("group")["n_statements"].first()
    title = "Frame shares over time"
    if len(undated):
        title += f" ({int(undated.sum())} statements without a date not shown)"
    confidence = shares.attrs.get("confidence")
    if confidence:
        title += f"; bands: {confidence:.0%} bootstrap intervals"
    ax.set_title(title, fontsize=10)
    return fig


# ------------------------------------------------------------------------- writing
def _percent(value: float) -> str:
    return f"{100 * value:.1f}"


def shares_markdown(shares: pd.DataFrame, source: str = "") -> str:
    """A Markdown table: groups as rows, frames as columns, "share % [low–high] (n)" cells."""
    attrs = shares.attrs
    by = attrs.get("by", "group")
    sizes = shares.groupby("group", sort=False)["n_statements"].first()
    small = shares.groupby("group", sort=False)["small"].first()
    frames = list(dict.fromkeys(shares["label"]))
    cells = {(r.group, r.label): r for r in shares.itertuples(index=False)}
    confidence = attrs.get("confidence", 0.95)
    n_boot = attrs.get("n_boot")
    period = f", by period {attrs['freq']}" if attrs.get("freq") else ""
    minimum = attrs.get("min_statements", SMALL_GROUP)
    lines = [
        f"# Frame shares by {by}",
        "",
        f"{int(sizes.sum()):,} statements in {len(sizes)} groups{period}, "
        f"{len(frames) - 1} frames" + (f", from `{source}`" if source else "") + ".",
        "",
        "Each cell: the share of the group's statements that carry the frame, its "
        f"{confidence:.0%} bootstrap interval"
        + (f" ({n_boot:,} resamples, seed {attrs.get('seed')})" if n_boot else "")
        + " and the number of statements that carry it. A statement can carry several frames, "
        f'so a row need not sum to 100%; "{NONE}" counts statements with no frame. '
        f"* marks groups of fewer than {minimum} statements, whose intervals are wide.",
        "",
    ]

    def text(value: Any) -> str:
        return str(value).replace("|", r"\|").replace("\n", " ")

    lines.append("| " + " | ".join([text(by), "statements", *map(text, frames)]) + " |")
    lines.append("|" + "---|" + "---:|" * (len(frames) + 1))
    for group, n in sizes.items():
        row = [text(group) + (" *" if small[group] else ""), f"{n:,}"]
        for frame in frames:
            r = cells[(group, frame)]
            row.append(
                f"{_percent(r.share)}% [{_percent(r.ci_low)}–{_percent(r.ci_high)}] "
                f"({r.n_with_label:,})"
            )
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def _read_meta(scored: Path) -> dict[str, Any]:
    """``<scored>.meta.json`` as written by ``framescope score``, or {} when absent."""
    path = Path(f"{scored}.meta.json")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _read_table(scored: Path, by: str) -> tuple[pd.DataFrame, list[str]]:
    """The ``by`` and ``labels`` columns of every row, and the score_ columns' labels."""
    parts, columns = [], {}
    for chunk in read_chunks(scored):
        columns.update(dict.fromkeys(map(str, chunk.columns)))
        part = chunk.reindex(columns=[by, "labels"])
        for column in score_columns(chunk.columns):  # CSV cells are text; float32 is small
            part[column] = pd.to_numeric(chunk[column], errors="coerce").astype(np.float32)
        parts.append(part)
    names = list(columns)
    if not parts:
        raise InputFileError(f"{scored}: no rows to summarize")
    if by not in columns:
        raise InputFileError(f"{scored}: no column {by!r}{suggest_column(by, names)}")
    labels = score_labels(names)
    if not labels:
        raise InputFileError(
            f"{scored}: no score_<label> columns; summarize a table written by framescope score"
        )
    if "labels" not in columns:
        raise InputFileError(f"{scored}: no column 'labels'{suggest_column('labels', names)}")
    return pd.concat(parts, ignore_index=True), labels


def summarize(
    scored_path: str | Path,
    output_dir: str | Path,
    by: str,
    *,
    labels: list[str] | None = None,
    freq: str | None = None,
    n_boot: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    max_groups: int = 30,
) -> Path:
    """Write frame shares of the scored table ``scored_path`` by the column ``by`` to the
    folder ``output_dir``: shares.csv (``frame_shares``), shares.md, heatmap.png,
    over_time.png (date grouping only) and summary.json (the settings and totals). The folder
    is built beside ``output_dir`` and takes its place when complete; an existing one must be
    empty or an earlier summary. Returns the folder."""
    scored, out_dir = Path(scored_path), Path(output_dir)
    check_replaceable(out_dir, FILES, "summary")
    frame, known = _read_table(scored, by)
    meta = _read_meta(scored)
    if isinstance(meta.get("labels"), list) and set(meta["labels"]) != set(known):
        log.warning("%s.meta.json names other labels than the score_ columns", scored)
    shares = frame_shares(
        frame, by, labels, n_boot=n_boot, confidence=confidence, seed=seed, freq=freq
    )
    dated = bool(shares["period_start"].notna().any())  # not when no value was a date
    groups = shares.drop_duplicates("group")
    summary = {
        "input": str(scored),
        "rows": len(frame),
        "by": by,
        "freq": shares.attrs["freq"],
        "n_boot": n_boot,
        "confidence": confidence,
        "seed": seed,
        "labels": labels or known,
        "groups": len(groups),
        "small_groups": int(groups["small"].sum()),
        "min_statements": SMALL_GROUP,
        "model": meta.get("model"),
        "codebook": meta.get("codebook"),
        "files": [f for f in FILES if dated or f != OVER_TIME_PNG],
    }
    with replacing_directory(out_dir) as staging:
        shares.to_csv(staging / SHARES_CSV, index=False)
        (staging / SHARES_MD).write_text(shares_markdown(shares, str(scored)), encoding="utf-8")
        (staging / HEATMAP_PNG).write_bytes(png_bytes(plot_share_heatmap(shares, max_groups)))
        if dated:
            (staging / OVER_TIME_PNG).write_bytes(png_bytes(plot_shares_over_time(shares)))
        (staging / SUMMARY_JSON).write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    log.info("wrote the summary to %s", out_dir)
    return out_dir
