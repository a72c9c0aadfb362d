"""The training path on a tiny model (no full retraining here), and the data loaders."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from moderation.model import load_model
from moderation.training.data import BLIND_SETS, DATASETS, TRAIN_SETS, fox_heldout, load_fox, load_toxic_spans, load_toxigen
from moderation.training.synthetic import synthetic_examples
from moderation.training.train import LABELS, TrainConfig, _threshold, fit


@pytest.fixture(scope="module")
def tiny_data() -> pd.DataFrame:
    df = synthetic_examples(n_per_template=3, seed=1)
    extra = pd.DataFrame({
        "text": ["you are a complete idiot", "what a lovely article, thanks", "shut up you moron",
                 "the council meets on tuesday", "nobody asked you, loser", "great photos of the coast"] * 5,
        "abusive": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0] * 5, "dehumanising": [0.0] * 30, "source": "tiny", "file": "-"})
    extra["text"] = [f"{t} ({i})" for i, t in enumerate(extra["text"])]
    return pd.concat([df, extra], ignore_index=True)


def _fit(data, tmp_path=None):
    config = TrainConfig(data_dir=tmp_path or ".", min_df=1, validation_fraction=0.3, seed=3)
    return fit(data, [{"name": "tiny", "licence": "MIT", "files": [], "rows": len(data)}], config, log=lambda m: None)


def test_a_tiny_model_trains_saves_loads_and_scores(tiny_data, tmp_path):
    model, card = _fit(tiny_data)
    assert model.labels == list(LABELS)
    for label in LABELS:
        t = card["thresholds"][label]
        assert 0 < t["hold"] < t["reject"] < 1
        assert card["metrics"]["validation"][label]["validation_rows"] > 0
    card["version"] = "tiny-test"
    model.save(tmp_path, card)
    loaded = load_model(tmp_path)
    assert loaded.version == "tiny-test"
    texts = ["they are vermin and should be exterminated", "what a lovely day by the sea"]
    assert np.allclose(loaded.predict_proba(texts), model.predict_proba(texts), atol=1e-6)
    p = loaded.predict_proba(texts)
    assert p[0, 0] > p[1, 0]  # dehumanising ranks the metaphor first


def test_training_is_reproducible(tiny_data):
    a, _ = _fit(tiny_data)
    b, _ = _fit(tiny_data)
    assert np.array_equal(a.coef, b.coef)
    assert a.card["thresholds"] == b.card["thresholds"]


def _with_own_rows(tiny_data: pd.DataFrame) -> pd.DataFrame:
    own = pd.DataFrame({
        "text": [f"{t} number {i}" for i, t in enumerate(["you absolute idiot", "thanks for the report",
                                                            "those vermin should be wiped out", "the bus was late"] * 15)],
        "abusive": [1.0, 0.0, 1.0, 0.0] * 15, "dehumanising": [0.0, 0.0, 1.0, 0.0] * 15,
        "source": "news_comments", "file": "-", "id": [f"nc{i:04d}" for i in range(60)],
        "calibration": [i % 3 == 0 for i in range(60)]})
    return pd.concat([tiny_data, own], ignore_index=True)


def test_cross_fitted_calibration_fits_and_calibrates_on_all_of_our_own_rows(tiny_data):
    data = _with_own_rows(tiny_data)
    used = [{"name": "tiny", "licence": "MIT", "files": [], "rows": len(data)}]
    held, held_card = fit(data, used, TrainConfig(data_dir=".", min_df=1, validation_fraction=0.3, seed=3), log=lambda m: None)
    cross, card = fit(data, used, TrainConfig(data_dir=".", min_df=1, validation_fraction=0.3, seed=3,
                                              calibration="cross_fitted"), log=lambda m: None)
    assert held_card["validation"]["calibration_rows"] == 20  # the flagged third, never fitted on
    assert card["validation"]["calibration"] == "cross_fitted"
    assert card["validation"]["calibration_rows"] == 60  # every own row, out of fold
    assert card["training_rows"] > held_card["training_rows"]  # ... and every own row is fitted on
    assert not np.array_equal(held.coef, cross.coef)
    for label in LABELS:
        assert card["metrics"]["validation"][label]["calibration_set"]["calibration_rows"] == 60
    with pytest.raises(ValueError, match="calibration must be"):
        fit(data, used, TrainConfig(data_dir=".", calibration="both"), log=lambda m: None)


def test_reject_precision_is_taken_at_a_news_threads_share_of_abuse():
    # Half the rows abusive: 50 positives from 0.55 up, 50 negatives with one at 0.90.
    pos = np.linspace(0.55, 0.99, 50)
    neg = np.r_[np.linspace(0.05, 0.60, 49), 0.90]
    p, y, w = np.r_[pos, neg], np.r_[np.ones(50), np.zeros(50)], np.ones(100)
    raw = _threshold(p, y, w, 0.97, (0.5, 0.97))
    at_share = _threshold(p, y, w, 0.97, (0.5, 0.97), prevalence=0.5)
    at_news = _threshold(p, y, w, 0.97, (0.5, 0.97), prevalence=0.1)
    assert raw == at_share == 0.61  # the rows' own share gives the plain precision
    # At 10% abusive one false positive in 50 negatives costs more than 3% precision,
    # so the threshold must pass the negative at 0.90.
    assert at_news == 0.91
    assert _threshold(p, y, w, 0.97, (0.5, 0.97), prevalence=0.3) <= at_news


def test_the_card_states_the_prevalence_its_reject_threshold_assumes(tiny_data):
    _, card = _fit(tiny_data)
    assert "at a prevalence of 10%" in card["threshold_rule"]["reject"]


def test_only_redistributable_sets_train_the_shipped_model():
    assert set(TRAIN_SETS) == {"davidson", "toxigen", "gab_hate_corpus", "implicit_hate_latent_hatred",
                               "stormfront_degibert", "toxic_spans_civil", "wiki_talk_context_cat", "fox_news_comments"}
    for name in ("ucc_unhealthy_globe", "tweeteval_offensive", "kaggle_insults_impermium", "jigsaw_robtest_balanced",
                 "bbc_news_text"):
        assert not DATASETS[name].trainable


def test_an_evaluation_only_set_is_refused_for_training(tmp_path):
    from moderation.training.train import assemble

    with pytest.raises(ValueError, match="licence"):
        assemble(TrainConfig(data_dir=tmp_path, sources=["ucc_unhealthy_globe"], synthetic=False))


def test_synthetic_templates_are_seeded_and_never_copy_the_seed_page():
    from moderation.training.seed_table import SEED_TABLE

    a, b = synthetic_examples(), synthetic_examples()
    assert a["text"].tolist() == b["text"].tolist()
    assert set(a["dehumanising"]) == {0.0, 1.0}
    seed_text = " ".join(t.lower() for _, t, _ in SEED_TABLE)
    assert not any(t.lower() in seed_text for t in a["text"])


@pytest.mark.data
def test_fox_threads_are_split_by_article(shared_data):
    fox = load_fox(shared_data)
    assert len(fox) == 1528
    per_thread = fox.groupby("thread")["split"].nunique()
    assert (per_thread == 1).all()  # a thread is wholly train or wholly test
    assert 0.2 < (fox["split"] == "test").mean() < 0.6
    assert all(fox_heldout(t) == (s == "test") for t, s in zip(fox["thread"], fox["split"]))


def test_civil_comments_negatives_are_clean_sentences_and_remnants(tmp_path):
    # the remnant is the comment without its toxic sentence: as long as a comment, so long
    # comments are not learnt as abusive for their length (data.load_toxic_spans)
    d = tmp_path / "toxic_spans_civil"
    d.mkdir()
    text = "The council voted again on the new bridge today. You are an idiot. It will cost far more than they said."
    start = text.index("idiot")
    spans = list(range(start, start + 5))
    (d / "SemEval2021_data_tsd_train.csv").write_text(pd.DataFrame({"spans": [str(spans)], "text": [text]}).to_csv(index=False))
    only = load_toxic_spans(tmp_path)
    assert only["abusive"].tolist() == [1]
    both = load_toxic_spans(tmp_path, clean_sentences=True, clean_remnants=True)
    clean = both[both["source"] == "toxic_spans_civil_clean"]
    assert (clean["abusive"] == 0).all()
    assert clean["text"].tolist() == [
        "The council voted again on the new bridge today.", "It will cost far more than they said.",
        "The council voted again on the new bridge today. It will cost far more than they said."]
    remnants = load_toxic_spans(tmp_path, clean_remnants=True)
    assert remnants.loc[remnants["source"] == "toxic_spans_civil_clean", "text"].tolist() == clean["text"].tolist()[2:]


@pytest.mark.data
def test_bbc_sentences_are_unique_news_prose_labelled_neither(shared_data):
    from moderation.training.data import load_bbc_sentences

    bbc = load_bbc_sentences(shared_data)
    assert 20_000 < len(bbc) < 40_000 and bbc["text"].is_unique
    assert bbc["text"].str.len().between(30, 400).all()
    assert (bbc["abusive"] == 0).all() and (bbc["dehumanising"] == 0).all()
    assert not bbc["text"].str.contains(r"[a-z]\. [a-z]").any()  # cut at every sentence end


@pytest.mark.data
def test_toxigen_loader_dedupes_statements_and_holds_half_out(shared_data):
    tg = load_toxigen(shared_data)
    assert tg["text"].is_unique or tg.duplicated(["text", "group"]).sum() == 0
    assert 600 < len(tg) < 800
    assert tg["group"].nunique() >= 13
    assert set(tg["split"]) == {"train", "test"}
    neutral = tg[tg["hate"] == 0]
    assert (neutral["abusive"] == 0).all() and (neutral["dehumanising"] == 0).all()


def test_train_and_evaluate_commands_explain_a_missing_data_directory(tmp_path):
    from click.testing import CliRunner

    from moderation.cli import main

    runner = CliRunner()
    for cmd in (["train", "--data", str(tmp_path / "nope"), "--output", str(tmp_path / "m")],
                ["evaluate", "--data", str(tmp_path / "nope"), "--output", str(tmp_path / "e.md")]):
        result = runner.invoke(main, cmd)
        assert result.exit_code == 1
        assert "data directory not found" in result.output
    assert not (tmp_path / "m").exists()
    help_text = runner.invoke(main, ["train", "--help"]).output
    assert "--data" in help_text and "--output" in help_text


@pytest.mark.data
def test_evaluate_writes_every_target(shared_data, tmp_path):
    from click.testing import CliRunner

    from moderation.cli import main

    out = tmp_path / "evaluation.md"
    result = CliRunner().invoke(main, ["evaluate", "--data", str(shared_data), "--output", str(out), "--no-speed"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    for needle in ("seed table all correct | 9/9 | yes", "own test split F1 `dehumanising`",
                   "hard-negative FPR", "ucc_unhealthy_globe", "fox_news_comments", "toxigen neutral statements",
                   "obfuscated seed comments still flagged", "News prose flagged (BBC article sentences",
                   "civil comments held: ours", "civil / hostile comments rejected: ours",
                   "Evidence against the raters' toxic spans", "| ours (evidence) |",
                   f"Data: `{shared_data}` and `data/`"):  # the directory measured, not a fixed name
        assert needle in text, needle
    # each F1, hard-negative rate and news AUC comes with its 95% interval, the AUCs with ours - peer's
    assert re.search(r"own test split F1 `dehumanising` >= 0.90 \| 0\.\d{3} \(0\.\d{3}-[01]\.\d{3}\)", text)
    assert re.search(r"own test split hard-negative FPR <= 5% \| \d+\.\d% \(\d+\.\d%-\d+\.\d%\)", text)
    assert re.search(r"fox_news_comments \(4 held-out threads\): .* \| 0\.\d{3} vs 0\.\d{3} \(0\.\d{3}-0\.\d{3}; "
                     r"ours - peer [+-]0\.\d{3}, [+-]0\.\d{3} to [+-]0\.\d{3}\)", text)
    # every blind batch gets its three targets and its section
    names = ["blind batch"] + [f"blind batch {n}" for n in range(2, len(BLIND_SETS) + 1)]
    for name in names:
        for needle in (f"own {name} F1 `dehumanising`", f"own {name} F1 `abusive`", f"own {name} hard-negative FPR",
                       f"Own labelled set, {name} ("):
            assert needle in text, needle
    # the later blind batches' comments are not listed, so reading the report does not unblind them
    for n in range(2, len(BLIND_SETS) + 1):
        part = text.split(f"Own labelled set, blind batch {n}")[1].split("## ")[0]
        assert "Errors: " in part and f"- `nb{n - 1}" not in part


def test_throughput_times_both_models_in_turns_and_reports_wall_and_cpu(moderator):
    from moderation.training import bench

    texts = ["You are vermin.", "Thanks for the article.", "What a f*cking idiot."] * 20
    tp = bench.throughput(moderator, texts, repeat=2)
    assert tp["comments"] == 60 and tp["rounds"] == 2
    assert set(tp["cpu_seconds"]) == {"peer", "ours_proba", "ours_score"}
    assert all(v > 0 for v in tp["cpu_seconds"].values())
    assert tp["ratio_proba"] > 0 and tp["ratio_score"] > 0 and tp["ratio_proba_cpu"] > 0 and tp["ratio_score_cpu"] > 0
    # verdicts cost more than probabilities alone, whichever clock
    assert tp["ratio_score_cpu"] <= tp["ratio_proba_cpu"] * 1.5


def test_evaluated_decisions_are_the_ones_check_gives(moderator):
    """evaluate's held/rejected shares must describe what a site sees: one word is held, never rejected."""
    from moderation.training.evaluate import _decisions

    texts = ["Typical", "Typical. Liars, the lot of you.", "Nonsense", "What a lovely garden"]
    probs, flagged, decisions = _decisions(moderator, texts)
    verdicts = [moderator.check(t) for t in texts]
    assert decisions == [v.decision for v in verdicts] == ["hold", "reject", "hold", "allow"]
    assert flagged == [v.labels for v in verdicts]
    assert probs[0, moderator.labels.index("abusive")] >= moderator.policy.thresholds["abusive"]["reject"]


def test_span_f1_is_semeval_2021_task_5s_per_comment_score():
    from moderation.training.evaluate import span_f1

    assert span_f1(set(), set()) == 1.0  # nothing toxic, nothing marked
    assert span_f1({1, 2}, set()) == 0.0 and span_f1(set(), {1, 2}) == 0.0
    assert span_f1({1, 2, 3, 4}, {3, 4, 5, 6}) == 0.5  # precision 1/2, recall 1/2
    assert span_f1({3, 4}, {3, 4, 5, 6, 7, 8}) == 0.5  # precision 1, recall 1/3


def test_evidence_is_scored_against_the_raters_spans(shared_data, moderator):
    from moderation.training.evaluate import evidence_spans

    r = evidence_spans(moderator, shared_data)
    assert r["rows"] == 2000 and 0 < r["with_spans"] < r["rows"]
    for side in ("ours", "peer_words"):
        assert 0.3 < r[side]["f1"] < 0.9 and 0 < r[side]["comments_marked"] <= r["rows"]
