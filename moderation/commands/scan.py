"""`moderation scan`: the batch job over pages and dumps, and its report.

A thin command over `moderation.scan.scan` (the Python API) and the formats in
`moderation.report`. With `--output`, records go through a resume journal
beside the output file so that an interrupted run can be continued with
`--resume`; the finished report is written when the run completes.
"""

from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import click

from moderation.readers.sniff import FORMATS as INPUT_FORMATS
from moderation.readers.sniff import canonical_format
from moderation.records import ReadError
from moderation.report.highlight import line_safe
from moderation.report.context import note_title
from moderation.report import FORMATS, SUFFIXES, ReplyContext, ScanSummary, format_summary, open_report, report_class
from moderation.scan import (DASK_READS, DEFAULT_CHUNK_SIZE, ENGINES, InputDone, JournalError, SchedulerUnreachable,
                             ScanJournal, connect_dask, scan, start_workers)
from moderation.scan_progress import LinesAroundBar, logging_around_bar, write_line

#: Exit codes (docs/architecture.md).
EXIT_ERROR, EXIT_HOLD, EXIT_REJECT = 1, 10, 11


class ScanError(click.ClickException):
    exit_code = EXIT_ERROR


def _load(model_path: str | None, policy_path: str | None):
    """The model with the policy in force (as `moderation check` loads it); a file we cannot trust is exit 1.

    The policy is `--policy FILE` over the model card's thresholds, or the
    shipped default policy (card thresholds, word lists, fail mode hold).
    """
    from moderation.model import ModelError, load_model
    from moderation.policy import PolicyError, load_policy

    try:
        moderator = load_model(path=model_path)
        moderator.policy = load_policy(policy_path, card=moderator.card)
    except PolicyError as exc:
        raise ScanError(str(exc)) from None
    except (ModelError, OSError, ValueError) as exc:
        raise ScanError(f"cannot load the model: {exc}") from None
    return moderator


def _connect(scheduler: str) -> Any:
    """The Dask client for --scheduler, connected before the resume journal is touched.

    Connecting when the scan starts (as `scan()` does with an address) came
    after the journal files were created, so an unreachable scheduler left
    `OUT.scan-done.jsonl` and `OUT.scan-partial.jsonl` behind, with a
    traceback. Here it is one error line (exit 1), no journal file is
    created, and a journal an interrupted run left is not opened at all, so
    `--resume` can still use it. A malformed address is a usage error. The
    client is closed when the command ends.
    """
    try:
        client = connect_dask(scheduler)
    except SchedulerUnreachable as exc:
        raise ScanError(str(exc)) from None
    except ValueError as exc:
        raise click.BadParameter(f"{scheduler}: {exc}", param_hint="'--scheduler'") from None
    except RuntimeError as exc:  # the dask extra is not installed
        raise ScanError(str(exc)) from None
    click.get_current_context().call_on_close(client.close)
    return client


@contextmanager
def _batch_gc():
    """Fewer garbage collections during a scan.

    A scan allocates millions of short-lived containers (parsed records,
    comments, verdicts, output records). With the default thresholds the
    collector ran ~17 times per 2,000-comment chunk, re-walking the loaded
    model's objects, and took 13% of a one-core run (measured on 200k
    comments: 1.9 s of 14.4 s). Freezing what is loaded before the scan
    (the model) and collecting young objects every 10,000 allocations instead
    of 700 brings that to ~6%; scan records form no reference cycles, so
    memory does not grow. The process's settings are restored afterwards.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _input_format(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--format-in checked as an option: a name the readers do not know is a usage error (exit 2).

    Before, it reached the readers and came back as a read error of source
    "<options>" (exit 1), unlike every other bad option. The readers' own
    check (`canonical_format`) decides, so their aliases (ndjson, txt,
    wordpress...) are accepted as before.
    """
    if value is None:
        return None
    try:
        return canonical_format(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _columns(**names: str | None):
    if not any(names.values()):
        return None
    from moderation.readers import ColumnMap

    return ColumnMap(**names)


def format_from_output(output: str | None) -> str:
    """The report format the --output name asks for: its suffix's, or the table for stdout or no suffix.

    A suffix no format claims (`.gz`, `.tsv`, `.jsonl.gz`...) is a usage
    error rather than a table under that name: `-o scores.jsonl.gz` used to
    write an uncompressed terminal table a reader would take for gzipped JSON
    Lines. `--format` still forces any format whatever the name.
    """
    if not output:
        return "table"
    suffix = Path(output).suffix.lower()
    if not suffix:
        return "table"
    if suffix not in SUFFIXES:
        note = " (reports are not compressed)" if suffix in (".gz", ".gzip", ".bz2", ".xz", ".zst", ".zip") else ""
        raise click.UsageError(
            f"--output {output}: unknown report suffix {suffix!r}{note}; known suffixes: "
            f"{', '.join(SUFFIXES)}; pass --format ({'|'.join(FORMATS)}) to force a format")
    return SUFFIXES[suffix]


def check_output_dir(output: str | None) -> None:
    """Refuse (exit 2) an --output whose directory is missing, not a directory or not writable, before any work.

    The report and the resume journal beside it are only created after the
    model is loaded, so `-o missing_dir/report.html` used to crash there with
    a FileNotFoundError traceback. `click.Path(writable=True)` checks only a
    file that already exists, not the directory a new one goes into.
    """
    if not output:
        return
    directory = os.path.dirname(output) or "."
    problem = None
    if not os.path.exists(directory):
        problem = f"directory {directory} does not exist"
    elif not os.path.isdir(directory):
        problem = f"{directory} is not a directory"
    elif not os.access(directory, os.W_OK | os.X_OK):
        problem = f"directory {directory} is not writable"
    if problem:
        raise click.UsageError(f"--output {output}: {problem}")


def exit_status(summary: ScanSummary, fail_on: str | None) -> int:
    """1 when any input failed (the report is incomplete), else 11/10 when `--fail-on` is met, else 0."""
    if summary.errors:
        return EXIT_ERROR
    if fail_on is not None:
        if summary.decisions.get("reject", 0):
            return EXIT_REJECT
        if fail_on == "hold" and summary.decisions.get("hold", 0):
            return EXIT_HOLD
    return 0


@click.command("scan", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default=None,
              help="Report format. Default: from the --output suffix (.html, .jsonl, .csv, .parquet, .md, .json, "
                   ".txt for the table; another suffix is refused), else table.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to FILE instead of stdout (needed for --resume).")
@click.option("--all", "all_comments", is_flag=True, help="Report every comment, not only the flagged ones.")
# No exists=True: a missing --model/--policy is exit 1, as a broken one is and as check and serve do (not usage, 2).
@click.option("--model", "model_path", type=click.Path(), metavar="PATH", default=None,
              help="Model (its directory, card or .npz). Default: the shipped model in models/.")
@click.option("--policy", "policy_path", type=click.Path(), metavar="FILE", default=None,
              help="Policy TOML (thresholds, word lists; see docs/policy.md). Default: the shipped default policy "
                   "(the model card's thresholds, the shipped word lists, fail mode hold), as `moderation check` uses.")
@click.option("--text-column", default=None, help="Column (or JSON key) holding the comment text. Default: detected.")
@click.option("--id-column", default=None, help="Column holding the comment id.")
@click.option("--parent-column", default=None, help="Column holding the id of the comment replied to.")
@click.option("--thread-column", default=None, help="Column holding the thread (article) id or URL.")
@click.option("--author-column", default=None, help="Column holding the author.")
@click.option("--timestamp-column", default=None, help="Column holding the time of posting.")
@click.option("--title-column", default=None, help="Column holding the article title.")
@click.option("--format-in", "format_in", default=None, callback=_input_format, metavar="FORMAT",
              help=f"Input format when the file name does not say: {', '.join(INPUT_FORMATS)} "
                   "(or an alias: ndjson, txt, wordpress...).")
@click.option("--encoding", default=None, help="Input encoding. Default: detected (UTF-8 and common legacy ones).")
@click.option("-j", "--jobs", "n_jobs", type=int, default=1, show_default=True,
              help="Worker processes for scoring (-1: one per core). Local engine only.")
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
              help="Where chunks are scored: this machine, or a Dask cluster (--scheduler).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --engine dask).")
@click.option("--dask-read", type=click.Choice(DASK_READS), default=None,
              help="Who reads plain JSON Lines dumps with --engine dask: the workers (a range each; they must see "
                   "the same files), the client (this process, sending chunks), or auto [default]: the workers, "
                   "for the files every worker sees with the client's size and mtime.")
@click.option("--chunk-size", type=click.IntRange(min=1), default=DEFAULT_CHUNK_SIZE, show_default=True,
              help="Comments scored per batch (memory vs. overhead).")
@click.option("--fail-on", type=click.Choice(["hold", "reject"]), default=None,
              help="Exit 10 (hold) or 11 (reject) when comments with that decision or worse exist.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run with the same --output: finished inputs are skipped.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary on stderr (errors are still shown).")
def scan_command(inputs: tuple[str, ...], fmt: str | None, output: str | None, all_comments: bool,
                 model_path: str | None, policy_path: str | None, text_column: str | None, id_column: str | None,
                 parent_column: str | None, thread_column: str | None, author_column: str | None,
                 timestamp_column: str | None, title_column: str | None, format_in: str | None,
                 encoding: str | None, n_jobs: int, engine: str, scheduler: str | None, dask_read: str | None,
                 chunk_size: int, fail_on: str | None, resume: bool, quiet: bool) -> None:
    """Score every comment in INPUT... and report the flagged ones.

    INPUT is a saved page (.txt, .html), a comment dump (.csv, .jsonl, .json,
    Disqus or WordPress XML, optionally .gz), a directory (searched
    recursively) or - for stdin. Articles are never scored, only comments.

    \b
    The report (stdout, or --output FILE):
      table     flagged comments by thread, evidence highlighted, then a summary
      html      one self-contained page: summary, charts, filters, reply context
      md        the table as Markdown
      json, jsonl, csv, parquet
                one record per comment (source, thread, thread_title, comment_id,
                parent_id, depth, author, timestamp, quote, text, scores, labels,
                decision, evidence, reasons, model_version, line); the summary
                goes to stderr
    Unreadable records are printed to stderr as FILE:LINE: message and counted;
    the rest of the run goes on.

    \b
    Exit status:
      0   finished; nothing at or above --fail-on
      1   some input could not be read (the report covers everything else),
          or the model or policy could not be loaded (missing, unreadable
          or refused)
      2   usage error (a bad option or argument)
      10  --fail-on hold: comments held for a moderator exist
      11  --fail-on hold|reject: rejected comments exist

    \b
    Examples:
      moderation scan examples/
      moderation scan comments.csv --text-column body --format html -o report.html
      moderation scan dumps/ --all -o scores.jsonl -j 2            (resumable: add --resume)
      moderation scan dumps/ --engine dask --scheduler tcp://10.0.0.5:8786 -o scores.parquet
      cat new.jsonl | moderation scan - --fail-on reject --quiet
    """
    if fmt is None:
        fmt = format_from_output(output)
    check_output_dir(output)
    if resume and not output:
        raise click.UsageError("--resume needs --output FILE (the journal of finished inputs lives beside it)")
    if resume and "-" in inputs:
        raise click.UsageError("--resume cannot skip stdin (-): save it to a file first")
    if engine == "dask" and not scheduler:
        raise click.UsageError("--engine dask needs --scheduler ADDRESS (e.g. tcp://127.0.0.1:8786)")
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler is for --engine dask")
    if dask_read and engine != "dask":
        raise click.UsageError("--dask-read is for --engine dask")
    if engine == "dask" and n_jobs != 1:
        raise click.UsageError("-j is for the local engine; a Dask cluster's size is set by its workers")
    if n_jobs == 0 or n_jobs < -1:
        raise click.UsageError("-j must be a positive number of processes, or -1 for one per core")
    stdout_tty = sys.stdout.isatty()
    if report_class(fmt).binary and not output and stdout_tty:
        raise click.UsageError(f"{fmt} is binary: use --output FILE (or redirect stdout)")

    if engine == "local" and n_jobs != 1:
        start_workers(n_jobs)  # they start while this process loads the model
    moderator = _load(model_path, policy_path)
    columns = _columns(text=text_column, id=id_column, parent=parent_column, thread=thread_column,
                       author=author_column, timestamp=timestamp_column, title=title_column)

    progress = not quiet and sys.stderr.isatty()

    def on_error(error: ReadError) -> None:
        # Neutralised as in the reports: the message quotes the dump (a key name, a value), and an
        # ESC there cleared the moderator's screen, a newline forged a second FILE:LINE: line.
        if progress:  # on its own line, not glued to the bar (see moderation.scan_progress)
            write_line(line_safe(str(error)))
        else:
            click.echo(line_safe(str(error)), err=True)

    client = _connect(scheduler) if engine == "dask" else None  # before the journal: see _connect
    journal = None
    restored, restored_errors = ScanSummary(), []
    if output:
        options = {"inputs": list(inputs), "all": all_comments, "context": report_class(fmt).needs_context,
                   "model_version": getattr(moderator, "version", None), "policy": policy_path}
        journal = ScanJournal(output, options)
        if resume and journal.exists():
            try:
                restored, restored_errors = journal.load()
            except JournalError as exc:
                raise ScanError(str(exc)) from None
            if not quiet:
                click.echo(f"resuming: {len(journal.finished)} finished input(s) skipped "
                           f"({restored.comments:,} comments)", err=True)
            for error in restored_errors:
                on_error(error)
        elif resume and not quiet:
            click.echo(f"nothing to resume for {output}: starting afresh", err=True)
        try:
            journal.start(resume=resume and bool(journal.finished))
        except OSError as exc:  # what check_output_dir cannot foresee (a read-only mount, a full disk, root on /sys)
            raise ScanError(f"cannot create the resume journal beside {output}: {exc}") from None

    stdin = sys.stdin.buffer if "-" in inputs else None
    result = scan(inputs, moderator, format=format_in, encoding=encoding, columns=columns, stdin=stdin,
                  chunk_size=chunk_size, n_jobs=n_jobs, engine=engine, scheduler=client,
                  dask_read=dask_read or "auto", skip_sources=set(journal.finished) if journal else (),
                  progress=progress, on_error=on_error)
    try:
        with _batch_gc(), (logging_around_bar() if progress else nullcontext()):
            summary = _run(result, journal, fmt, output, all_comments, stdout_tty, restored, restored_errors,
                           progress)
    except KeyboardInterrupt:
        if journal is not None:
            journal.close()
            click.echo(f"\ninterrupted: rerun the same command with --resume to continue", err=True)
        sys.exit(130)
    except JournalError as exc:
        raise ScanError(str(exc)) from None
    if not quiet and (output or not report_class(fmt).summary_in_output):
        click.echo(format_summary(summary), err=True, nl=False)
    sys.exit(exit_status(summary, fail_on))


def _run(result, journal: ScanJournal | None, fmt: str, output: str | None, all_comments: bool, stdout_tty: bool,
         restored: ScanSummary, restored_errors: list[ReadError], progress: bool = False) -> ScanSummary:
    """Stream the records to the report on stdout, or to the journal and then to the output file.

    A report streamed to the terminal the progress bar is on is written
    around the bar (`LinesAroundBar`), so its lines never share one with it.
    Returns the run's summary (with a journal: the resumed inputs' and this run's together)."""
    if journal is None:
        out = sys.stdout.buffer if report_class(fmt).binary else sys.stdout
        if progress and stdout_tty and not report_class(fmt).binary:
            out = LinesAroundBar(out)
        color = fmt == "table" and stdout_tty and "NO_COLOR" not in os.environ
        titles: dict[tuple[str, str], str] = {}  # filled as the records are read (see _stream)
        report = open_report(fmt, out, color=color, all_comments=all_comments, titles=titles)
        _stream(result, report, all_comments, titles)
        for error in result.errors:
            report.add_error(error)
        report.finish(result.summary)
        out.flush()
        return result.summary
    _journal(result, journal, all_comments, report_class(fmt).needs_context)
    journal.close()
    summary = ScanSummary()
    summary.merge(restored)
    summary.merge(result.summary)
    _write_output(journal, fmt, output, summary, [*restored_errors, *result.errors], all_comments)
    journal.remove()
    return summary


def _stream(result, report, all_comments: bool, titles: dict[tuple[str, str], str] | None = None) -> None:
    """The records to `report` as they are scored, in input order.

    A report with reply context is given every record's thread title first
    (`titles`, the dict it was opened with): a thread's heading is printed
    from the first title any of its comments read so far carries, an allowed
    one included, not only from the reported comment's own. One title per
    thread, as the summary keeps.
    """
    context = ReplyContext() if report.needs_context else None
    add_lines = getattr(report, "add_lines", None)
    if add_lines is not None:  # JSON Lines: encoded where the chunks are scored
        for data in result.json_lines(all_comments):
            add_lines(data)
        return
    if context is None:  # one call per chunk, not per record
        add_all = report.add_all
        for batch in result.batches():
            records = [r for r in batch if type(r) is dict and (all_comments or r["decision"] != "allow")]
            if records:
                add_all(records)
        return
    if titles is None:
        titles = {}
    for record in result:
        if record["thread_title"]:
            note_title(titles, record)
        if all_comments or record["decision"] != "allow":
            report.add(record, context.parent_of(record))
        context.remember(record)


def _journal(result, journal: ScanJournal, all_comments: bool, needs_context: bool) -> None:
    """Records to the journal; each input is marked finished once all its records are in.

    Without reply context the journal's lines are encoded where the chunks
    are scored (with workers, this process only writes them); a report with
    context adds each record's parent first, which needs the records here.
    """
    if not needs_context:
        for item in result.json_lines(all_comments, input_ends=True):
            if type(item) is bytes:
                journal.write_lines(item)
            else:
                journal.finish_input(item.source, item.summary, item.errors)
        return
    context = ReplyContext()
    for batch in result.batches(input_ends=True):
        records = []
        for item in batch:
            kind = type(item)
            if kind is dict:
                if all_comments or item["decision"] != "allow":
                    records.append({**item, "_parent": context.parent_of(item)})
                context.remember(item)
            elif kind is InputDone:
                journal.write_all(records)
                records = []
                journal.finish_input(item.source, item.summary, item.errors)
        journal.write_all(records)


def _write_output(journal: ScanJournal, fmt: str, output: str, summary: ScanSummary, errors: list[ReadError],
                  all_comments: bool) -> None:
    """Turn the journal into the report; JSONL is the journal's own format, so it is just renamed.

    `errors` are the whole run's read errors in input order (the resumed
    inputs' first), for the formats that list them.
    """
    if fmt == "jsonl":
        os.replace(journal.records_path, output)
        return
    cls = report_class(fmt)
    with open(output, "wb" if cls.binary else "w", **({} if cls.binary else {"encoding": "utf-8", "newline": ""})) as out:
        # Written after the run: every heading can be the thread's title from the whole run's summary.
        report = cls(out, color=False, all_comments=all_comments, titles=summary.thread_titles)
        for record in journal.records():
            parent = record.pop("_parent", None)
            report.add(record, parent)
        for error in errors:
            report.add_error(error)
        report.finish(summary)
