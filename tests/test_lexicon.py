"""The lexicon file parses, and its patterns see context (negation, reporting, quotes)."""

from __future__ import annotations

import pytest

from moderation.lexicon import DH_CATEGORIES, load_lexicon, parse_lexicon
from moderation.training.weak import lexicon_hits, weak_dehumanising


def test_every_category_has_terms_and_plurals_are_generated():
    lex = load_lexicon()
    for cat in DH_CATEGORIES:
        assert len(lex[cat]) >= 5, cat
    assert lex.category_of["cockroaches"] == "dh_vermin"
    assert lex.category_of["parasites"] == "dh_parasite"
    assert lex.category_of["orcs"] == "dh_monster"
    assert "slaughter" in lex["violence"]
    assert "not" in lex["negator"] and "called" in lex["reporting"]


def test_scumbag_is_an_insult_not_a_metaphor():
    # docs/labels.md rule 8: compound insults are abusive only
    lex = load_lexicon()
    assert "scumbag" not in lex.category_of and "scumbag" in lex["insult"]


def test_name_calling_words_are_the_dehumanising_terms_and_insults():
    lex = load_lexicon()
    words = lex.name_calling_words()
    assert {"vermin", "orcs", "idiot", "scumbag"} <= words and not {"kill", "fuck", "not"} & words
    assert lex.has_literal_sense("pig") and lex.has_literal_sense("rats")
    assert not lex.has_literal_sense("orcs") and not lex.has_literal_sense("idiot")


def test_no_entry_is_listed_twice():
    from importlib import resources

    text = resources.files("moderation").joinpath("resources/lexicon/lexicon.tsv").read_text(encoding="utf-8")
    first: dict[str, int] = {}
    twice = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry in first:
            twice.append(f"line {lineno} repeats line {first[entry]}: {entry!r}")
        first.setdefault(entry, lineno)
    assert twice == []


def test_parse_errors_name_the_line():
    with pytest.raises(ValueError, match="line 2"):
        parse_lexicon("dh_vermin\trat\nbroken-line-without-tab\n")


def hits(text):
    row = lexicon_hits([text]).iloc[0]
    return {c for c in row.index if row[c]}


@pytest.mark.parametrize("text, present, absent", [
    ("All the more reason to continue the slaughter of the orcs", {"violence:dh", "dh:figurative"}, {"dh:negated"}),
    ("We will keep slaughtering the cockroaches until they scurry back", {"dh:human", "violence:dh"}, set()),
    ("refugees are not vermin", {"dh:negated"}, {"dh:any", "dh:human"}),
    # a negator's scope is six tokens (features.NEG_WINDOW), up to punctuation
    ("nobody on that estate is a cockroach", {"dh:negated"}, {"dh:any"}),
    ("nobody cares, those people are cockroaches", {"dh:any"}, {"dh:negated"}),
    ("calling refugees vermin is disgusting", {"dh:reported"}, {"dh:any"}),
    ('the minister said "they are rats"', {"dh:quoted"}, {"dh:any"}),
    ("we saw rats in the subway", {"dh:literal"}, {"dh:human"}),
    ("they breed like rabbits", {"breed:like"}, set()),
    ("they're not human, they're animals", {"dh:any", "dh:human"}, set()),
    ("she is an absolute beast on the court", {"dh:praise"}, set()),
    ("f*ck you, idiot", {"profanity:second_person", "insult:second_person"}, set()),
    ("round them up and exterminate them", {"extermination:human"}, {"dh:any"}),
    ("they culled the badgers", set(), {"extermination:human"}),
    ("the exterminator got rid of the wasps in the attic", set(), {"extermination:human"}),
    ("they would never gas them", set(), {"extermination:human"}),
    # QA pass 6: everyday phrases that are no negation or reporting (the commenter's own words)
    ("these people are no better than a plague", {"dh:any"}, {"dh:negated"}),
    ("they are nothing but vermin", {"dh:any"}, {"dh:negated"}),
    ("without a doubt they are parasites", {"dh:any"}, {"dh:negated"}),
    ("i'm not racist but they breed like rats", {"breed:like", "dh:any"}, {"dh:negated"}),
    ("landlords are what i would call vampires", {"dh:any"}, {"dh:reported"}),
    ("refugees are not vermin but people", {"dh:negated"}, {"dh:any"}),
    ("the mp would call them vermin", {"dh:reported"}, {"dh:any"}),
])
def test_lexicon_patterns_in_context(text, present, absent):
    found = hits(text)
    assert present <= found, found
    assert not (absent & found), found


def test_weak_labels():
    texts = ["those people are vermin", "there are rats in my kitchen", "they are vermin", "refugees are not vermin",
             "I hate mondays"]
    hateful = [1, 0, float("nan"), 1, 1]
    out = weak_dehumanising(texts, hateful)
    assert out[0] == 1
    assert out[1] == 0
    assert out[2] != out[2]  # unknown hatefulness with a metaphor: left unlabelled (NaN)
    assert out[3] == 0  # negated
    assert out[4] == 0


def test_a_call_to_exterminate_people_is_a_strong_weak_label():
    # docs/labels.md: calling for people to be exterminated is dehumanising with no metaphor
    out = weak_dehumanising(["wipe them out, every last one", "they culled the badgers", "wipe them out"], [1, 1, 0])
    assert out.tolist() == [1, 0, 0]


def test_span_words_count_uses_inside_and_outside_toxic_spans():
    from moderation.training.lexicon_candidates import span_word_counts

    text = "You idiot. The idiot test is fine, stupidity"
    inside, outside = span_word_counts([text], [list(range(4, 9)) + list(range(35, 44))])
    assert inside["idiot"] == 1 and outside["idiot"] == 1
    assert inside["stupidity"] == 1 and outside["stupidity"] == 0
    assert inside["you"] == 0 and outside["you"] == 1


def test_candidates_leave_out_words_the_lexicon_has(tmp_path):
    from moderation.training.lexicon_candidates import candidates

    d = tmp_path / "toxic_spans_civil"
    d.mkdir()
    rows = ['"[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]","snollygoster says hello"', '"[0, 1, 2, 3, 4]","idiot and snollygoster"']
    (d / "SemEval2021_data_tsd_train.csv").write_text("spans,text\n" + "\n".join(rows) + "\n")
    out = candidates(tmp_path, min_count=1, min_share=0.5)
    assert list(out["word"]) == ["snollygoster"]  # "idiot" is already an insult; "says", "hello" never marked
    assert out.loc[0, "in_span"] == 1 and out.loc[0, "share"] == 0.5


def test_news_readers_insults_from_civil_comments_are_in_the_lexicon():
    lex = load_lexicon()
    assert {"stupidity", "sociopath", "ignoramus"} <= lex["insult"]
    assert "sucks" in lex["profanity"]
    # screened out: identity terms and literal words are not insults
    assert not {"gay", "garbage", "mexican"} & lex["insult"]
