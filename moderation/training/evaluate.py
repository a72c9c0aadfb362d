"""Measure a model against every target of the model issue; render docs/evaluation.md.

Every figure is computed here, in one run, from the model as loaded by
`load_model()`, on data the model was not trained on: the seed table, the test
split of our own labelled set, held-out news comments (Fox News threads held
out from training, Globe and Mail comments which are never trained on),
toxigen statements held out from training (identity bias), the obfuscated seed
comments, other public sets (evaluation only), and the speed benchmarks.
alt-profanity-check is scored on the same rows in the same run.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from moderation.training import intervals
from moderation.training.data import (
    BLIND_SETS, OBFUSCATED_SEED, OWN_SET, load_bbc_sentences, load_fox, load_jigsaw, load_kaggle_insults,
    load_olid, load_own, load_toxic_spans, load_toxigen, load_ucc,
)
from moderation.training.seed_table import SEED_TABLE

#: Categories of our own set that are hard negatives (docs/labels.md).
HARD_NEGATIVES = ("literal_animal", "counter_speech", "negation", "reporting", "figurative_praise",
                  "untargeted_profanity", "neutral_identity")


def _flags(moderator, texts: list[str]) -> tuple[np.ndarray, list[list[str]]]:
    probs, labels, _ = _decisions(moderator, texts)
    return probs, labels


def _decisions(moderator, texts: list[str]) -> tuple[np.ndarray, list[list[str]], list[str]]:
    """Scores, flagged labels and the policy's decision (allow / hold / reject) per text.

    Each text goes to the policy with its scores, as `check` and `scan` send it,
    so rules that read the text (`reject_min_words`: one word is held, never
    rejected, on its score) act on the evaluated decisions too.
    """
    probs, decided = moderator.decisions(texts)
    return probs, [flagged for _, flagged, _ in decided], [decision for decision, _, _ in decided]


def seed_table(moderator) -> dict:
    rows = []
    for number, text, expected in SEED_TABLE:
        v = moderator.check(text)
        ok = expected is None or set(v.labels) == set(expected)
        rows.append({"comment": number, "expected": "either (borderline)" if expected is None else (
            "+".join(sorted(expected, reverse=True)) or "neither"), "flagged": "+".join(v.labels) or "neither",
            "dehumanising": v.scores.get("dehumanising"), "abusive": v.scores.get("abusive"),
            "evidence": ", ".join(sorted({e.text for e in v.evidence})), "ok": ok})
    return {"rows": rows, "correct": sum(r["ok"] for r in rows), "total": len(rows)}


def own_split(path: Path, split: str) -> pd.DataFrame:
    """The rows of one split of our own labelled set (`test`, or `blind` for a blind batch)."""
    df = load_own(path)
    return df[df["split"] == split].reset_index(drop=True)


def judged(moderator, df: pd.DataFrame) -> tuple[np.ndarray, list[list[str]], dict[str, np.ndarray],
                                                 dict[str, np.ndarray], np.ndarray]:
    """One model on our own labelled rows: probabilities, flagged labels, then per label the gold and
    flagged arrays, and which comments got a label the gold says 0 (a false positive)."""
    probs, flagged = _flags(moderator, df["text"].tolist())
    gold = {label: df[label].astype(int).to_numpy() for label in moderator.labels}
    pred = {label: np.array([label in f for f in flagged]) for label in moderator.labels}
    wrong = np.array([any(gold[label][i] == 0 for label in f) for i, f in enumerate(flagged)])
    return probs, flagged, gold, pred, wrong


def own_test(moderator, path: Path, split: str = "test") -> dict | None:
    if not path.is_file():
        return None
    df = own_split(path, split)
    probs, flagged, gold, pred, false_flag = judged(moderator, df)
    out = {"rows": len(df), "labels": {}}
    for label in moderator.labels:
        y, p = gold[label], pred[label]
        out["labels"][label] = {
            "positives": int(y.sum()), "f1": round(float(f1_score(y, p)), 3),
            "precision": round(float(precision_score(y, p, zero_division=0)), 3),
            "recall": round(float(recall_score(y, p)), 3),
            "roc_auc": round(float(roc_auc_score(y, probs[:, moderator.labels.index(label)])), 3),
        }
    hard = df["category"].isin(HARD_NEGATIVES).to_numpy()
    out["hard_negatives"] = {"rows": int(hard.sum()), "false_positive_rate": round(float(false_flag[hard].mean()), 3)}
    # 95% intervals (moderation/training/intervals.py): each label's F1, then the hard-negative rate
    samples = intervals.bootstrap(lambda w: (*(intervals.weighted_f1(gold[l], pred[l], w) for l in moderator.labels),
                                             intervals.weighted_rate(false_flag[hard], w[hard])), len(df))
    for k, label in enumerate(moderator.labels):
        out["labels"][label]["f1_interval"] = intervals.interval(samples[:, k])
    out["hard_negatives"]["false_positive_rate_interval"] = intervals.interval(samples[:, -1])
    per_cat = {}
    for cat, idx in df.groupby("category").indices.items():
        per_cat[cat] = {"rows": len(idx), "false_flag_rate": round(float(false_flag[idx].mean()), 3),
                        "missed_rate": round(float(np.mean([any(df.loc[i, l] == 1 and l not in flagged[i]
                                                                    for l in moderator.labels) for i in idx])), 3)}
    out["categories"] = per_cat
    errors = []
    for i in range(len(df)):
        truth = [l for l in moderator.labels if gold[l][i] == 1]
        if set(truth) != set(flagged[i]):
            errors.append({"id": df.loc[i, "id"], "category": df.loc[i, "category"], "gold": truth,
                           "flagged": flagged[i], "text": df.loc[i, "text"]})
    out["errors"] = errors
    return out


def news_auc(moderator, data_dir: Path) -> dict:
    from profanity_check import predict_prob

    out = {}
    fox = load_fox(data_dir)
    sets = {
        "fox_news_comments (4 held-out threads)": fox[fox["split"] == "test"],
        "ucc_unhealthy_globe (hostile/antagonize vs healthy)": load_ucc(data_dir),
    }
    for name, df in sets.items():
        texts = df["text"].tolist()
        y = df["abusive"].astype(int).to_numpy()
        probs, flagged, decisions = _decisions(moderator, texts)
        ours = probs[:, moderator.labels.index("abusive")]
        peer = predict_prob(texts)
        # what a moderator sees at the shipped thresholds: the share of each class held for review
        # (a flagged label, or a quotation the policy holds: `hold_quoted`), and of it the share
        # rejected outright (never shown to a moderator)
        held = np.array([d != "allow" for d in decisions])
        rejected = np.array([d == "reject" for d in decisions])
        # the same weights for both in each round, so the difference's interval is paired
        samples = intervals.bootstrap(lambda w: (intervals.weighted_auc(y, ours, w), intervals.weighted_auc(y, peer, w)),
                                      len(df))
        out[name] = {"rows": len(df), "positives": int(y.sum()),
                     "ours_auc": round(float(roc_auc_score(y, ours)), 4),
                     "peer_auc": round(float(roc_auc_score(y, peer)), 4),
                     "ours_auc_interval": intervals.interval(samples[:, 0]),
                     "peer_auc_interval": intervals.interval(samples[:, 1]),
                     "difference_interval": intervals.interval(samples[:, 0] - samples[:, 1]),
                     "ours_flagged_negatives": round(float(held[y == 0].mean()), 4),
                     "ours_flagged_positives": round(float(held[y == 1].mean()), 4),
                     "ours_rejected_negatives": round(float(rejected[y == 0].mean()), 4),
                     "ours_rejected_positives": round(float(rejected[y == 1].mean()), 4),
                     "peer_flagged_negatives_at_0.5": round(float((peer[y == 0] >= 0.5).mean()), 4),
                     "peer_flagged_positives_at_0.5": round(float((peer[y == 1] >= 0.5).mean()), 4)}
    return out


def other_sets(moderator, data_dir: Path) -> dict:
    from profanity_check import predict_prob

    out = {}
    for name, df in {
        "tweeteval_offensive test (OLID)": load_olid(data_dir),
        "kaggle_insults_impermium test": load_kaggle_insults(data_dir),
        "jigsaw_robtest_balanced": load_jigsaw(data_dir),
    }.items():
        texts = df["text"].tolist()
        y = df["abusive"].astype(int).to_numpy()
        ours = moderator.predict_proba(texts)[:, moderator.labels.index("abusive")]
        out[name] = {"rows": len(df), "ours_auc": round(float(roc_auc_score(y, ours)), 4),
                     "peer_auc": round(float(roc_auc_score(y, predict_prob(texts))), 4)}
    spans = load_toxic_spans(data_dir, "test")
    _, flagged = _flags(moderator, spans["text"].tolist())
    peer = predict_prob(spans["text"].tolist())
    out["toxic_spans_civil tsd_test (all toxic: recall)"] = {
        "rows": len(spans), "ours_abusive_recall": round(float(np.mean(["abusive" in f for f in flagged])), 4),
        "peer_recall_at_0.5": round(float(np.mean(peer >= 0.5)), 4)}
    return out


def span_f1(predicted: set[int], gold: set[int]) -> float:
    """SemEval-2021 Task 5's score for one comment: F1 of its character offsets (1 when both are empty)."""
    if not gold or not predicted:
        return float(not gold and not predicted)
    hit = len(predicted & gold)
    return 2 * hit / (len(predicted) + len(gold))


_WORD = re.compile(r"\w+(?:['’]\w+)*")


def evidence_spans(moderator, data_dir: Path) -> dict:
    """Our evidence against the toxic character spans Civil Comments' raters marked (tsd_test).

    The evidence is what a moderator sees highlighted, so it should be the words
    that make a comment abusive. Scored as in SemEval-2021 Task 5 (character F1
    per comment, averaged over every comment). The peer gives no spans; its
    word-level reading (each word scored alone, >= 0.5 marked) is the usual
    baseline for a comment-level classifier and runs on the same comments.
    """
    from profanity_check import predict_prob

    df = load_toxic_spans(data_dir, "test")
    texts, golds = df["text"].tolist(), [set(s) for s in df["spans"]]
    ours = []
    for verdict in moderator.score(texts):
        marked: set[int] = set()
        for e in verdict.evidence:
            marked.update(range(e.start, e.end))
        ours.append(marked)
    words = [[m.span() for m in _WORD.finditer(t)] for t in texts]
    flat = [t[a:b] for t, ws in zip(texts, words) for a, b in ws]
    peer_probs = iter(predict_prob(flat) if flat else [])
    peer = [{i for a, b in ws if next(peer_probs) >= 0.5 for i in range(a, b)} for ws in words]

    def summary(pred: list[set[int]]) -> dict:
        scores = [span_f1(p, g) for p, g in zip(pred, golds)]
        with_gold = [f for f, g in zip(scores, golds) if g]
        return {"f1": round(float(np.mean(scores)), 4), "f1_comments_with_spans": round(float(np.mean(with_gold)), 4),
                "comments_marked": int(sum(bool(p) for p in pred))}

    return {"rows": len(texts), "with_spans": int(sum(bool(g) for g in golds)),
            "ours": summary(ours), "peer_words": summary(peer)}


def news_prose(moderator, data_dir: Path) -> dict | None:
    """BBC article sentences flagged, and the words most often given as evidence: news register false flags."""
    from profanity_check import predict_prob

    if not (data_dir / "bbc_news_text").is_dir():
        return None
    texts = load_bbc_sentences(data_dir)["text"].tolist()
    verdicts = moderator.score(texts)
    flagged = [(t, v) for t, v in zip(texts, verdicts) if v.labels]
    per_label = {label: round(sum(label in v.labels for _, v in flagged) / len(texts), 4) for label in moderator.labels}
    words = Counter(e.text.lower() for _, v in flagged for e in v.evidence if e.label in v.labels and " " not in e.text)
    return {"sentences": len(texts), "flagged": len(flagged), "flagged_rate": round(len(flagged) / len(texts), 4),
            "per_label": per_label, "peer_rate_at_0.5": round(float(np.mean(predict_prob(texts) >= 0.5)), 4),
            "evidence_words": words.most_common(15),
            "examples": [f"{'+'.join(v.labels)}: {t[:140]}" for t, v in flagged[:10]]}


def identity_bias(moderator, data_dir: Path) -> dict:
    df = load_toxigen(data_dir)
    df = df[(df["split"] == "test") & (df["hate"] == 0)]
    _, flagged = _flags(moderator, df["text"].tolist())
    df = df.assign(flagged=[bool(f) for f in flagged])
    rows = {g: {"statements": int(len(d)), "flagged_rate": round(float(d["flagged"].mean()), 3)}
            for g, d in df.groupby("group")}
    return {"groups": rows, "max_rate": max(r["flagged_rate"] for r in rows.values()),
            "flagged_texts": df.loc[df["flagged"], "text"].tolist()[:20]}


def obfuscated(moderator, path: Path) -> dict | None:
    if not path.is_file():
        return None
    df = pd.read_csv(path)
    rows = []
    for _, r in df.iterrows():
        v = moderator.check(r["text"])
        expected = set(str(r["expected_labels"]).split(";"))
        rows.append({"seed_comment": r["seed_comment"], "technique": r["technique"], "flagged": "+".join(v.labels),
                     "dehumanising": v.scores.get("dehumanising"), "ok": expected <= set(v.labels)})
    return {"rows": rows, "correct": sum(r["ok"] for r in rows), "total": len(rows)}


def speed(moderator, data_dir: Path) -> dict:
    from moderation.training import bench

    texts = bench.news_comments(data_dir)
    return {"throughput": bench.throughput(moderator, texts), "latency": bench.latency(moderator, texts),
            "load": bench.load_time(), "size": bench.model_size(moderator), "peer_import_seconds": bench.peer_load_time()}


def evaluate(moderator, data_dir: Path, repo: Path = Path("."), with_speed: bool = True,
             log: Callable[[str], None] = print) -> dict:
    results = {"model_version": moderator.version, "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "data": str(data_dir)}
    steps = [("seed_table", lambda: seed_table(moderator)),
             ("own_test", lambda: own_test(moderator, repo / OWN_SET)),
             *((_blind_key(n), partial(own_test, moderator, repo / path, split="blind"))
               for n, path in enumerate(BLIND_SETS, start=1)),
             ("obfuscated", lambda: obfuscated(moderator, repo / OBFUSCATED_SEED)),
             ("news_auc", lambda: news_auc(moderator, data_dir)),
             ("identity_bias", lambda: identity_bias(moderator, data_dir)),
             ("news_prose", lambda: news_prose(moderator, data_dir)),
             ("other_sets", lambda: other_sets(moderator, data_dir)),
             ("evidence_spans", lambda: evidence_spans(moderator, data_dir))]
    if with_speed:
        steps.append(("speed", lambda: speed(moderator, data_dir)))
    for name, fn in steps:
        log(f"evaluating: {name}")
        results[name] = fn()
    return results


def _blind_key(n: int) -> str:
    """`blind` for the first batch (its key since it was the only one), `blind_2` ... for the later ones."""
    return "blind" if n == 1 else f"blind_{n}"


def _blind_name(n: int) -> str:
    return "blind batch" if n == 1 else f"blind batch {n}"


_LATER = "more comments written the same way, after {}; what it has been used for since: data/README.md."
#: Each blind batch's section intro, after its row count: how it was written and why (one per BLIND_SETS entry;
#: data/README.md has what each has been used for). Only the first batch's errors are listed: they have been read.
_BLIND_INTRO = (
    "comments written to docs/labels.md by someone who had seen neither the model, its lexicon nor our other "
    "comments, and never used to choose anything (data/README.md): the test split above has been read while models "
    "were chosen; this batch's error list was read after the model `f2f6d334` had been chosen (data/README.md).",
    _LATER.format("the first batch's error list had been read"),
    _LATER.format("the second batch's figures had been used to choose"),
    _LATER.format("the third batch had decided a model"),
    _LATER.format("the fourth batch had decided a model"),
    _LATER.format("the fifth batch had been used twice to choose"),
    _LATER.format("the sixth batch had decided against a candidate"),
    _LATER.format("the seventh batch had decided against a candidate"),
    _LATER.format("the eighth batch had decided against a candidate"),
    _LATER.format("the ninth batch had decided against a candidate"),
    _LATER.format("the tenth batch had been used for a non-inferiority rule"),
    _LATER.format("the eleventh batch had been used for a non-inferiority rule"),
    _LATER.format("the twelfth batch had been used twice for a rule"),
    _LATER.format("the thirteenth batch had been kept unused while the worn batches were tried (rules L and L2)"),
)


def _mark(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def _between(bounds: list[float] | None, fmt: str, more: str = "") -> str:
    """A figure's 95% interval, as " (lo-hi)" after it (intervals.py); nothing for results without one."""
    if not bounds:
        return ""
    return f" ({format(bounds[0], fmt)}-{format(bounds[1], fmt)}{more})"


def _own_section(own: dict, title: str, intro: str, list_errors: bool = True) -> list[str]:
    L = [title, "", f"{intro} Hard negatives: {', '.join(HARD_NEGATIVES)} ({own['hard_negatives']['rows']} comments); "
         "a false positive is any label flagged that the gold says 0.", "",
         "| label | positives | F1 | precision | recall | ROC AUC |", "|---|---|---|---|---|---|"]
    for label, m in own["labels"].items():
        L.append(f"| {label} | {m['positives']} | {m['f1']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['roc_auc']:.3f} |")
    L += ["", "| category | comments | wrongly flagged | missed |", "|---|---|---|---|"]
    for cat, m in own["categories"].items():
        L.append(f"| {cat} | {m['rows']} | {m['false_flag_rate']:.1%} | {m['missed_rate']:.1%} |")
    if not list_errors:
        return L + ["", f"Errors: {len(own['errors'])}. Not listed here, so that reading this file does not unblind the batch; "
                    "`moderation evaluate --json` has them, to be read only after a model has been chosen (data/README.md).", ""]
    L += ["", f"Errors ({len(own['errors'])}):", ""]
    for e in own["errors"][:40]:
        L.append(f"- `{e['id']}` ({e['category']}) gold {'+'.join(e['gold']) or 'neither'}, flagged "
                 f"{'+'.join(e['flagged']) or 'neither'}: {e['text'][:160]}")
    if len(own["errors"]) > 40:
        L.append(f"- ... and {len(own['errors']) - 40} more (`moderation evaluate --json`)")
    return L + [""]


def render_markdown(r: dict, command: str) -> str:
    L = ["# Evaluation", "",
         f"Model `{r['model_version']}`, measured {r['date']} by `{command}` "
         f"(this file is generated; do not edit by hand). Data: `{r.get('data', '../shared/data')}` and `data/`; "
         "alt-profanity-check is scored on the same rows in the same run.", ""]
    L += ["## Targets", "",
          "In brackets after a figure: its 95% interval, from 1,000 Poisson bootstrap rounds over the comments "
          "(`moderation/training/intervals.py`; the same seed every run). For the news AUCs, the interval of ours, then "
          "ours minus the peer's with its own interval: both are scored on the same comments in each round, so the "
          "difference's interval is paired, and says whether the gap is beyond chance, which two overlapping intervals "
          "cannot. A target is marked met on the figure itself.", "",
          "| target | figure | met |", "|---|---|---|"]
    st = r["seed_table"]
    L.append(f"| seed table all correct | {st['correct']}/{st['total']} | {_mark(st['correct'] == st['total'])} |")
    own = r.get("own_test")
    parts = [(own, "own test split")] + [(r.get(_blind_key(n)), "own " + _blind_name(n))
                                         for n in range(1, len(BLIND_SETS) + 1)]
    for part, name in parts:
        if part:
            for label, m in part["labels"].items():
                L.append(f"| {name} F1 `{label}` >= 0.90 | {m['f1']:.3f}{_between(m.get('f1_interval'), '.3f')} "
                         f"| {_mark(m['f1'] >= 0.90)} |")
            hn = part["hard_negatives"]
            fpr = hn["false_positive_rate"]
            L.append(f"| {name} hard-negative FPR <= 5% | {fpr:.1%}{_between(hn.get('false_positive_rate_interval'), '.1%')} "
                     f"| {_mark(fpr <= 0.05)} |")
    for name, m in r["news_auc"].items():
        diff = m.get("difference_interval")
        paired = (f"; ours - peer {m['ours_auc'] - m['peer_auc']:+.3f}, {diff[0]:+.3f} to {diff[1]:+.3f}" if diff else "")
        L.append(f"| {name}: abusive ROC AUC >= 0.85 and > alt-profanity-check | {m['ours_auc']:.3f} vs {m['peer_auc']:.3f}"
                 f"{_between(m.get('ours_auc_interval'), '.3f', paired)} "
                 f"| {_mark(m['ours_auc'] >= 0.85 and m['ours_auc'] > m['peer_auc'])} |")
    ib = r["identity_bias"]
    L.append(f"| toxigen neutral statements flagged <= 5% for every group | max {ib['max_rate']:.1%} | {_mark(ib['max_rate'] <= 0.05)} |")
    ob = r.get("obfuscated")
    if ob:
        L.append(f"| obfuscated seed comments still flagged | {ob['correct']}/{ob['total']} | {_mark(ob['correct'] == ob['total'])} |")
    sp = r.get("speed")
    if sp:
        tp = sp["throughput"]
        L.append(f"| throughput >= 1.0x alt-profanity-check (probabilities, {tp['comments']:,} comments) | "
                 f"{tp['ratio_proba']:.3f}x ({tp['ours_proba_per_second']:,}/s vs {tp['peer_per_second']:,}/s) | {_mark(tp['ratio_proba'] >= 1.0)} |")
        L.append(f"| (full verdicts with evidence, same comments) | {tp['ratio_score']:.2f}x ({tp['ours_score_per_second']:,}/s) | "
                 f"{_mark(tp['ratio_score'] >= 1.0)} |")
        if "ratio_proba_cpu" in tp:
            L.append(f"| (the same two ratios in CPU seconds) | {tp['ratio_proba_cpu']:.3f}x, {tp['ratio_score_cpu']:.2f}x | "
                     f"{_mark(tp['ratio_proba_cpu'] >= 1.0)} |")
        lat = sp["latency"]
        L.append(f"| single-comment p99 latency <= 2 ms | {lat['p99_ms']:.2f} ms (p50 {lat['p50_ms']:.2f}; load average "
                 f"{lat.get('load_average_1min')} on {lat.get('cpus')} CPUs) | {_mark(lat['p99_ms'] <= 2.0)} |")
        if "best_of_3_p99_ms" in lat:
            L.append(f"| (same, each comment's best of 3 runs: the model's own cost without other processes' time slices) "
                     f"| {lat['best_of_3_p99_ms']:.2f} ms (p50 {lat['best_of_3_p50_ms']:.2f}) | {_mark(lat['best_of_3_p99_ms'] <= 2.0)} |")
        L.append(f"| model load <= 0.3 s | {sp['load']['load_seconds']:.3f} s (imports {sp['load']['import_seconds']:.3f} s) | "
                 f"{_mark(sp['load']['load_seconds'] <= 0.3)} |")
        L.append(f"| model file <= 25 MB | {sp['size']['megabytes']} MB | {_mark((sp['size']['megabytes'] or 0) <= 25)} |")
    L.append("")
    L += ["## Seed table (issue 2)", "", "Each comment's own text (quotes split off), scored by the shipped model.", "",
          "| comment | expected | flagged | dehumanising | abusive | evidence | ok |", "|---|---|---|---|---|---|---|"]
    for row in st["rows"]:
        L.append(f"| {row['comment']} | {row['expected']} | {row['flagged']} | {row['dehumanising']:.3f} | {row['abusive']:.3f} "
                 f"| {row['evidence']} | {_mark(row['ok'])} |")
    L.append("")
    if own:
        L += _own_section(own, "## Own labelled set, test split (`data/news_comments.csv`)",
                          f"{own['rows']} comments never used in training.")
    for n, (path, intro) in enumerate(zip(BLIND_SETS, _BLIND_INTRO, strict=True), start=1):
        part = r.get(_blind_key(n))
        if part:
            L += _own_section(part, f"## Own labelled set, {_blind_name(n)} (`{path.as_posix()}`)",
                              f"{part['rows']} {intro}", list_errors=n == 1)
    L += ["## Held-out news comments: `abusive` ROC AUC", "", "| data | rows | positives | ours | alt-profanity-check |",
          "|---|---|---|---|---|"]
    for name, m in r["news_auc"].items():
        L.append(f"| {name} | {m['rows']} | {m['positives']} | {m['ours_auc']:.4f} | {m['peer_auc']:.4f} |")
    L += ["", "Held for a moderator (any label flagged at the shipped `hold` thresholds, or a quotation held by "
          "`hold_quoted`; alt-profanity-check at 0.5): "
          "the share of the civil comments a moderator must clear, and of the hostile ones caught; and the share "
          "the shipped `reject` thresholds reject outright, which no moderator sees.", "",
          "| data | civil comments held: ours | alt-profanity-check | hostile comments held: ours | alt-profanity-check "
          "| civil / hostile comments rejected: ours |",
          "|---|---|---|---|---|---|"]
    for name, m in r["news_auc"].items():
        L.append(f"| {name} | {m['ours_flagged_negatives']:.1%} | {m['peer_flagged_negatives_at_0.5']:.1%} | "
                 f"{m['ours_flagged_positives']:.1%} | {m['peer_flagged_positives_at_0.5']:.1%} | "
                 f"{m['ours_rejected_negatives']:.1%} / {m['ours_rejected_positives']:.1%} |")
    L += ["", "## Identity-term bias: toxigen neutral statements flagged (held-out half)", "",
          "| group | statements | flagged |", "|---|---|---|"]
    for g, m in ib["groups"].items():
        L.append(f"| {g} | {m['statements']} | {m['flagged_rate']:.1%} |")
    if ib["flagged_texts"]:
        L += ["", "Flagged neutral statements:", ""] + [f"- {t}" for t in ib["flagged_texts"]]
    L.append("")
    if ob:
        L += ["## Obfuscated seed comments (`data/obfuscated_seed.csv`)", "", "| comment | technique | flagged | dehumanising | ok |",
              "|---|---|---|---|---|"]
        for row in ob["rows"]:
            L.append(f"| {row['seed_comment']} | {row['technique']} | {row['flagged']} | {row['dehumanising']:.3f} | {_mark(row['ok'])} |")
        L.append("")
    npr = r.get("news_prose")
    if npr:
        L += ["## News prose flagged (BBC article sentences; evaluation only)", "",
              f"{npr['sentences']:,} sentences of BBC News articles (2004-05), none of them abuse: the words readers quote "
              "and write in. Not a target: a word the model has learnt as abuse shows up here first.", "",
              "| flagged (any label) | dehumanising | abusive | alt-profanity-check >= 0.5 |", "|---|---|---|---|",
              f"| {npr['flagged']} ({npr['flagged_rate']:.2%}) | {npr['per_label'].get('dehumanising', 0):.2%} | "
              f"{npr['per_label'].get('abusive', 0):.2%} | {npr['peer_rate_at_0.5']:.2%} |", "",
              "Words most often given as evidence: " + ", ".join(f"{w} ({n})" for w, n in npr["evidence_words"]) + ".", ""]
        L += [f"- {e}" for e in npr["examples"]] + [""]
    L += ["## Other public sets (evaluation only: never trained on)", "", "| data | rows | ours | alt-profanity-check |",
          "|---|---|---|---|"]
    for name, m in r["other_sets"].items():
        if "ours_auc" in m:
            L.append(f"| {name} (ROC AUC) | {m['rows']} | {m['ours_auc']:.4f} | {m['peer_auc']:.4f} |")
        else:
            L.append(f"| {name} | {m['rows']} | {m['ours_abusive_recall']:.4f} | {m['peer_recall_at_0.5']:.4f} |")
    L.append("")
    ev = r.get("evidence_spans")
    if ev:
        o, p = ev["ours"], ev["peer_words"]
        L += ["## Evidence against the raters' toxic spans (toxic_spans_civil tsd_test; evaluation only)", "",
              f"{ev['rows']:,} Civil Comments comments rated toxic, {ev['with_spans']:,} of them with the characters "
              "that make them toxic marked by the raters. Our evidence (every flagged label's spans, as a moderator "
              "sees them highlighted) scored as in SemEval-2021 Task 5: character F1 per comment, averaged over all "
              "comments (a comment with no marked characters scores 1 only if nothing is marked). alt-profanity-check "
              "gives no spans: its baseline scores each word alone and marks those >= 0.5. Not a target.", "",
              "| | character F1 (all comments) | F1 (comments with spans) | comments with anything marked |",
              "|---|---|---|---|",
              f"| ours (evidence) | {o['f1']:.4f} | {o['f1_comments_with_spans']:.4f} | {o['comments_marked']:,} |",
              f"| alt-profanity-check, word by word | {p['f1']:.4f} | {p['f1_comments_with_spans']:.4f} | "
              f"{p['comments_marked']:,} |", ""]
    if sp:
        L += ["## Speed (same process, same comments)", "", "```json", json.dumps(sp, indent=2), "```", "",
              "Throughput: the same 20,000 news-site comments (Civil Comments, Globe and Mail, Fox News), after one warm-up, "
              "timed in turns (theirs, our probabilities, our verdicts) for 5 rounds, each keeping its fastest round "
              "(wall-clock and CPU seconds); `ratio_proba` compares probabilities with probabilities (alt-profanity-check's "
              "`predict_prob` against our `predict_proba`), `ratio_score` our full `score()` (verdicts, policy decisions "
              "and evidence spans for flagged comments). Latency: `Moderator.check()` on 2,000 single comments, once "
              "(p50/p99 as measured) and twice more keeping each comment's fastest time (best-of-3: on a machine shared "
              "with other jobs, a comment that loses its time slice waits a whole scheduler quantum). "
              "Load: fresh processes, `load_model()` after imports. Standalone: `python benchmarks/compare_peers.py`.", ""]
    return "\n".join(L) + "\n"
