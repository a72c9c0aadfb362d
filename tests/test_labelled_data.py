"""The project's own labelled news-style comments (data/news_comments.csv) and the
obfuscated rewrites of the seed page's dehumanising comments (data/obfuscated_seed.csv).

The model's in-domain F1 and hard-negative false-positive rate are measured on the
test split of news_comments.csv, so a label error or a train/test leak here silently
corrupts the headline figures: these tests guard the files' contract.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter
from itertools import product
from pathlib import Path

import pytest

from moderation.training.data import BLIND_SETS

DATA = Path(__file__).resolve().parent.parent / "data"
NEWS = DATA / "news_comments.csv"
OBFUSCATED = DATA / "obfuscated_seed.csv"

COLUMNS = ["id", "text", "dehumanising", "abusive", "category", "split"]
SPLIT_KEY = "moderation-news-comments-v1"  # documented in data/README.md
TRAIN_SHARE = 0.6
# Rows after this id were added as train-only rows once the test split had been measured
# (data/README.md, "Train-only additions"): they are all train and take no part in the hash split,
# so adding them never moves a test row.
LAST_HASH_SPLIT_ID = 1014


def _hash_split(row: dict[str, str]) -> bool:
    return int(row["id"][2:]) <= LAST_HASH_SPLIT_ID

# category -> minimum rows, fixed dehumanising label, fixed abusive label (None = either)
CATEGORIES: dict[str, tuple[int, int, int | None]] = {
    "dehumanising": (150, 1, 1),
    "abusive_insult": (100, 0, 1),
    "literal_animal": (25, 0, 0),
    "counter_speech": (25, 0, 0),
    "negation": (25, 0, 0),
    "reporting": (25, 0, 0),
    "figurative_praise": (25, 0, 0),
    "untargeted_profanity": (25, 0, 0),
    "neutral_identity": (25, 0, 0),
    "neutral": (25, 0, 0),
}
HARD_NEGATIVES = [c for c, (_, d, _) in CATEGORIES.items() if d == 0 and c != "abusive_insult"]

SEED_COMMENTS = {"1", "1.1", "1.2", "5"}
TECHNIQUES_REQUIRED = {"leetspeak", "masked", "spaced", "swap", "repeated", "homoglyph", "mixed"}
# The dehumanising word(s) each seed comment is flagged for, in plain spelling.
SEED_KEYWORDS = {"1": ["orcs", "scum"], "1.1": ["pig"], "1.2": ["orcs"], "5": ["cockroaches"]}


# The dehumanising metaphor families of docs/labels.md, as word patterns. Used to check
# the positives cover every family in both splits, and that the "hard" negatives really
# carry the words that fool a lexicon-driven model.
METAPHOR_FAMILIES = {
    "vermin": r"\b(?:rats?|ratty|vermine?|cockroach\w*|roach\w*|mice|mouse|rodents?|pests?|fumigate|infest\w*)\b",
    "insects": r"\b(?:locusts?|lice|fleas?|termites?|maggots?|flies|insects?|swarm\w*|ants?|anthill|hive|bugs?|blowflies|wasps?|woodworm)\b",
    "animals": r"\b(?:pigs?|swine|hogs?|apes?|monkeys?|baboons?|dogs?|mongrels?|hyenas?|jackals?|cattle|livestock|feral|rabid|animals?|beasts?|coyotes?|vipers?|snakes?|worms?|slug|reptile|vultures?|litter|hamsters?|rabbits?|cats?|creatures?|nest)\b",
    "parasites": r"\b(?:parasites?|leech\w*|ticks?|blood ?suck\w*|vampires?|bottom-feeders)\b",
    "disease": r"\b(?:plague|virus|cancer|disease|pestilence|mould\w*|mildew|rot|bacteria|contagion|infect\w*)\b",
    "filth": r"\b(?:filth\w*|scum|sewage|dirt|trash|muck)\b",
    "monsters": r"\b(?:orcs?|sub-?humans?|savages?|demons?|ghouls?|zombies?|troglodyte|gremlins?|monsters?|harpies|ogres?)\b",
    "breeding": r"\b(?:breed\w*|multipl\w*)\b",
    "extermination": r"\b(?:exterminat\w*|slaughter\w*|wipe[ds]?|purge[ds]?|cleanse[ds]?|eradicat\w*|cull|gassed|nuke|put (?:\w+ )?down)\b",
}
ANY_METAPHOR = re.compile("|".join(METAPHOR_FAMILIES.values()), re.IGNORECASE)


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def news() -> list[dict[str, str]]:
    header, rows = _read(NEWS)
    assert header == COLUMNS, f"{NEWS}: columns {header}, expected {COLUMNS}"
    return rows


@pytest.fixture(scope="module")
def obfuscated() -> list[dict[str, str]]:
    header, rows = _read(OBFUSCATED)
    assert header == ["seed_comment", "technique", "text", "expected_labels"]
    return rows


def _tokens(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9']+", text.lower()))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


# ---- news_comments.csv ---------------------------------------------------------


def test_news_schema_and_values(news):
    assert len(news) >= 600
    for line, row in enumerate(news, start=2):
        where = f"{NEWS.name}:{line}"
        assert re.fullmatch(r"nc\d{4}", row["id"]), where
        assert row["text"] == row["text"].strip() and row["text"], where
        assert "\n" not in row["text"], where
        assert row["dehumanising"] in {"0", "1"}, where
        assert row["abusive"] in {"0", "1"}, where
        assert row["category"] in CATEGORIES, f"{where}: unknown category {row['category']!r}"
        assert row["split"] in {"train", "test"}, where


def test_ids_and_texts_unique(news):
    ids = Counter(r["id"] for r in news)
    assert [i for i, n in ids.items() if n > 1] == []
    texts = Counter(" ".join(r["text"].lower().split()) for r in news)
    assert [t for t, n in texts.items() if n > 1] == []


def test_dehumanising_implies_abusive(news):
    bad = [r["id"] for r in news if r["dehumanising"] == "1" and r["abusive"] != "1"]
    assert bad == []


def test_labels_follow_category(news):
    for row in news:
        _, dehum, abusive = CATEGORIES[row["category"]]
        assert int(row["dehumanising"]) == dehum, (row["id"], row["category"], row["text"])
        if abusive is not None:
            assert int(row["abusive"]) == abusive, (row["id"], row["category"], row["text"])


def test_minimum_counts(news):
    counts = Counter(r["category"] for r in news)
    for category, (minimum, _, _) in CATEGORIES.items():
        assert counts[category] >= minimum, f"{category}: {counts[category]} < {minimum}"
    hard = sum(counts[c] for c in HARD_NEGATIVES)
    assert hard >= 250, f"hard negatives: {hard} < 250"


def test_both_splits_for_every_category(news):
    counts = Counter((r["category"], r["split"]) for r in news)
    for category in CATEGORIES:
        assert counts[(category, "train")] > 0 and counts[(category, "test")] > 0, category


def test_split_is_the_documented_stratified_hash_split(news):
    """Within each category the rows up to LAST_HASH_SPLIT_ID are ordered by
    sha256(SPLIT_KEY:id); the first round(0.6 n) are train. Recomputing it catches
    hand edits that leak rows."""
    by_category: dict[str, list[dict[str, str]]] = {}
    for row in news:
        if _hash_split(row):
            by_category.setdefault(row["category"], []).append(row)
    for category, rows in by_category.items():
        ordered = sorted(rows, key=lambda r: hashlib.sha256(f"{SPLIT_KEY}:{r['id']}".encode()).hexdigest())
        k = round(TRAIN_SHARE * len(rows))
        expected = {r["id"]: ("train" if i < k else "test") for i, r in enumerate(ordered)}
        wrong = [r["id"] for r in rows if r["split"] != expected[r["id"]]]
        assert wrong == [], f"{category}: rows not in their documented split: {wrong}"


def test_no_text_shared_between_splits(news):
    train = {" ".join(r["text"].lower().split()) for r in news if r["split"] == "train"}
    test = {" ".join(r["text"].lower().split()) for r in news if r["split"] == "test"}
    assert train & test == set()


def test_no_near_duplicates_across_splits(news):
    train = [(r["id"], _tokens(r["text"])) for r in news if r["split"] == "train"]
    test = [(r["id"], _tokens(r["text"])) for r in news if r["split"] == "test"]
    near = [
        (a, b, round(_jaccard(ta, tb), 2))
        for (a, ta), (b, tb) in product(train, test)
        if _jaccard(ta, tb) >= 0.8
    ]
    assert near == []


def test_jaccard_helper_detects_one_word_swap():
    # The near-duplicate test above is only worth something if this catches the
    # classic leak: the same sentence with one word swapped.
    a = _tokens("Migrants are not cockroaches, they are people with families like you and me.")
    b = _tokens("Refugees are not cockroaches, they are people with families like you and me.")
    assert _jaccard(a, b) >= 0.8


def test_length_varies(news):
    # Comments of 1 to 6 sentences: short and long ones must both be present in each split.
    for split in ("train", "test"):
        lengths = [len(r["text"].split()) for r in news if r["split"] == split]
        assert min(lengths) <= 4 and max(lengths) >= 30, split


def test_later_additions_are_train_only(news):
    """Rows added after the test split was measured must not change it: all train."""
    later = [r for r in news if not _hash_split(r)]
    assert [r["id"] for r in later if r["split"] != "train"] == []


def test_split_share_is_about_60_40(news):
    hashed = [r for r in news if _hash_split(r)]
    train = sum(r["split"] == "train" for r in hashed)
    assert 0.57 <= train / len(hashed) <= 0.63


def test_dehumanising_rows_cover_every_metaphor_family_in_both_splits(news):
    for split in ("train", "test"):
        texts = [r["text"] for r in news if r["category"] == "dehumanising" and r["split"] == split]
        for family, pattern in METAPHOR_FAMILIES.items():
            hits = sum(bool(re.search(pattern, t, re.IGNORECASE)) for t in texts)
            assert hits >= 3, f"{split}: only {hits} dehumanising comments in the {family!r} family"


@pytest.mark.parametrize(
    "category, share", [("counter_speech", 0.85), ("negation", 0.85), ("reporting", 0.85), ("literal_animal", 0.6)]
)
def test_hard_negatives_carry_the_trap_words(news, category, share):
    """A counter-speech, negation, reporting or literal-animal comment that mentions no
    dehumanising word is an easy negative; most of each category must be hard."""
    texts = [r["text"] for r in news if r["category"] == category]
    hard = sum(bool(ANY_METAPHOR.search(t)) for t in texts)
    assert hard / len(texts) >= share, f"{category}: {hard}/{len(texts)} carry a dehumanising word"


# ---- obfuscated_seed.csv -------------------------------------------------------


def test_obfuscated_well_formed(obfuscated):
    assert len(obfuscated) >= 24
    for line, row in enumerate(obfuscated, start=2):
        where = f"{OBFUSCATED.name}:{line}"
        assert row["seed_comment"] in SEED_COMMENTS, where
        assert row["text"].strip(), where
        labels = row["expected_labels"].split(";")
        assert set(labels) <= {"dehumanising", "abusive"}, where
        assert "dehumanising" in labels and "abusive" in labels, where
    texts = [r["text"] for r in obfuscated]
    assert len(set(texts)) == len(texts)


def test_obfuscated_covers_every_comment_and_technique(obfuscated):
    pairs = {(r["seed_comment"], r["technique"]) for r in obfuscated}
    for comment, technique in product(SEED_COMMENTS, TECHNIQUES_REQUIRED):
        assert (comment, technique) in pairs, (comment, technique)


def test_obfuscated_texts_really_hide_the_keyword(obfuscated):
    """Each rewrite must not contain its seed keyword in plain spelling (else it tests
    nothing), and every homoglyph rewrite must contain a non-ASCII letter."""
    for row in obfuscated:
        plain = row["text"].lower()
        hidden = [k for k in SEED_KEYWORDS[row["seed_comment"]] if not re.search(rf"\b{k}\b", plain)]
        assert hidden, (row["seed_comment"], row["technique"], row["text"])
        if row["technique"] == "homoglyph":
            assert any(ord(ch) > 127 and unicodedata.category(ch).startswith("L") for ch in row["text"])


# ---- blind_comments.csv ---------------------------------------------------------

# the batches make evaluate reports, in the order they were written
BLINDS = [DATA.parent / path for path in BLIND_SETS]


def _six_grams(text: str) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower())
    return {" ".join(words[i:i + 6]) for i in range(len(words) - 5)}


@pytest.fixture(scope="module", params=BLINDS, ids=lambda p: p.name)
def blind(request) -> list[dict[str, str]]:
    header, rows = _read(request.param)
    assert header == COLUMNS, f"{request.param}: columns {header}, expected {COLUMNS}"
    return rows


def test_blind_batch_schema_labels_and_categories(blind):
    assert len(blind) >= 200  # the twelfth lost 73 of 280 to decontamination (data/README.md)
    for line, row in enumerate(blind, start=2):
        where = f"{row['id']} (line {line})"
        assert re.fullmatch(r"nb\d{4}", row["id"]), where
        assert row["split"] == "blind", where
        assert row["text"] == row["text"].strip() and row["text"] and "\n" not in row["text"], where
        _, dehum, abusive = CATEGORIES[row["category"]]
        assert int(row["dehumanising"]) == dehum, where
        if abusive is not None:
            assert int(row["abusive"]) == abusive, where
    assert {r["category"] for r in blind} == set(CATEGORIES)
    assert len({r["id"] for r in blind}) == len({r["text"] for r in blind}) == len(blind)


def test_blind_batch_shares_no_six_words_with_our_other_comments(blind, news):
    """The documented decontamination (data/README.md): a blind comment that shares a 6-word sequence with a
    comment we train or test on measures memory, not generalisation, and was taken out."""
    ours = set().union(*(_six_grams(r["text"]) for r in news))
    assert [r["id"] for r in blind if _six_grams(r["text"]) & ours] == []


def test_blind_batch_shares_no_six_words_with_the_templates(blind):
    from moderation.training.synthetic import synthetic_examples

    templates = set().union(*(_six_grams(t) for t in synthetic_examples()["text"]))
    assert [r["id"] for r in blind if _six_grams(r["text"]) & templates] == []


def test_the_blind_batches_share_no_ids_and_no_six_words():
    """Each later batch measures what the earlier ones no longer can (their errors or figures were used while
    choosing), so none of its comments may repeat theirs."""
    batches = [_read(path)[1] for path in BLINDS]
    for k, later in enumerate(batches[1:], start=1):
        for earlier in batches[:k]:
            assert not {r["id"] for r in earlier} & {r["id"] for r in later}
            seen = set().union(*(_six_grams(r["text"]) for r in earlier))
            assert [r["id"] for r in later if _six_grams(r["text"]) & seen] == []
