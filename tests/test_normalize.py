"""Normalisation: obfuscations reach the plain spelling; offsets point back into the original."""

from __future__ import annotations

import pytest

from moderation.normalize import normalize, normalize_batch, normalize_with_offsets


@pytest.mark.parametrize("text, expected", [
    ("c0ckr0aches", "cockroaches"),
    ("f*ck you", "fuck you"),
    ("sh!t", "shit"),
    ("sh!t!", "shit!"),
    ("they are p a r a s i t e s", "they are parasites"),
    ("an evil p.i.g", "an evil pig"),
    ("the o_r_c_s", "the orcs"),
    ("s-l-a-u-g-h-t-e-r", "slaughter"),
    ("the sl**ghter of the o#cs", "the slaughter of the orcs"),
    ("$l@ught3r", "slaughter"),
    ("0rrrc$", "orcs"),
    ("Тhе оrсs", "the orcs"),  # Cyrillic look-alikes
    ("ＯＲＣＳ", "orcs"),  # full-width (NFKC)
    ("He’s “right”", "he's \"right\""),
])
def test_obfuscations_reach_the_plain_spelling(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["covid19 cases rose", "the 2nd of may", "call 555-1234", "what?!", "I was 1st"])
def test_ordinary_digits_and_punctuation_are_left_alone(text):
    out = normalize(text)
    assert out.replace("!", "") == text.lower().replace("!", "")


def test_urls_and_mentions_become_placeholder_tokens():
    out = normalize("see https://example.com/a?b=1 and @someone now")
    assert "xurlx" in out and "xmentionx" in out
    assert "example" not in out and "someone" not in out


def test_batch_path_equals_single_path():
    texts = ["The 0rcs failed", "", "p i g", "f*ck!!!", "Тhе оrсs", "a\x1eb", "plain text", "x" * 5,
             "a b c", '"p i g"', "x (o r c s)", "(c0ckroach", "sl**ghter", "2020 was 1st", "o.r.c.s"]
    assert normalize_batch(texts) == [normalize(t) for t in texts]
    for i in range(len(texts)):  # each text in every position of a batch
        rotated = texts[i:] + texts[:i]
        assert normalize_batch(rotated) == [normalize(t) for t in rotated]
    assert [normalize_with_offsets(t).text for t in texts] == [normalize(t) for t in texts]


def test_batch_path_equals_single_path_on_random_texts():
    """Every step's cheap pre-filter finds every text its full pattern would change."""
    import random

    rng = random.Random(11)
    pieces = list("abcxyz019") + [" ", " ", ".", "-", "_", "@", "$", "!", "*", "#", "(", "|", "+", "\u3002", "\u00e9",
                                   "\u00ab", "\u2014", "\u2026", "\u0436", "\u732a", "'", '"', ",", "www.", "http://", "\u00a0"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(4000)]
    assert normalize_batch(texts) == [normalize(t) for t in texts]


@pytest.mark.parametrize("text, word, original", [
    ("Those c0ckr0aches again", "cockroaches", "c0ckr0aches"),
    ("an evil p i g, honestly", "pig", "p i g"),
    ("the Тhе оrсs are back", "orcs", "оrсs"),
    ("visit https://x.y/z then the sc*m", "scum", "sc*m"),
    ("ＯＲＣＳ everywhere", "orcs", "ＯＲＣＳ"),
])
def test_offsets_map_a_normalised_word_back_to_the_original(text, word, original):
    nt = normalize_with_offsets(text)
    i = nt.text.index(word)
    start, end = nt.original_span(i, i + len(word))
    assert text[start:end] == original
    assert len(nt.starts) == len(nt.text) == len(nt.ends)


def test_repeated_letters_are_collapsed_at_lookup():
    from moderation.features import Featurizer
    from moderation.normalize import collapse_repeats

    assert collapse_repeats("scuuuum") == "scum" and collapse_repeats("orcsss") == "orcs"
    assert collapse_repeats("moon") == "moon"
    fz = Featurizer(min_df=1).fit(["the scum", "the orcs"])
    ids = fz._ids(["the scuuuum and orrrcs", "the scum and orcs"])
    half = len(ids) // 2
    assert ids[:half].tolist() == ids[half:].tolist()


def test_empty_text():
    assert normalize("") == ""
    nt = normalize_with_offsets("")
    assert nt.text == "" and nt.original_span(0, 0) == (0, 0)


def test_emoji_and_symbols_become_spaces_so_a_batch_stays_ascii():
    # One emoji would make the joined batch a four-byte-per-character string and every step slower.
    texts = ["they are rats \U0001f400", "\u2620\ufe0f orcs \u2620\ufe0f", "\u2500\u2500 slaughter them \U0001f525", "Hawai\u02bbi"]
    out = normalize_batch(texts)
    assert all(t.isascii() for t in out)
    assert out == [normalize(t) for t in texts] == [normalize_with_offsets(t).text for t in texts]
    assert out[0] == "they are rats  " and out[1].split() == ["orcs"]
    # letters and digits of other scripts are kept, and so is the euro sign leetspeak uses
    assert normalize("\u732a \u0436\u0438\u0434") == "\u732a \u0436\u0438\u0434"
    assert normalize("c\u20acll") != normalize("c ll")


def test_an_emoji_between_letters_separates_them_like_a_space():
    nt = normalize_with_offsets("vermin\U0001f400scum")
    assert nt.text == "vermin scum"
    i = nt.text.index("scum")
    assert nt.original_span(i, i + 4) == (7, 11)


def _agree(texts):
    """The batch path, the single path and the offsets path give the same text (in any batch position)."""
    single = [normalize(t) for t in texts]
    assert normalize_batch(texts) == single
    assert normalize_batch(texts[::-1]) == single[::-1]
    assert [normalize_with_offsets(t).text for t in texts] == single
    return single


def _span_of(text, word):
    """The original text that normalised `word` (its first occurrence) comes from."""
    nt = normalize_with_offsets(text)
    assert len(nt.starts) == len(nt.text) == len(nt.ends)
    i = nt.text.index(word)
    a, b = nt.original_span(i, i + len(word))
    return text[a:b]


INVISIBLE = ["\ufe0f", "\ufe00", "\U000e0100", "\U000e01ef", "\u034f", "\u20dd", "\u0489", "\u115f", "\u1160", "\u3164",
             "\uffa0", "\u2800", "\u180b", "\u180e", "\u180f", "\u200b", "\u2062", "\U000e0020", "\u0301"]


@pytest.mark.parametrize("ch", INVISIBLE)
def test_invisible_characters_are_deleted_not_spaces(ch):
    text = f"They are ver{ch}min."
    assert _agree([text, "plain", f"v{ch}e{ch}r{ch}m{ch}i{ch}n"]) == ["they are vermin.", "plain", "vermin"]
    assert _span_of(text, "vermin") == f"ver{ch}min"


def test_a_variation_selector_after_an_emoji_does_not_glue_two_words():
    texts = ["I \u2764\ufe0f you", "Lovely piece \u2764\ufe0f thank you", "well done \u263a\ufe0f", "great \U0001f44d\U0001f3fd"]
    out = _agree(texts)
    assert out[0].split() == ["i", "you"] and out[1].split() == ["lovely", "piece", "thank", "you"]
    assert out[2].split() == ["well", "done"] and out[3].split() == ["great"]
    assert all(t.isascii() for t in out)


@pytest.mark.parametrize("text, expected, word, original", [
    ("They are ver\U0001f600min.", "they are vermin.", "vermin", "ver\U0001f600min"),
    ("They are ver\u2764\ufe0fmin.", "they are vermin.", "vermin", "ver\u2764\ufe0fmin"),
    ("v\U0001f600e\U0001f600r\U0001f600m\U0001f600i\U0001f600n", "vermin", "vermin", "v\U0001f600e\U0001f600r\U0001f600m\U0001f600i\U0001f600n"),
    ("a c0ck\U0001f400r0ach!", "a cockroach!", "cockroach", "c0ck\U0001f400r0ach"),
    ("They br\U0001f400eed like rats", "they breed like rats", "breed", "br\U0001f400eed"),
])
def test_a_symbol_inside_a_lexicon_word_is_deleted(text, expected, word, original):
    assert _agree([text, "fine", text.upper()]) == [expected, "fine", expected]
    assert _span_of(text, word) == original


@pytest.mark.parametrize("text, words", [
    ("fuck\U0001f595you", ["fuck", "you"]), ("die\U0001f525scum", ["die", "scum"]), ("vermin\U0001f400scum", ["vermin", "scum"]),
    ("great \U0001f44d\U0001f3fd job", ["great", "job"]), ("ver\U0001f600", ["ver"]), ("\U0001f600min", ["min"]),
])
def test_a_symbol_between_words_stays_a_space(text, words):
    # an emoji next to a lexicon word is a space (unless the whole run is one): it keeps the words apart
    assert _agree([text])[0].split() == words


def test_batch_path_equals_single_path_on_random_texts_with_symbols_and_look_alikes():
    import random

    rng = random.Random(12)
    pieces = list("aeimnrstv") + ["vermin", "rats", " ", " ", "  ", ".", ". ", "\t", "/", "|", "'", "-", "_", "\U0001f600", "\u2764", "\ufe0f", "\u200d", "\U0001f3fd",
                                  "\u1d00", "\u0280", "\u202e", "\u202c", "\u2069", "\n", "@", "0", "1", "*", ",", "\u3164", "\u249c"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(4000)]
    single = [normalize(t) for t in texts]
    assert normalize_batch(texts) == single
    assert [normalize_with_offsets(t).text for t in texts] == single


@pytest.mark.parametrize("text, expected, word", [
    ("They are \u1d20\u1d07\u0280\u1d0d\u026a\u0274", "they are vermin", "vermin"),  # small capitals
    ("\u1d18\u026a\u0262 \ua731\u1d04\u1d1c\u1d0d \u0299\u1d00\u0274 \u029f\u026a\u1d22\u1d00\u0280\u1d05 \ua7af", "pig scum ban lizard q", "scum"),
    ("an evil \u24ab\u24a4\u24a2", "an evil pig", "pig"),  # parenthesized: not "(p)(i)(g)"
    ("\U0001f165\U0001f154\U0001f161\U0001f15c\U0001f158\U0001f15d", "vermin", "vermin"),  # negative circled
    ("\U0001f185\U0001f174\U0001f181\U0001f17c\U0001f178\U0001f17d", "vermin", "vermin"),  # negative squared
    ("they are \U0001f1f7\U0001f1e6\U0001f1f9\U0001f1f8", "they are rats", "rats"),  # regional indicators
    ("ver\u043c\u0131n \u04cf\u0456\u0437\u0430rd\u0455 \u0501\u043e\u0261\u0455 \u0455\u04bb\u0456\u0442", "vermin li\u0437ards dogs shit", "vermin"),
    ("\u057d\u0261\u056c\u0575 \u0585\u0580\u0581\u057d", None, None),
    ("wh\u0561\u0442 \u0501\u0585\u0261", None, None),
    ("\u13d9\u13ac\u13a1\u13b7\u13a5n", "vermin", "vermin"),  # Cherokee capitals
    ("\u0274\u026a\u0262\u0262\u1d07\u0280 \u0261\u03b3\u03f2 \u03f3\u0578\u0575", None, None),
])
def test_more_look_alike_letters(text, expected, word):
    out = _agree([text, text.upper(), "plain"])
    if expected is not None:
        assert out[0] == expected
        nt = normalize_with_offsets(text)
        i = nt.text.index(word)
        a, b = nt.original_span(i, i + len(word))
        assert b - a == len(word)  # one original character per letter
    assert out[2] == "plain"


def test_look_alike_tables_keep_civil_greek_and_cyrillic_harmless():
    out = _agree(["My gran's recipe for \u0431\u043e\u0440\u0449", "\u0398\u03b5\u03c3\u03c3\u03b1\u03bb\u03bf\u03bd\u03af\u03ba\u03b7",
                  "\u0421\u043f\u0430\u0441\u0438\u0431\u043e", "\u015etefan and \u0141ukasz"])
    assert out[3] == "stefan and \u0142ukasz"
    assert all(len(o.split()) == 1 for o in out[1:3])


def test_a_lone_pair_of_regional_indicators_is_a_flag_not_two_letters():
    out = _agree(["Proud \U0001f1ec\U0001f1e7 today", "\U0001f1fa\U0001f1f8!", "x\U0001f1f7\U0001f1e6t", "\U0001f1f7\U0001f1e6\U0001f1f9"])
    assert out[0].split() == ["proud", "today"] and out[1].strip() == "!"
    assert out[2] == "xrat" and out[3] == "rat"


@pytest.mark.parametrize("text, expected", [
    ("They are \u202enimrev\u202c", "they are vermin nimrev"),  # as shown, then as stored
    ("They are \u202enimrev\u202c and \u202estar\u2069 too", "they are vermin nimrev and rats star too"),
    ("They are \u202enimrev", "they are vermin nimrev"),  # to the end of the text
    ("\u202enimrev\nthey are", "vermin nimrev\nthey are"),  # to the end of the line
    ("They are \u202enimrev\u202dscum", "they are vermin nimrevscum"),
    ("They are \u202dvermin\u202c", "they are vermin"),  # a left-to-right override shows the stored order
    ("you\u202e idiot", "youtoidi   idiot"),  # stored in reading order: shown reversed, read as stored
])
def test_a_right_to_left_override_run_is_read_as_shown_and_as_stored(text, expected):
    assert _agree([text, "plain", text + " x"]) == [expected, "plain", normalize(text + " x")]
    nt = normalize_with_offsets(text)
    for k, ch in enumerate(nt.text):  # each output character maps back to the original character it shows
        if ch.isalpha():
            a, b = nt.original_span(k, k + 1)
            assert text[a:b].lower() == ch
    for word in ("vermin", "idiot"):
        if word in nt.text:
            i = nt.text.rindex(word)
            a, b = nt.original_span(i, i + len(word))
            assert text[a:b] in ("nimrev", "vermin", "idiot")


def test_an_insult_stored_in_reading_order_after_a_right_to_left_override_is_caught(moderator):
    """QA pass 9, finding 17: `you\u202e pathetic idiot` was allowed (the run was read only reversed,
    "toidi citehtap"), though a page that drops the override shows the insult as stored."""
    text = "you\u202e pathetic idiot"
    verdict = moderator.check(text)
    assert verdict.decision == "reject" and "abusive" in verdict.labels
    assert [text[e.start:e.end] for e in verdict.evidence] == [e.text for e in verdict.evidence]
    assert any("idiot" in e.text for e in verdict.evidence)
    assert moderator.score([text, "fine"])[0].decision == "reject"


@pytest.mark.parametrize("text, expected, original", [
    ("They are @nimals", "they are animals", "@nimals"),
    ("You are an @sshole", "you are an asshole", "@sshole"),
    ("you @ssh0le!", "you asshole!", "@ssh0le"),
])
def test_leetspeak_at_for_a_at_a_word_start_is_not_a_mention(text, expected, original):
    assert _agree([text, "as @sarah_jones said", "tag @LeedsCouncil", "mail j.s@example.com"]) == [
        expected, "as  xmentionx  said", "tag  xmentionx ", "mail j.s@example.com"]
    assert _span_of(text, expected.split()[-1].rstrip("!")) == original


@pytest.mark.parametrize("text, expected, original", [
    ("Those @orcs shelled the ward", "those orcs shelled the ward", "@orcs"),
    ("you @Idiot", "you idiot", "@Idiot"),
    ("those @rats again", "those rats again", "@rats"),
])
def test_a_lexicon_word_written_as_a_mention_is_read_as_the_word(text, expected, original):
    """The red team let 352 of 970 flagged comments through with `@` before each offending word;
    a handle that is a dehumanising or insult word is no one's name. An animal word in the
    singular may be (`@Pig`, `@Beast`), and other handles stay mentions."""
    assert _agree([text, "@Pig you are right", "@Beast great goal", "@JohnSmith no"]) == [
        expected, " xmentionx  you are right", " xmentionx  great goal", " xmentionx  no"]
    assert _span_of(text, expected.split()[1]) == original


def test_a_token_with_every_letter_doubled_is_halved_at_lookup_when_that_is_a_lexicon_word():
    from moderation.features import Featurizer
    from moderation.normalize import collapse_repeats

    assert collapse_repeats("vveerrmmiinn") == "vermin" and collapse_repeats("ffuucckk") == "fuck"
    assert collapse_repeats("aabbcc") == "aabbcc" and collapse_repeats("bookkeeper") == "bookkeeper"
    assert collapse_repeats("vvermin") == "vvermin" and collapse_repeats("vveerrmmiin") == "vveerrmmiin"
    fz = Featurizer(min_df=1).fit(["the vermin", "the scum", "the orcs", "to aabbcc"])
    ids = fz._ids(["the vveerrmmiinn and ssccuumm, aabbcc xx", "the vermin and scum, aabbcc xx"])
    half = len(ids) // 2
    assert ids[:half].tolist() == ids[half:].tolist()
    # one unknown token in a long batch: the batch-wide pre-check finds it wherever it is
    texts = ["plain words here"] * 50 + ["they are vveerrmmiinn"] + ["more plain words"] * 50
    plain = [t.replace("vveerrmmiinn", "vermin") for t in texts]
    assert fz._ids(texts).tolist() == fz._ids(plain).tolist()
    assert fz._ids(["they are vveerrmmiinn"]).tolist() == fz._ids(["they are vermin"]).tolist()


@pytest.mark.parametrize("text, expected, original", [
    ("You are a n i g g e r", "you are a nigger", None),  # the article is not the word's first letter
    ("They are a r a t", "they are a rat", None),
    ("I am a r.a.t", "i am a rat", None),
    ("They are r. a. t. s.", "they are rats.", "r. a. t. s"),
    ("They are r,a,t,s", "they are rats", "r,a,t,s"),
    ("They are r/a/t/s", "they are rats", "r/a/t/s"),
    ("They are r|a|t|s", "they are rats", "r|a|t|s"),
    ("They are r~a~t~s", "they are rats", "r~a~t~s"),
    ("They are r+a+t+s", "they are rats", "r+a+t+s"),
    ("They are r'a't's", "they are rats", "r'a't's"),
    ("They are r*a*t*s", "they are rats", "r*a*t*s"),
    ("They are v  e  r  m  i  n", "they are vermin", "v  e  r  m  i  n"),
    ("They are v\te\tr\tm\ti\tn", "they are vermin", "v\te\tr\tm\ti\tn"),
    ("They are\nv\ne\nr\nm\ni\nn\nreally", "they are\nvermin\nreally", "v\ne\nr\nm\ni\nn"),
    ("You are an a, s, s, h, o, l, e", "you are an asshole", "a, s, s, h, o, l, e"),
    ("They are r\u00b7a\u00b7t\u00b7s", "they are rats", "r\u00b7a\u00b7t\u00b7s"),
    ("are I*D*I*O*T*S", "are idiots", "I*D*I*O*T*S"),
])
def test_spaced_letters_with_other_separators_join_into_lexicon_words(text, expected, original):
    out = _agree([text, "J. R. R. Tolkien", text + "!", "filler"])
    assert out[0] == expected and out[1] == "j. r. r. tolkien"
    if original is not None:
        word = expected.split()[-1].rstrip(".") if "\n" not in expected else "vermin"
        assert _span_of(text, word) == original


@pytest.mark.parametrize("text", [
    "J. R. R. Tolkien lived not far from here", "Vitamins A, B, C and D are all on the list.",
    "Options a, b and c were all rejected", "The U. S. A. and the U. K. signed", "1, 2, 3, go", "a/b/c testing",
    "see pages 4, 5 and 6", "I wrote a l o n g reply", "x  y  z", "a\tb\tc", "Plan A, B or C",
])
def test_spaced_letters_that_are_no_lexicon_word_stay_as_they_are(text):
    out = _agree([text])[0]
    if "l o n g" not in text:
        assert out == text.lower()


@pytest.mark.parametrize("text, expected", [
    ("Round them up and e x t e r m i n a t e t h e l o t", "round them up and exterminate the lot"),
    ("Men like that a r e a n i m a l s", "men like that are animals"),
    ("He is a s u b h u m a n t r o g l o d y t e.", "he is a subhuman troglodyte."),
    ("They b, r, e, e, d, l, i, k, e, r, a, t, s", "they breed like rats"),
    ("I wrote a l o n g reply", "i wrote along reply"),  # no split with a lexicon word: joined as before
    ("a s s e s s m e n t due", "assessment due"),
])
def test_a_run_of_several_spaced_words_is_split_into_words(text, expected):
    assert _agree([text, "x"]) == [expected, "x"]


def test_spaced_docs_small_and_large_batch_paths_agree():
    """The texts the spaced-letter steps try: the regex path (one comment, the hook) and the
    array path (a large batch) pick the same ones, including runs across two texts' boundary."""
    import random
    from bisect import bisect_right

    from moderation.normalize import SEP, _spaced_docs_numpy, _SPACED_SHAPE, _SPACED_ONE, _SPACED_ANY

    rng = random.Random(3)
    pieces = ["a", "b", "x", "1", "@", " ", "  ", ".", ",", "ab", "abc", "r a t s", "v  e  r", "i", "\t", "*"]
    for _ in range(300):
        texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(rng.randint(1, 6))]
        joined = SEP.join(texts)
        ends = [sum(len(t) + 1 for t in texts[:k + 1]) for k in range(len(texts))]
        raw = (SEP + joined + SEP).encode("latin-1", "replace").translate(_SPACED_SHAPE)
        one = sorted({bisect_right(ends, m.start() - 1) for m in _SPACED_ONE.finditer(raw)})
        any_ = sorted({bisect_right(ends, m.start() - 1) for m in _SPACED_ANY.finditer(raw)})
        assert (one, any_) == _spaced_docs_numpy(raw, ends), texts
