"""Readers: comment dumps and saved pages in, `Comment` and `ReadError` records out.

`read_dump` streams one dump (CSV/TSV, JSON Lines, JSON array, Parquet,
Disqus export XML, WordPress WXR; gzip-compressed or not) in bounded memory.
`iter_inputs` expands what a user names on the command line (files,
directories, `-`) and sends saved pages through the segmenter. Neither raises
for bad input: a record that cannot be read is a `ReadError` with the file
and line, and reading goes on. See docs/dumps.md.
"""

from moderation.readers.base import DumpReader, ReadStats
from moderation.readers.columns import CANDIDATES, ColumnError, ColumnMap
from moderation.readers.decoding import decode_bytes, guess_encoding, read_text_file
from moderation.readers.dump import read_dump, read_dump_stats
from moderation.readers.inputs import InputReader, expand_paths, iter_inputs, read_page
from moderation.readers.sniff import DUMP_FORMATS, FORMATS, PAGE_FORMATS, detect_format

__all__ = [
    "CANDIDATES",
    "ColumnError",
    "ColumnMap",
    "DUMP_FORMATS",
    "DumpReader",
    "FORMATS",
    "InputReader",
    "PAGE_FORMATS",
    "ReadStats",
    "decode_bytes",
    "detect_format",
    "expand_paths",
    "guess_encoding",
    "iter_inputs",
    "read_dump",
    "read_dump_stats",
    "read_page",
    "read_text_file",
]
