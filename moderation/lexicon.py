"""The dehumanising-metaphor lexicon and the word lists that give it context.

The lexicon lives in `moderation/resources/lexicon/lexicon.tsv` (documented in
the README beside it). It feeds two things: features of the model
(`moderation.features`) and weak labels for the public corpora
(`moderation.training.weak`). Terms are matched on normalised tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

#: Lists whose terms are dehumanising metaphors, one category each.
DH_CATEGORIES = ("dh_vermin", "dh_parasite", "dh_disease", "dh_filth", "dh_animal", "dh_monster")

#: Categories whose terms are usually literal in ordinary talk and so need a
#: human cue nearby before they count as a metaphor aimed at people.
LITERAL_PRONE = ("dh_disease", "dh_animal", "dh_vermin")

#: Lists that get generated plural forms.
_INFLECTED = set(DH_CATEGORIES) | {"group", "human"}


def _forms(term: str) -> set[str]:
    """The term and its regular plural (`-s`, `-es`, `-ies`)."""
    out = {term}
    if term.endswith("y") and len(term) > 2 and term[-2] not in "aeiou":
        out.add(term[:-1] + "ies")
    elif term.endswith(("s", "x", "ch", "sh")):
        out.add(term + "es")
    else:
        out.add(term + "s")
    return out


@dataclass
class Lexicon:
    """Word lists by name; `category_of` maps a dehumanising term to its category."""

    lists: dict[str, set[str]] = field(default_factory=dict)
    category_of: dict[str, str] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> set[str]:
        return self.lists.get(name, set())

    def dehumanising_terms(self) -> set[str]:
        return set(self.category_of)

    def name_calling_words(self) -> set[str]:
        """The words a comment calls people by: dehumanising terms and insults. The glued-word
        and @mention readings look for these alone (`_Vocab.glued`, `_mention_repl`)."""
        return set(self.category_of) | self["insult"]

    def has_literal_sense(self, word: str) -> bool:
        """An animal, vermin or disease word: beside other words it may be meant literally
        (`guineapigs`) or be a name (`@Pig`)."""
        return self.category_of.get(word) in LITERAL_PRONE

    def target_words(self) -> list[str]:
        """Words that leetspeak and masked letters may be resolved to, likeliest first."""
        order = ["profanity", "insult", *DH_CATEGORIES, "violence"]
        seen: dict[str, None] = {}
        for name in order:
            for w in sorted(self[name], key=lambda w: (len(w), w)):
                seen.setdefault(w, None)
        return list(seen)


def parse_lexicon(text: str) -> Lexicon:
    """Parse the TSV format (`list<TAB>term<TAB>note`, `#` comments)."""
    lex = Lexicon()
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"lexicon.tsv line {lineno}: expected 'list<TAB>term', got {line!r}")
        name, term = parts[0].strip(), parts[1].strip().lower()
        note = parts[2].strip().strip('"') if len(parts) > 2 else ""
        forms = _forms(term) if name in _INFLECTED else {term}
        lex.lists.setdefault(name, set()).update(forms)
        if note:
            lex.notes[(name, term)] = note
        if name in DH_CATEGORIES:
            for f in forms:
                lex.category_of.setdefault(f, name)
    return lex


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The lexicon shipped with the package (read once per process)."""
    text = resources.files("moderation").joinpath("resources/lexicon/lexicon.tsv").read_text(encoding="utf-8")
    return parse_lexicon(text)
