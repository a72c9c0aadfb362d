"""A truncated or corrupt gzip dump: every complete record before the damage, then the damage, once.

Each dump is generated here, gzip-compressed and cut at several points (the
first block, the middle, the trailer). What a reader must give is measured
independently with zlib: the bytes `zlib.decompressobj(wbits=31)` recovers
from the cut file, and in them the records whose last byte is there (for
CSV, and JSON Lines unless the line is a whole object, the line's ending as
well: a cut row can still parse). The damage is then the one error, last,
naming the file and the line after the last complete record.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from moderation.readers import iter_inputs, read_dump, read_text_file
from moderation.records import Comment, ReadError

GZIP_DAMAGE = "gzip data is corrupt or truncated"
CUT = "Compressed file ended before the end-of-stream marker was reached"
N = 300


def _texts() -> list[str]:
    words = "the minister said café naïve vote they are scum really think déjà “quoted” 😀 budget".split()
    texts = []
    for i in range(N):
        text = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(3 + i % 23))
        if i % 7 == 3:
            text += "\nsecond line, with a comma"  # a CSV field over two lines; a JSON escape
        texts.append(text)
    return texts


class Dump:
    """A generated dump: its bytes and, per record, (start, end, end of its content)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0
        self.records: list[tuple[int, int, int]] = []

    def add(self, text: str, *, record: bool = False, ending: str = "") -> None:
        data = (text + ending).encode("utf-8")
        if record:
            self.records.append((self.size, self.size + len(data), self.size + len(data) - len(ending.encode())))
        self.parts.append(data)
        self.size += len(data)

    @property
    def data(self) -> bytes:
        return b"".join(self.parts)


def _build(fmt: str) -> Dump:
    dump = Dump()
    texts = _texts()
    if fmt == "csv":
        dump.add("id,text", ending="\n")
        for i, text in enumerate(texts):
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow([f"c{i}", text])
            dump.add(out.getvalue(), record=True, ending="\n")
    elif fmt == "jsonl":
        for i, text in enumerate(texts):
            dump.add(json.dumps({"id": f"c{i}", "text": text}, ensure_ascii=False), record=True, ending="\n")
    elif fmt == "json":
        dump.add("[\n")
        for i, text in enumerate(texts):
            dump.add(json.dumps({"id": f"c{i}", "text": text}, ensure_ascii=False, indent=1), record=True)
            dump.add(",\n" if i < N - 1 else "\n")
        dump.add("]\n")
    elif fmt == "disqus":
        dump.add('<?xml version="1.0" encoding="utf-8"?>\n<disqus xmlns="http://disqus.com" '
                 'xmlns:dsq="http://disqus.com/disqus-internals">\n<thread dsq:id="t1"><title>T</title></thread>\n')
        for i, text in enumerate(texts):
            dump.add(f'<post dsq:id="c{i}"><message>{escape(text)}</message><thread dsq:id="t1"/></post>', record=True)
            dump.add("\n")
        dump.add("</disqus>\n")
    elif fmt == "wxr":
        dump.add('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
                 "<channel>\n<item><title>A</title><wp:post_id>1</wp:post_id>\n")
        for i, text in enumerate(texts):
            dump.add(f"<wp:comment><wp:comment_id>c{i}</wp:comment_id><wp:comment_content>{escape(text)}"
                     "</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>", record=True)
            dump.add("\n")
        dump.add("</item></channel></rss>\n")
    return dump


def _recovered(packed: bytes) -> bytes:
    """What zlib recovers from a cut gzip stream (a truncated stream raises nothing: it just ends)."""
    decompressor = zlib.decompressobj(31)
    data = decompressor.decompress(packed)
    assert not decompressor.eof, "the cut must fall inside the deflate stream or its trailer"
    return data


def _expected(fmt: str, dump: Dump, recovered: bytes) -> tuple[int, int]:
    """(complete records in the recovered bytes, the line the damage is reported at)."""
    size = len(recovered)
    if fmt == "jsonl":  # a line is a record with its newline, or without it when it is a whole object
        complete = sum(1 for _, _, content_end in dump.records if content_end <= size)
        return complete, complete + 1
    if fmt == "csv":  # a row only with its line ending: "c9,cut sho" still parses
        complete = sum(1 for _, end, _ in dump.records if end <= size)
        if b"\n" not in recovered:
            return 0, 1  # the header is cut
        start = dump.records[complete][0] if complete < N else size
        return complete, dump.data.count(b"\n", 0, start) + 1  # the first line of the row that is cut
    complete = sum(1 for _, _, content_end in dump.records if content_end <= size)
    if fmt == "json":  # the first line of the element that is cut, or the cut itself between elements
        start = dump.records[complete][0] if complete < N else size
        return complete, dump.data.count(b"\n", 0, min(start, size)) + 1
    return complete, recovered.count(b"\n") + 1  # XML: libxml2's line, where the document ends


FORMATS = {"csv": ".csv.gz", "jsonl": ".jsonl.gz", "json": ".json.gz", "disqus": ".xml.gz", "wxr": ".xml.gz"}
#: Where the compressed bytes are cut: inside the gzip header, inside the first deflate block
#: (nothing or a few records recovered), at fractions of the stream, and inside the trailer
#: (every byte of the content is there, only the CRC and size are missing).
CUTS = ["header", "first block", 0.1, 0.37, 0.5, 0.81, 0.97, "trailer"]


def _cut_at(packed: bytes, where) -> int:
    if where == "header":
        return 7
    if where == "first block":
        return 60
    if where == "trailer":
        return len(packed) - 5
    return int(len(packed) * where)


def _read(path: Path, **kwargs) -> tuple[list[Comment], list[ReadError], list]:
    reader = read_dump(path, **kwargs)
    records = list(reader)
    assert reader.stats.records == len(records) == reader.stats.comments + reader.stats.errors
    return [r for r in records if isinstance(r, Comment)], [r for r in records if isinstance(r, ReadError)], records


@pytest.mark.parametrize("chunk_size", [97, 1 << 20], ids=["97-byte-chunks", "1MiB-chunks"])
@pytest.mark.parametrize("where", CUTS, ids=str)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_cut_gzip_dump_gives_every_complete_record_then_the_damage_once(tmp_path, fmt, where, chunk_size):
    dump = _build(fmt)
    packed = gzip.compress(dump.data)
    cut = packed[: _cut_at(packed, where)]
    path = tmp_path / f"cut{FORMATS[fmt]}"
    path.write_bytes(cut)
    complete, line = _expected(fmt, dump, _recovered(cut))

    # The format is given where the cut leaves too little to tell it by; elsewhere it is detected.
    forced = fmt if where in ("header", "first block") else None
    comments, errors, records = _read(path, format=forced, chunk_size=chunk_size)

    assert [c.id for c in comments] == [f"c{i}" for i in range(complete)]
    (error,) = errors
    assert records[-1] is error and error.source == str(path)
    assert error.line == line
    after = f" after line {line - 1}" if line > 1 else ""
    assert error.message == f"stopped reading{after}: {GZIP_DAMAGE} ({CUT})"
    assert str(error).startswith(f"{path}:{line}: stopped reading")
    if where in (0.5, 0.81, 0.97, "trailer"):
        assert complete > 100  # (the cut is where the test means it to be)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_whole_gzip_dump_still_reads_whole(tmp_path, fmt):
    dump = _build(fmt)
    path = tmp_path / f"whole{FORMATS[fmt]}"
    path.write_bytes(gzip.compress(dump.data))
    comments, errors, _ = _read(path, format=fmt)
    assert not errors and [c.id for c in comments] == [f"c{i}" for i in range(N)]


def test_a_tiny_dump_cut_inside_its_first_block_keeps_its_complete_lines(tmp_path):
    # As QA found: a dump of a few hundred bytes, one deflate block, cut before its
    # end. All of it was lost (peeking at its first 8 KiB failed), now its lines are read.
    rng = random.Random(420)
    words = ("ministers budget councils hospital frontline winter energy prices vote school readers journalist "
             "report truth disgrace brilliant nonsense agree disagree article thanks policy election army tax "
             "people government café naïve").split()
    lines = [json.dumps({"id": f"t{i}", "text": " ".join(rng.choice(words) for _ in range(14))}, ensure_ascii=False)
             + "\n" for i in range(6)]
    packed = gzip.compress("".join(lines).encode("utf-8"))
    assert 300 < len(packed) < 500
    seen = set()
    for keep in range(len(packed) - 9, 11, -7):
        path = tmp_path / "tiny.jsonl.gz"
        path.write_bytes(packed[:keep])
        complete = _recovered(packed[:keep]).count(b"\n")
        seen.add(complete)
        comments, errors, _ = _read(path)
        assert [c.id for c in comments] == [f"t{i}" for i in range(complete)], keep
        (error,) = errors
        assert error.line == complete + 1 and GZIP_DAMAGE in error.message
    assert set(range(6)) <= seen  # every number of complete lines, from none up
    assert error.message == f"stopped reading: {GZIP_DAMAGE} ({CUT})"


def _cut_right_after(content: bytes, rest: bytes) -> bytes:
    """A gzip stream of `content + rest`, cut where zlib has recovered exactly `content`.

    A sync flush after `content` byte-aligns the deflate stream there, so the
    cut falls exactly at that byte of the content, not wherever a code ends.
    """
    compressor = zlib.compressobj(wbits=31)
    head = compressor.compress(content) + compressor.flush(zlib.Z_SYNC_FLUSH)
    whole = head + compressor.compress(rest) + compressor.flush()
    assert gzip.decompress(whole) == content + rest and _recovered(whole[: len(head)]) == content
    return whole[: len(head)]


def test_a_whole_json_object_on_the_cut_line_is_a_record_and_a_cut_csv_row_is_not(tmp_path):
    # Cut right after the last JSON Lines object's "}": it is whole, only its newline is missing.
    lines = "".join(json.dumps({"id": f"j{i}", "text": f"comment {i}"}) + "\n" for i in range(50)).encode("utf-8")
    path = tmp_path / "whole_last.jsonl.gz"
    path.write_bytes(_cut_right_after(lines[:-1], b"\n" + lines))
    comments, errors, _ = _read(path)
    assert [c.id for c in comments] == [f"j{i}" for i in range(50)]
    (error,) = errors
    assert error.line == 51 and error.message.startswith("stopped reading after line 50: " + GZIP_DAMAGE)
    # One byte less: the object is not closed, the line is the damage.
    path.write_bytes(_cut_right_after(lines[:-2], b"}\n" + lines))
    comments, errors, _ = _read(path)
    assert [c.id for c in comments] == [f"j{i}" for i in range(49)]
    (error,) = errors
    assert error.line == 50 and error.message.startswith("stopped reading after line 49: " + GZIP_DAMAGE)
    # A CSV row cut inside its last field still has every field: it must not be read as the row.
    rows = ("id,text\n" + "".join(f"r{i},comment number {i} in full\n" for i in range(50))).encode("utf-8")
    cut = rows.rindex(b" in full")
    path = tmp_path / "cut_row.csv.gz"
    path.write_bytes(_cut_right_after(rows[:cut], rows[cut:]))
    comments, errors, _ = _read(path)
    assert [c.id for c in comments] == [f"r{i}" for i in range(49)]
    (error,) = errors
    assert error.line == 51 and error.message.startswith("stopped reading after line 50: " + GZIP_DAMAGE)
    # The same row whole, cut right after its newline: it is read, the damage is on the next line.
    path.write_bytes(_cut_right_after(rows, rows))
    comments, errors, _ = _read(path)
    assert [c.id for c in comments] == [f"r{i}" for i in range(50)]
    (error,) = errors
    assert error.line == 52 and error.message.startswith("stopped reading after line 51: " + GZIP_DAMAGE)


def test_a_cut_gzip_dump_on_stdin_is_read_the_same(tmp_path):
    dump = _build("jsonl")
    packed = gzip.compress(dump.data)
    cut = packed[: len(packed) // 2]
    complete, line = _expected("jsonl", dump, _recovered(cut))
    records = list(iter_inputs(["-"], stdin=io.BytesIO(cut)))
    assert [r.id for r in records if isinstance(r, Comment)] == [f"c{i}" for i in range(complete)]
    (error,) = [r for r in records if isinstance(r, ReadError)]
    assert records[-1] is error and error.source == "<stdin>" and error.line == line and GZIP_DAMAGE in error.message


def test_a_corrupt_gzip_stream_ends_with_one_error_after_what_came_before(tmp_path):
    dump = _build("jsonl")
    packed = bytearray(gzip.compress(dump.data))
    packed[-6] ^= 0xFF  # the CRC: every byte of the content decompresses, then the check fails
    path = tmp_path / "crc.jsonl.gz"
    path.write_bytes(bytes(packed))
    comments, errors, _ = _read(path)
    assert len(comments) == N
    (error,) = errors
    assert error.line == N + 1 and error.message == (
        f"stopped reading after line {N}: {GZIP_DAMAGE} (Error -3 while decompressing data: incorrect data check)")
    # Garbage after a whole member (gzip reads members one after another, zero padding skipped).
    path.write_bytes(gzip.compress(dump.data[:5000]) + b"\0\0" + gzip.compress(dump.data[5000:]) + b"not gzip")
    comments, errors, _ = _read(path)
    assert len(comments) == N
    (error,) = errors
    assert error.line == N + 1 and "incorrect header check" in error.message


def test_a_cut_gzip_text_page_gives_the_comments_of_its_complete_lines(tmp_path):
    from moderation.segmenter import segment_page

    page = (Path(__file__).resolve().parent / "fixtures" / "pages").glob("*.txt")
    text = max((p.read_text(encoding="utf-8") for p in page), key=lambda t: len(segment_page(t).comments))
    data = text.encode("utf-8")
    packed = gzip.compress(data)
    whole = segment_page(text).comments
    assert len(whole) >= 4
    for fraction in (0.6, 0.8, 0.95):
        cut = packed[: int(len(packed) * fraction)]
        recovered = _recovered(cut)
        lines = recovered[: recovered.rindex(b"\n") + 1]  # the complete lines
        expected = segment_page(lines.decode("utf-8")).comments
        path = tmp_path / "page.txt.gz"
        path.write_bytes(cut)
        records = list(iter_inputs([path]))
        got = [r for r in records if isinstance(r, Comment)]
        assert [(c.id, c.text) for c in got] == [(c.id, c.text) for c in expected]
        (error,) = [r for r in records if isinstance(r, ReadError)]
        assert records[-1] is error and error.line == lines.count(b"\n") + 1 and GZIP_DAMAGE in error.message
        with pytest.raises(OSError, match=GZIP_DAMAGE):
            read_text_file(path)  # one whole text: never silently cut short


def test_a_cut_gzip_parquet_file_is_one_error(tmp_path):
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    plain = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": [f"p{i}" for i in range(500)], "text": [f"comment {i}" for i in range(500)]}), plain)
    packed = gzip.compress(plain.read_bytes())
    path = tmp_path / "p.parquet.gz"
    path.write_bytes(packed[: len(packed) * 3 // 4])
    (error,) = list(read_dump(path))
    assert isinstance(error, ReadError) and error.message == f"stopped reading: {GZIP_DAMAGE} ({CUT})"
