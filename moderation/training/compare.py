"""Two models side by side on the same comments, each difference with its paired 95% interval.

A rule that keeps or drops a candidate compares its figures with the shipped
model's. Read one at a time, a blind batch's F1 moves by 0.05 either way with the
comments drawn, and a candidate judged against bounds tighter than that is judged
on luck (docs/model-history.md). Both models score the same comments, so each
bootstrap round weighs the comments once for both (moderation/training/intervals.py)
and the difference's interval is paired: a fall of 0.02 in the Fox News AUC can be
beyond chance while either AUC alone is uncertain by 0.05.

Used by `benchmarks/compare_models.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from moderation.model import Moderator
from moderation.training import intervals
from moderation.training.data import BLIND_SETS, OWN_SET, load_bbc_sentences, load_fox, load_ucc
from moderation.training.evaluate import HARD_NEGATIVES, _flags, identity_bias, judged, own_split, seed_table


def _row(figure: str, base: float, candidate: float, bounds: list[float] | None, digits: int = 3) -> dict:
    return {"figure": figure, "base": round(base, digits + 1), "candidate": round(candidate, digits + 1),
            "difference": round(candidate - base, digits + 1), "interval": bounds}


def own_set_rows(base: Moderator, candidate: Moderator, path: Path, split: str, name: str) -> list[dict]:
    """Each label's F1 and the hard-negative false-positive rate of one of our labelled sets."""
    df = own_split(path, split)
    hard = df["category"].isin(HARD_NEGATIVES).to_numpy()
    labels = list(base.labels)
    _, _, gold, pa, wa = judged(base, df)
    _, _, _, pb, wb = judged(candidate, df)

    def stat(w: np.ndarray) -> tuple[float, ...]:
        f1 = [intervals.weighted_f1(gold[l], pb[l], w) - intervals.weighted_f1(gold[l], pa[l], w) for l in labels]
        return (*f1, intervals.weighted_rate(wb[hard], w[hard]) - intervals.weighted_rate(wa[hard], w[hard]))

    samples = intervals.bootstrap(stat, len(df))
    rows = [_row(f"{name}: F1 `{label}`", intervals.weighted_f1(gold[label], pa[label]),
                 intervals.weighted_f1(gold[label], pb[label]), intervals.interval(samples[:, k]))
            for k, label in enumerate(labels)]
    rows.append(_row(f"{name}: hard-negative false positives", float(wa[hard].mean()), float(wb[hard].mean()),
                     intervals.interval(samples[:, -1])))
    return rows


def auc_row(base: Moderator, candidate: Moderator, texts: list[str], y: np.ndarray, name: str, label: str = "abusive") -> dict:
    j = list(base.labels).index(label)
    sa = base.predict_proba(texts)[:, j]
    sb = candidate.predict_proba(texts)[:, j]
    samples = intervals.bootstrap(lambda w: intervals.weighted_auc(y, sb, w) - intervals.weighted_auc(y, sa, w), len(y))
    return _row(f"{name}: `{label}` ROC AUC", intervals.weighted_auc(y, sa), intervals.weighted_auc(y, sb),
                intervals.interval(samples[:, 0]))


def flagged_row(base: Moderator, candidate: Moderator, texts: list[str], name: str) -> dict:
    """The share of texts flagged with any label, for text that is none of it abuse."""
    fa = np.array([bool(f) for f in _flags(base, texts)[1]])
    fb = np.array([bool(f) for f in _flags(candidate, texts)[1]])
    samples = intervals.bootstrap(lambda w: intervals.weighted_rate(fb, w) - intervals.weighted_rate(fa, w), len(texts))
    return _row(f"{name}: flagged", float(fa.mean()), float(fb.mean()), intervals.interval(samples[:, 0]), digits=4)


def compare(base: Moderator, candidate: Moderator, data_dir: Path | None, repo: Path = Path("."), blind: Iterable[int] = (),
            log: Callable[[str], None] = print) -> list[dict]:
    """The rows of the comparison: seed table, our test split, the blind batches asked for (numbered from 1),
    and with `data_dir` the news AUCs, toxigen's neutral statements and the BBC sentences."""
    rows = []
    sa, sb = seed_table(base), seed_table(candidate)
    rows.append({"figure": "seed table right", "base": sa["correct"], "candidate": sb["correct"],
                 "difference": sb["correct"] - sa["correct"], "interval": None})
    log("comparing: own test split")
    rows += own_set_rows(base, candidate, repo / OWN_SET, "test", "test split")
    for n in blind:
        log(f"comparing: blind batch {n}")
        rows += own_set_rows(base, candidate, repo / BLIND_SETS[n - 1], "blind", f"blind batch {n}")
    if data_dir is None:
        return rows
    log("comparing: news comments")
    fox = load_fox(data_dir)
    fox = fox[fox["split"] == "test"]
    rows.append(auc_row(base, candidate, fox["text"].tolist(), fox["abusive"].astype(int).to_numpy(),
                        "Fox News (4 held-out threads)"))
    ucc = load_ucc(data_dir)
    rows.append(auc_row(base, candidate, ucc["text"].tolist(), ucc["abusive"].astype(int).to_numpy(),
                        "Globe and Mail (hostile/antagonize vs healthy)"))
    log("comparing: toxigen, BBC")
    worst = [identity_bias(moderator, data_dir)["max_rate"] for moderator in (base, candidate)]
    rows.append({"figure": "toxigen neutral statements: worst group flagged", "base": worst[0], "candidate": worst[1],
                 "difference": round(worst[1] - worst[0], 3), "interval": None})
    if (data_dir / "bbc_news_text").is_dir():
        rows.append(flagged_row(base, candidate, load_bbc_sentences(data_dir)["text"].tolist(), "BBC News sentences"))
    return rows


def render(rows: Sequence[dict], base_name: str, candidate_name: str) -> str:
    """A Markdown table; "beyond chance" when the difference's 95% interval leaves out 0."""
    out = [f"| figure | base `{base_name}` | candidate `{candidate_name}` | difference | 95% interval | |",
           "|---|---|---|---|---|---|"]
    for r in rows:
        bounds = r["interval"]
        if bounds is None:
            span, beyond = "", ""
        else:
            span = f"{bounds[0]:+.4f} to {bounds[1]:+.4f}"
            beyond = "beyond chance" if bounds[0] > 0 or bounds[1] < 0 else ""
        out.append(f"| {r['figure']} | {r['base']} | {r['candidate']} | {r['difference']:+} | {span} | {beyond} |")
    return "\n".join(out)
