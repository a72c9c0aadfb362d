"""Text encodings: detect them, decode line by line, and report bytes that will not decode.

Sites export in UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode
text"), and legacy cp1252/Latin-1. The strategy, in order:

1. A byte-order mark decides (UTF-8, UTF-16, UTF-32).
2. UTF-16 without a BOM is recognised by its zero bytes.
3. Valid UTF-8 in the first 64 KiB means UTF-8. If the first 64 KiB are pure
   ASCII the decision waits for the first line that is not; valid UTF-8 then
   means UTF-8, anything else means a legacy encoding.
4. Mostly valid UTF-8 with a few bad sequences stays UTF-8, and the lines
   holding the bad bytes are reported (a corrupt record, not a legacy file).
5. Otherwise a legacy single-byte encoding: cp1252 (a superset of the printable
   Latin-1), unless charset-normalizer is sure of a non-Latin one (Cyrillic,
   Greek, CJK...).

`encoding=` skips all of this. Bytes that do not decode are never replaced
silently: the record holding them becomes a ReadError.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Unicode ranges a Western legacy file decodes into; a charset-normalizer guess
#: that stays within them is read as cp1252 instead (it often proposes cp775 or
#: cp1250 for French or German text, which would garble it).
_LATIN_RANGES = ("Latin", "Punctuation", "Currency", "Letterlike", "Number Forms", "Control", "Specials", "Symbol")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: What an undecodable byte sequence becomes inside a decoded chunk: a lone
#: surrogate, which no strict decoder ever produces, so its presence marks the record.
MARK = "\udcff"
_MARK_HANDLER = "moderation.readers.mark"


def _mark(error: UnicodeError) -> tuple[str, int]:
    return MARK, error.end  # type: ignore[attr-defined]


codecs.register_error(_MARK_HANDLER, _mark)


@dataclass
class EncodingGuess:
    """The encoding to use, and whether the evidence so far settles it."""

    encoding: str
    settled: bool
    reason: str


def normalise_encoding(name: str) -> str:
    """Validate a user-given encoding name (raises LookupError with a clear message)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise LookupError(f"unknown encoding {name!r}") from None


#: The accented letters (lower case) of the languages written in the Latin
#: legacy code pages. A word is plausible in a reading when all its non-ASCII
#: letters belong to one of these alphabets: "Dvořák" read as cp1252 is
#: "Dvoøák" (no language has both ø and á), "Łukasz" is "£ukasz" (a symbol).
_ALPHABETS = (
    "éèêëàâîïôûùüçœæÿ",  # French
    "äöüß",  # German
    "áéíóúñü",  # Spanish
    "áâãàçéêíóôõú",  # Portuguese
    "àèéìíòóùú",  # Italian
    "àèéíïòóúüç",  # Catalan
    "åäöøæé",  # Danish, Norwegian, Swedish, Finnish
    "áéíóúýþðæö",  # Icelandic
    "ëïéèöü",  # Dutch
    "ąćęłńóśźż",  # Polish
    "áčďéěíňóřšťúůýž",  # Czech
    "áäčďéíĺľňóôŕšťúýž",  # Slovak
    "áéíóöőúüű",  # Hungarian
    "čćđšž",  # Croatian, Bosnian, Serbian (Latin), Slovene
    "ăâîșşțţ",  # Romanian
)
_ALPHABET_SETS = tuple(frozenset(a) for a in _ALPHABETS)

#: The Latin legacy encodings told apart by word plausibility, in order of
#: preference when the evidence is even: Western first (most exports), then
#: Central European (Windows, then ISO).
LATIN_CANDIDATES = ("cp1252", "cp1250", "iso8859-2")
_EDGE = "\u00bf\u00a1\u00ab\u00bb\u201c\u201d\u201e\u2018\u2019\u2026\u2013\u2014\u00b7\u00b0"
_TOKEN = re.compile(r"[^\s!-@\[-`{-~]*[^\x00-\x7f][^\s!-@\[-`{-~]*")


def _plausible_words(text: str) -> int:
    """How many words with non-ASCII letters read as some real language's alphabet (minus those that do not)."""
    score = 0
    for word in _TOKEN.findall(text):
        word = word.strip(_EDGE)
        accented = {ch for ch in word.lower() if ch > "\x7f"}
        if not accented:
            continue
        if all(ch.isalpha() for ch in accented) and any(accented <= alphabet for alphabet in _ALPHABET_SETS):
            score += 1
        else:
            score -= 1
    return score


_C1 = re.compile("[\x80-\x9f]")


def latin_guess(sample: bytes) -> tuple[str, int | None]:
    """(cp1252, cp1250 or ISO-8859-2; its score) for a legacy sample: the reading with the most plausible words.

    Ties go to cp1252, so French, German or Spanish text (whose accents read as
    other real letters in cp1250: è as č) stays Western unless some word says
    otherwise. A reading that cannot decode the sample, or turns a byte into
    a C1 control character (ISO-8859-2 does for 0x80-0x9F; no real text holds
    one), is out. The score is plausible minus implausible words; above 0, the
    text is Latin. None when no reading is possible: cp1252 is returned so
    that the bytes that do not decode are reported, not guessed at.
    """
    best, best_score = "cp1252", None
    for encoding in LATIN_CANDIDATES:
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _C1.search(text):
            continue
        score = _plausible_words(text)
        if best_score is None or score > best_score:
            best, best_score = encoding, score
    return best, best_score


def _legacy_guess(sample: bytes) -> str:
    sample = sample[:HEAD_LIMIT]
    latin, score = latin_guess(sample)
    if score is not None and score > 0:
        # Words that read as a Latin-script language: charset-normalizer tells
        # scripts apart well, but Latin code pages badly (it reads French as
        # cp1250 or cp775, and one Polish name as Big5).
        return latin
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - charset-normalizer is in the `dumps` extra
        return latin
    best = from_bytes(sample).best()
    if best is None or all(any(k in alphabet for k in _LATIN_RANGES) for alphabet in best.alphabets):
        return latin
    if best.language == "Unknown" or not is_ascii_compatible(best.encoding):
        # A non-Latin guess it cannot back with a language (one stray byte in
        # an ASCII file "is" Big5 or UTF-16 to it): keep the strict Latin
        # reading, so the stray byte is reported rather than turned into a CJK character.
        return latin
    return best.encoding




HEAD_LIMIT = 64 * 1024


def _utf8_counts(sample: bytes) -> tuple[int, int]:
    """(valid non-ASCII characters, invalid bytes) in a UTF-8 reading of `sample`."""
    text = sample.decode("utf-8", "surrogateescape")
    invalid = sum(1 for ch in text if "\udc80" <= ch <= "\udcff")
    valid = sum(1 for ch in text if ch > "\x7f") - invalid
    return valid, invalid


def _mostly_utf8(valid: int, invalid: int) -> bool:
    """Legacy text almost never forms valid multi-byte UTF-8 by accident, so a
    fair share of valid sequences means UTF-8 with some corrupt bytes."""
    return valid > 0 and valid * 2 >= invalid


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 text of mostly ASCII has a zero in every other byte."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    n = min(len(even), len(odd))
    if n == 0:
        return None
    zeros_even = even.count(0) / n
    zeros_odd = odd.count(0) / n
    if zeros_odd > 0.9 and zeros_even < 0.1:
        return "utf-16-le"
    if zeros_even > 0.9 and zeros_odd < 0.1:
        return "utf-16-be"
    return None


def guess_encoding(head: bytes, at_eof: bool = False) -> EncodingGuess:
    """Guess the encoding of a dump from its first bytes."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return EncodingGuess(name, True, "byte-order mark")
    utf16 = _utf16_without_bom(head[:4096])
    if utf16:
        return EncodingGuess(utf16, True, "UTF-16 zero-byte pattern")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=at_eof)
    except UnicodeDecodeError:
        pass
    else:
        if head.isascii():
            return EncodingGuess("utf-8", False, "ASCII so far")
        return EncodingGuess("utf-8", True, "valid UTF-8")
    valid, invalid = _utf8_counts(head)
    if _mostly_utf8(valid, invalid):
        return EncodingGuess("utf-8", True, "mostly valid UTF-8 (bad bytes reported)")
    return EncodingGuess(_legacy_guess(head), True, "not UTF-8")


#: The encodings in which an ASCII character is not one byte of the same value.
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


def is_ascii_compatible(encoding: str) -> bool:
    return codecs.lookup(encoding).name not in _WIDE


@dataclass
class DecodedLine:
    """One physical line of a text dump. `bad` holds a message when bytes would not decode."""

    number: int
    text: str
    bad: str | None
    terminated: bool


class LineDecoder:
    """Decodes lines of an ASCII-compatible encoding one at a time, settling the encoding lazily."""

    def __init__(self, guess: EncodingGuess, first_line: bool = True):
        # `first_line=False` for a reader that starts inside a file (a range of
        # its lines): a byte-order mark is only looked for on line 1.
        self.encoding = guess.encoding
        self.settled = guess.settled
        self._first = first_line

    def decode(self, raw: bytes) -> tuple[str, str | None]:
        encoding = self.encoding
        if self._first:
            self._first = False
            if encoding == "utf-8-sig":
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                self.encoding = encoding = "utf-8"
        if not self.settled:
            if raw.isascii():
                return raw.decode("ascii"), None
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                valid, invalid = _utf8_counts(raw)
                self.encoding = encoding = "utf-8" if _mostly_utf8(valid, invalid) else _legacy_guess(raw)
            else:
                self.settled = True
                self.encoding = "utf-8"
                return text, None
            self.settled = True
        try:
            return raw.decode(encoding), None
        except UnicodeDecodeError as exc:
            bad = raw[exc.start : exc.end]
            return (
                raw.decode(encoding, "replace"),
                f"bytes {bad!r} at byte {exc.start} of the line do not decode as {encoding}",
            )


#: Bytes read at a time when splitting a dump into lines.
_LINE_PIECE = 64 * 1024


def physical_lines(stream) -> Iterator[bytes]:
    """The lines of a byte stream, ending kept: LF, CRLF, and a bare CR (old Mac files, or mixed in) each end one.

    Read 64 KiB at a time and split with `bytes.splitlines` (which knows
    exactly these three endings), so an old-Mac file is never one gigantic
    "line", and the cost per line is about that of the stream's own line
    iterator. A line longer than a piece is gathered in a list and joined
    once (no quadratic copying); a CR at the end of a piece is held back in
    case the next piece starts with its LF.
    """
    pending: list[bytes] = []  # the start of a line not yet ended
    # read1: at most one read of the underlying stream, so the bytes before a
    # failing read (a truncated gzip stream) are handed on before it fails.
    read = getattr(stream, "read1", stream.read)
    while True:
        piece = read(_LINE_PIECE)
        if not piece:
            if pending:
                yield b"".join(pending)
            return
        if pending:
            if b"\n" not in piece and b"\r" not in piece:
                pending.append(piece)  # still inside one long line
                continue
            pending.append(piece)
            piece = b"".join(pending)
            pending = []
        parts = piece.splitlines(True)
        last = parts[-1]
        if not last.endswith(b"\n"):  # unended, or ended by a CR an LF may follow
            pending.append(parts.pop())
        yield from parts


def iter_decoded_lines(stream: io.BufferedReader, guess: EncodingGuess) -> Iterator[DecodedLine]:
    """Physical lines (ending kept), numbered from 1, with undecodable bytes flagged.

    A line ends at LF, CRLF or a bare CR (see physical_lines); `terminated`
    is False only for a last line with no ending at all.
    """
    if is_ascii_compatible(guess.encoding):
        decoder = LineDecoder(guess)
        number = 0
        for raw in physical_lines(stream):
            number += 1
            text, bad = decoder.decode(raw)
            yield DecodedLine(number, text, bad, raw.endswith((b"\n", b"\r")))
        return
    wrapper = io.TextIOWrapper(stream, encoding=guess.encoding, errors=_MARK_HANDLER, newline="")
    number = 0
    for text in wrapper:
        number += 1
        bad = None
        if MARK in text:
            bad = f"bytes that do not decode as {guess.encoding}"
            text = text.replace(MARK, "\ufffd")
        yield DecodedLine(number, text, bad, text.endswith(("\n", "\r")))


def chunk_decoder(guess: EncodingGuess):
    """An incremental decoder for chunked readers (JSON arrays); bad bytes become MARK."""
    encoding = "utf-8" if not guess.settled else guess.encoding
    return codecs.getincrementaldecoder(encoding)(errors=_MARK_HANDLER)


def decode_bytes(data: bytes, encoding: str | None = None) -> str:
    """Decode a whole document (a saved page) with the same detection as dumps.

    A page is read whole anyway, so the guess looks at all of it; a stray
    undecodable byte becomes U+FFFD here (a page is one record, and one bad
    byte should not cost the whole thread).
    """
    if encoding:
        return data.decode(normalise_encoding(encoding), "replace").lstrip("\ufeff")
    guess = guess_encoding(data, at_eof=True)
    if not guess.settled:  # pure ASCII
        return data.decode("ascii")
    if guess.encoding == "utf-8":
        return data.decode("utf-8", "replace")
    return data.decode(guess.encoding, "replace").lstrip("\ufeff")


def read_text_file(path: str | Path, encoding: str | None = None) -> str:
    """Read a saved page (plain text or HTML, optionally gzip-compressed) as text.

    Detects a BOM, UTF-16, UTF-8 and falls back to cp1252, so a page saved by
    an old Windows tool reads without mojibake. `encoding=` forces the codec.
    A damaged gzip stream raises OSError naming the damage: the text would be
    cut short (`iter_inputs` reads such a page up to the damage and reports it).
    """
    from moderation.readers.sources import open_source

    with open_source(path) as source:
        if source.error:
            raise OSError(f"{source.name}: {source.error}")
        data = source.stream.read()
        if source.damage:
            raise OSError(f"{source.name}: {source.damage}")
    return decode_bytes(data, encoding)
