"""The evaluation figures shared by the notebooks and the docs.

The notebooks in `notebooks/` and `python -m moderation.figures --output
docs/figures` (`make figures`) draw with the same functions, so a figure in the
README is exactly the one a reader re-creates in a notebook. Everything here
reads data through `moderation.training.data`, scores through
`Moderator.score()` and decides through the model's own policy: the figures
show the shipped model, not a re-implementation of it.

Needs matplotlib (the `notebooks` extra) and `../shared/data`
(or `$MODERATION_DATA`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

# REPO (the checkout: the shipped model and `data/`) and default_data_dir are
# imported from here by the notebooks.
from moderation.training.paths import REPO, default_data_dir

#: Seed for every sample drawn here (large data sets are sampled for speed).
SEED = 20261122
#: Largest number of rows scored per evaluation set (a fixed-seed sample beyond it).
MAX_ROWS = 4000
#: Comments per thread in the workload figures: a busy thread under a news story.
THREAD_SIZE = 200

LABEL_COLOURS = {"dehumanising": "#b2182b", "abusive": "#2166ac"}
DECISIONS = ("allow", "hold", "reject")


def _sample(df: pd.DataFrame, max_rows: int | None, seed: int = SEED) -> pd.DataFrame:
    if max_rows is not None and len(df) > max_rows:
        df = df.sample(max_rows, random_state=seed).sort_index()
    return df.reset_index(drop=True)


def evaluation_sets(data_dir: Path | None = None, repo: Path = REPO,
                    max_rows: int | None = MAX_ROWS) -> dict[str, pd.DataFrame]:
    """The rows the shipped model was never trained on, one frame per data set.

    Held-out parts of training sets (our test split, four Fox News threads,
    half the toxigen statements, Civil Comments `tsd_test`) and the sets that
    are for evaluation only. Columns as the loaders return them (`text`,
    `abusive`, `dehumanising`: 1, 0 or NaN when the set says nothing).
    """
    from moderation.training.data import DATASETS, OWN_SET, load_own, load_toxic_spans

    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    own = load_own(repo / OWN_SET)
    fox = DATASETS["fox_news_comments"].loader(data_dir)
    toxigen = DATASETS["toxigen"].loader(data_dir)
    sets = {
        "news_comments (ours, test)": own[own["split"] == "test"],
        "fox_news_comments (held-out threads)": fox[fox["split"] == "test"],
        "ucc_unhealthy_globe": DATASETS["ucc_unhealthy_globe"].loader(data_dir),
        "toxigen (held-out half)": toxigen[toxigen["split"] == "test"],
        "toxic_spans_civil (tsd_test)": load_toxic_spans(data_dir, "test"),
        "tweeteval_offensive (test)": DATASETS["tweeteval_offensive"].loader(data_dir),
        "kaggle_insults_impermium (test)": DATASETS["kaggle_insults_impermium"].loader(data_dir),
        "jigsaw_robtest_balanced": DATASETS["jigsaw_robtest_balanced"].loader(data_dir),
    }
    return {name: _sample(df, max_rows) for name, df in sets.items()}


def score_frame(moderator, df: pd.DataFrame) -> pd.DataFrame:
    """`df` with the model's verdict for each text: `score_<label>`, `flagged`, `decision`, `verdict`."""
    verdicts = moderator.score(df["text"].tolist())
    out = df.copy()
    for label in moderator.labels:
        out[f"score_{label}"] = [v.scores[label] for v in verdicts]
    out["flagged"] = [list(v.labels) for v in verdicts]
    out["decision"] = [v.decision for v in verdicts]
    out["verdict"] = verdicts
    return out


def highlight(text: str, evidence: Sequence[Any], limit: int | None = 240, mark: tuple[str, str] = ("[[", "]]")) -> str:
    """The comment with its evidence spans marked, cut to about `limit` characters around them."""
    from moderation.report.highlight import segments

    spans = [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in evidence]
    parts, cut_start, cut_end = segments(text, spans, limit)
    body = "".join(f"{mark[0]}{s}{mark[1]}" if is_evidence else s for s, is_evidence in parts)
    return ("..." if cut_start else "") + body + ("..." if cut_end else "")


def _known(df: pd.DataFrame, label: str) -> tuple[np.ndarray, np.ndarray]:
    known = df[label].notna().to_numpy()
    return df.loc[known, label].astype(int).to_numpy(), df.loc[known, f"score_{label}"].to_numpy()


def curve_sets(scored: Mapping[str, pd.DataFrame], label: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(gold, score) per data set that has both positives and negatives for `label`."""
    out = {}
    for name, df in scored.items():
        if label not in df:
            continue
        y, s = _known(df, label)
        if len(y) and 0 < y.sum() < len(y):
            out[name] = (y, s)
    return out


def plot_pr_roc(scored: Mapping[str, pd.DataFrame], label: str, thresholds: Mapping[str, float] | None = None):
    """Precision-recall and ROC curves of one label, one line per data set; the shipped hold point marked."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

    fig, (ax_pr, ax_roc) = plt.subplots(1, 2, figsize=(11, 4.6))
    for name, (y, s) in curve_sets(scored, label).items():
        p, r, _ = precision_recall_curve(y, s)
        line, = ax_pr.plot(r, p, label=f"{name}  AP {average_precision_score(y, s):.2f}  (n={len(y):,})")
        fpr, tpr, _ = roc_curve(y, s)
        ax_roc.plot(fpr, tpr, color=line.get_color(), label=f"{name}  AUC {roc_auc_score(y, s):.3f}")
        if thresholds:
            held = s >= thresholds["hold"]
            if held.any():
                ax_pr.plot(y[held].sum() / y.sum(), y[held].mean(), "o", color=line.get_color())
            ax_roc.plot(held[y == 0].mean(), held[y == 1].mean(), "o", color=line.get_color())
    ax_pr.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=f"{label}: precision-recall")
    ax_roc.plot([0, 1], [0, 1], ":", color="grey", lw=1)
    ax_roc.set(xlabel="false-positive rate", ylabel="true-positive rate", xlim=(0, 1), ylim=(0, 1.02),
               title=f"{label}: ROC")
    ax_pr.legend(fontsize=7, loc="lower left")
    ax_roc.legend(fontsize=7, loc="lower right")
    if thresholds:
        fig.text(0.5, -0.01, f"dots: the shipped hold threshold ({thresholds['hold']:.2f})", ha="center", fontsize=8)
    fig.tight_layout()
    return fig


def plot_calibration(scored: Mapping[str, pd.DataFrame], labels: Sequence[str], n_bins: int = 10):
    """Reliability diagram: mean score vs observed rate of the label, per data set."""
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    fig, axes = plt.subplots(1, len(labels), figsize=(5.5 * len(labels), 4.6), squeeze=False)
    for ax, label in zip(axes[0], labels):
        for name, (y, s) in curve_sets(scored, label).items():
            frac, mean = calibration_curve(y, s, n_bins=n_bins, strategy="quantile")
            ax.plot(mean, frac, "o-", ms=3, label=f"{name} (base rate {y.mean():.0%})")
        ax.plot([0, 1], [0, 1], ":", color="grey", lw=1)
        ax.set(xlabel="model score (mean in bin)", ylabel="share of comments with the label", xlim=(0, 1), ylim=(0, 1),
               title=f"{label}: calibration")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def decision_table(df: pd.DataFrame, label: str) -> pd.DataFrame:
    """Gold label (rows) against the policy's decision (allow/hold/reject), for rows where the gold is known."""
    known = df[df[label].notna()]
    gold = known[label].astype(int).map({0: f"not {label}", 1: label})
    table = pd.crosstab(gold, pd.Categorical(known["decision"], categories=DECISIONS), dropna=False)
    table.columns.name, table.index.name = "decision", "gold"
    return table


def identity_bias(scored_toxigen: pd.DataFrame) -> pd.DataFrame:
    """Share of neutral statements about each group that the policy holds or rejects."""
    neutral = scored_toxigen[scored_toxigen["hate"] == 0]
    flagged = neutral["decision"] != "allow"
    table = neutral.assign(flagged=flagged).groupby("group").agg(statements=("text", "size"), flagged=("flagged", "sum"))
    table["flagged_rate"] = table["flagged"] / table["statements"]
    return table.sort_values("flagged_rate", ascending=False)


def plot_identity_bias(table: pd.DataFrame, target: float = 0.05):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.32 * len(table) + 1.2))
    t = table.sort_values("flagged_rate")
    ax.barh(t.index, t["flagged_rate"] * 100, color="#4d4d4d")
    for y, (rate, n, k) in enumerate(zip(t["flagged_rate"], t["statements"], t["flagged"])):
        ax.text(rate * 100 + 0.1, y, f"{k}/{n}", va="center", fontsize=7)
    ax.axvline(target * 100, color="#b2182b", ls="--", lw=1, label=f"target <= {target:.0%}")
    ax.set(xlabel="neutral statements held or rejected (%)", title="Identity terms: neutral toxigen statements flagged, per group")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def obfuscation_table(moderator, path: Path | None = None) -> pd.DataFrame:
    """Each obfuscated rewrite of the seed's dehumanising comments, scored; `ok` when every expected label is flagged."""
    from moderation.training.data import OBFUSCATED_SEED

    df = pd.read_csv(path or REPO / OBFUSCATED_SEED, dtype={"seed_comment": str})
    scored = score_frame(moderator, df)
    expected = [set(str(e).split(";")) for e in scored["expected_labels"]]
    scored["ok"] = [e <= set(f) for e, f in zip(expected, scored["flagged"])]
    return scored


def plot_obfuscation(table: pd.DataFrame, label: str = "dehumanising", threshold: float | None = None):
    import matplotlib.pyplot as plt

    grid = table.pivot(index="technique", columns="seed_comment", values=f"score_{label}")
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(grid) + 1.4))
    im = ax.imshow(grid.to_numpy(), vmin=0, vmax=1, cmap="RdYlGn_r", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"comment {c}" for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), grid.index)
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        below = threshold is not None and v < threshold
        ax.text(j, i, f"{v:.2f}" + (" MISSED" if below else ""), ha="center", va="center", fontsize=8,
                fontweight="bold" if below else "normal")
    fig.colorbar(im, ax=ax, label=f"{label} score")
    title = f"Obfuscated seed comments: {label} score"
    if threshold is not None:
        title += f"\n(hold threshold {threshold:.2f})"
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def workload(y: np.ndarray, s: np.ndarray, thread_size: int = THREAD_SIZE,
             grid: np.ndarray | None = None) -> pd.DataFrame:
    """For each threshold: comments held, abusive comments among them, and abusive comments missed,
    per thread of `thread_size` comments with the data's own share of abuse."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2) if grid is None else np.asarray(grid)
    y, s = np.asarray(y).astype(int), np.asarray(s, dtype=float)
    rows = []
    for t in grid:
        held = s >= t
        rows.append({"threshold": float(t), "held": held.mean() * thread_size,
                     "held_abusive": (held & (y == 1)).mean() * thread_size,
                     "missed": (~held & (y == 1)).mean() * thread_size,
                     "precision": y[held].mean() if held.any() else np.nan,
                     "recall": held[y == 1].mean() if (y == 1).any() else np.nan})
    return pd.DataFrame(rows)


def operating_point(scored: pd.DataFrame, label: str = "abusive", thread_size: int = THREAD_SIZE) -> dict[str, float]:
    """What the shipped policy does to a thread of `thread_size` comments (every label, the real decisions)."""
    known = scored[scored[label].notna()]
    gold = known[label].astype(int).to_numpy() == 1
    decision = known["decision"].to_numpy()
    held = decision != "allow"
    return {"held": held.mean() * thread_size, "rejected": (decision == "reject").mean() * thread_size,
            "held_abusive": (held & gold).mean() * thread_size, "missed": (~held & gold).mean() * thread_size,
            "abusive": gold.mean() * thread_size, "precision": gold[held].mean() if held.any() else float("nan"),
            "recall": held[gold].mean() if gold.any() else float("nan")}


def plot_workload(curves: Mapping[str, pd.DataFrame], thresholds: Mapping[str, float], thread_size: int = THREAD_SIZE,
                  label: str = "abusive", points: Mapping[str, Mapping[str, float]] | None = None):
    """Left: comments held and abuse missed against the threshold. Right: the trade-off itself,
    with the shipped policy's operating point (`points`, from `operating_point`) as a star."""
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_w) = plt.subplots(1, 2, figsize=(11.5, 4.6))
    for name, w in curves.items():
        line, = ax_t.plot(w["threshold"], w["held"], label=f"{name}: held")
        ax_t.plot(w["threshold"], w["missed"], "--", color=line.get_color(), label=f"{name}: {label} missed")
        ax_w.plot(w["held"], w["missed"], color=line.get_color(), label=name)
        for key, marker in (("hold", "o"), ("reject", "s")):
            if key in thresholds:
                row = w.iloc[(w["threshold"] - thresholds[key]).abs().argmin()]
                ax_w.plot(row["held"], row["missed"], marker, color=line.get_color(), ms=7)
                ax_w.annotate(f"{key} {thresholds[key]:.2f}", (row["held"], row["missed"]), fontsize=7,
                              xytext=(4, 4), textcoords="offset points")
        if points and name in points:
            ax_w.plot(points[name]["held"], points[name]["missed"], "*", color=line.get_color(), ms=13,
                      markeredgecolor="black")
    for key, style in (("hold", "-"), ("reject", ":")):
        if key in thresholds:
            ax_t.axvline(thresholds[key], color="black", ls=style, lw=1)
            ax_t.text(thresholds[key], ax_t.get_ylim()[1] * 0.97, f" shipped {key}", fontsize=7, va="top")
    ax_t.set(xlabel=f"{label} threshold", ylabel=f"comments per thread of {thread_size}",
             title="Held for a moderator vs abuse let through")
    ax_w.set(xlabel=f"comments held per thread of {thread_size} (moderator workload)",
             ylabel=f"{label} comments missed per thread", title="The trade-off (o hold, s reject threshold, * shipped policy)")
    ax_t.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    ax_w.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# `python -m moderation.figures --output docs/figures`

FIGURES = ("pr_roc_abusive", "pr_roc_dehumanising", "calibration", "identity_bias", "obfuscation", "workload")


def write_figures(output: Path, data_dir: Path | None = None, model_path: Path | None = None,
                  log=print) -> list[Path]:
    """Draw every figure the README links to into `output` (PNG); returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from moderation import load_model

    output.mkdir(parents=True, exist_ok=True)
    moderator = load_model(model_path)
    thresholds = moderator.card["thresholds"]
    sets = evaluation_sets(data_dir)
    log(f"scoring {sum(len(d) for d in sets.values()):,} held-out comments from {len(sets)} data sets")
    scored = {name: score_frame(moderator, df) for name, df in sets.items()}
    threads = ("fox_news_comments (held-out threads)", "ucc_unhealthy_globe")  # real news-site comments
    news = {k: scored[k] for k in ("news_comments (ours, test)", *threads)}
    figures = {
        "pr_roc_abusive": lambda: plot_pr_roc(scored, "abusive", thresholds["abusive"]),
        "pr_roc_dehumanising": lambda: plot_pr_roc(scored, "dehumanising", thresholds["dehumanising"]),
        "calibration": lambda: plot_calibration(news, moderator.labels),
        "identity_bias": lambda: plot_identity_bias(identity_bias(scored["toxigen (held-out half)"])),
        "obfuscation": lambda: plot_obfuscation(obfuscation_table(moderator), "dehumanising",
                                                thresholds["dehumanising"]["hold"]),
        "workload": lambda: plot_workload(
            {k: workload(*_known(news[k], "abusive")) for k in threads},
            thresholds["abusive"], points={k: operating_point(news[k]) for k in threads}),
    }
    written = []
    for name, draw in figures.items():
        fig = draw()
        path = output / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
        written.append(path)
        log(f"wrote {path}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moderation.figures",
                                     description="Regenerate the evaluation figures the README links to "
                                                 "(the same functions the notebooks draw with).")
    parser.add_argument("--output", "-o", type=Path, default=REPO / "docs" / "figures",
                        help="directory for the PNG files (default: docs/figures)")
    parser.add_argument("--data", type=Path, default=None,
                        help="the public data sets (default: $MODERATION_DATA, else ../shared/data)")
    parser.add_argument("--model", type=Path, default=None, help="a model directory (default: the shipped model)")
    args = parser.parse_args(argv)
    data_dir = args.data or default_data_dir()
    if not data_dir.is_dir():
        print(f"error: {data_dir}: data directory not found (use --data DIR or set MODERATION_DATA)", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    from moderation.model import ModelError

    try:
        write_figures(args.output, data_dir, args.model, log=lambda m: print(m, file=sys.stderr))
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(FIGURES)} figures in {args.output} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
