"""Command line: ``sfp build`` (what ``make build`` runs), ``sfp status``, and questions to the
catalog: ``sfp search``, ``sfp mentions``, ``sfp treaties``.

Errors are one clear line with what to do; Dagster's own logs go to
``.dagster_home/build.log`` (or the terminal with ``--verbose``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path


def _settings(args):
    from pipelines.settings import load_settings

    if getattr(args, "raw_dir", None):
        os.environ["RAW_DIR"] = args.raw_dir
    if getattr(args, "output_dir", None):
        os.environ["OUTPUT_DIR"] = args.output_dir
    return load_settings()


def _quiet_dagster(verbose: bool) -> Path:
    """Dagster's own messages go to $DAGSTER_HOME/build.log (and the terminal with --verbose)."""
    from pipelines.build import ensure_dagster_home

    home = ensure_dagster_home()
    log = home / "build.log"
    if not verbose:
        handler = logging.FileHandler(log, mode="a", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        root = logging.getLogger("dagster")
        root.handlers = [handler]
        root.propagate = False
    return log


STAGES = {
    "parse_sources": "parse sources",
    "per_source_checks": "check per-source tables",
    "extracted_tables": "entities and treaties",
    "corpus_checks": "check corpus tables",
    "catalog": "write corpus.duckdb",
}


class StageBars:
    """One progress bar per build stage on stderr (quiet when stderr is not a terminal).

    Redrawn at each progress event, without rich's refresh thread: a build process with no
    thread can ``fork`` its parse workers (cheap: nothing imported again), see
    ``pipelines.publish.process_pool``."""

    def __init__(self):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(stderr=True), transient=False, auto_refresh=False,
        )
        self.tasks: dict[str, int] = {}

    def __call__(self, event: str, stage: str, done: int | None, total: int | None) -> None:
        label = STAGES.get(stage, stage)
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(label, total=total or 1)
        task = self.tasks[stage]
        if event == "advance":
            self.progress.update(task, completed=done, total=total)
        elif event == "finished":
            t = self.progress.tasks[self.tasks[stage]]
            self.progress.update(task, completed=t.total)
        elif event == "failed":
            self.progress.update(task, description=f"{label} (FAILED)")
        self.progress.refresh()


def cmd_build(args) -> int:
    settings = _settings(args)
    if not settings.raw_dir.is_dir():
        print(f"error: raw directory not found: {settings.raw_dir} (set RAW_DIR=... to the folder of raw files)")
        return 2
    log = _quiet_dagster(args.verbose)
    print(f"Building from {settings.raw_dir} into {settings.output_dir} ...", flush=True)
    from pipelines import progress
    from pipelines.build import BuildLocked, _catalog_counts, run_build

    before = _catalog_counts(settings)
    bars = StageBars()
    progress.listen(bars)
    try:
        with bars.progress:
            report = run_build(settings, force=args.force, verbose=args.verbose)
    except BuildLocked as e:
        print(f"error: {e}")
        return 3
    finally:
        progress.clear()
    if report.status == "up_to_date":
        print(f"Up to date: no source or code changed since the last build ({report.seconds:.1f}s).")
    else:
        ch = report.sources
        print(f"{report.status} in {report.seconds:.1f}s")
        for what in ("added", "changed", "removed"):
            ids = ch.get(what, [])
            if ids:
                shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
                print(f"  sources {what}: {len(ids)} ({shown})")
    if report.rows:
        width = max(len(t) for t in report.rows)
        print(f"  {'table':<{width}}  {'rows':>8}  {'change':>8}")
        for t, n in report.rows.items():
            delta = n - before.get(t, 0) if before else n
            print(f"  {t:<{width}}  {n:>8}  {delta:>+8}")
    for sid, reason in report.rejected.items():
        print(f"  rejected {sid}: {reason}")
    if report.status != "up_to_date":
        print(f"checks: {report.checks_passed} passed, {len(report.checks_failed)} failed")
        for name in report.checks_failed:
            print(f"  FAILED {name}")
        print(f"outputs: {settings.parquet_dir}/ and {settings.catalog_path} (Dagster log: {log})")
    if report.status == "failed":
        return 1
    if settings.publish_uri:
        return _mirror(settings, settings.publish_uri)
    return 0


def _mirror(settings, uri: str) -> int:
    from pipelines.build import BuildLocked, build_lock
    from pipelines.mirror import MirrorError, mirror

    try:
        with build_lock(settings):  # never copy a build that is being written
            r = mirror(settings.output_dir, uri)
    except (MirrorError, BuildLocked) as e:
        print(f"error: {e}")
        return 1
    print(f"mirrored to {uri}: {len(r.uploaded)} files uploaded ({r.bytes_uploaded / 1e6:.1f} MB), "
          f"{r.unchanged} unchanged, {len(r.deleted)} deleted")
    return 0


def cmd_mirror(args) -> int:
    settings = _settings(args)
    uri = args.uri or settings.publish_uri
    if not uri:
        print("error: give a target (sfp mirror s3://bucket/prefix) or set PUBLISH_URI")
        return 2
    return _mirror(settings, uri)


def cmd_status(args) -> int:
    settings = _settings(args)
    from pipelines import storage

    sources = storage.read_table(settings.parquet_dir, "sources")
    if sources.height == 0:
        print(f"No dataset in {settings.output_dir} yet: run `make build`.")
        return 1
    for r in sources.sort("source_id").iter_rows(named=True):
        state = r["status"] if r["status"] == "ok" else f"rejected: {r['reject_reason']}"
        print(f"{r['source_id']:<32} {r['format'] or '-':<15} {r['encoding'] or '-':<8} {state}")
    from pipelines.build import _catalog_counts

    for t, n in _catalog_counts(settings).items():
        print(f"  {t:<16} {n:>8}")
    return 0


def _query(args, sql: str, params: list, empty: str) -> int:
    """Run a catalog macro and print its rows as a table."""
    settings = _settings(args)
    if not settings.catalog_path.exists():
        print(f"No catalog at {settings.catalog_path}: run `make build` first.")
        return 1
    from pipelines.catalog import connect

    con = connect(settings.catalog_path)
    try:
        rel = con.execute(sql, params)
        rows = rel.fetchall()
        names = [d[0] for d in rel.description]
    finally:
        con.close()
    if not rows:
        print(empty)
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(*names, show_lines=False, header_style="bold")
    for r in rows:
        table.add_row(*["" if v is None else str(v) for v in r])
    Console(width=args.width).print(table)
    return 0


def cmd_search(args) -> int:
    sql = ("SELECT source_id, title AS document, page, round(score, 2) AS score, left(text, 160) AS text "
           "FROM search(?, all_words := true) LIMIT ?")
    return _query(args, sql, [args.query, args.limit], f"No paragraph matches {args.query!r}.")


def cmd_mentions(args) -> int:
    sql = (
        "SELECT entity, surface, source_id, page, "
        "'…' || substr(text, greatest(char_start - 60, 1), char_end - char_start + 120) || '…' AS context "
        "FROM mentions_of(?) LIMIT ?"
    )
    return _query(args, sql, [args.name, args.limit], f"No entity named {args.name!r} (try part of the name).")


def cmd_treaties(args) -> int:
    sql = (
        "SELECT name, treaty_type AS type, array_to_string(parties, ', ') AS parties, date_signed, place_signed, "
        "array_to_string(list_transform(events, e -> e.event || ' ' || coalesce(CAST(e.date AS VARCHAR), '?')), '; ') "
        "AS events FROM treaties_of(?) ORDER BY date_signed NULLS LAST LIMIT ?"
    )
    return _query(args, sql, [args.state, args.limit], f"No treaties found for {args.state!r}.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfp", description="Soviet foreign policy dataset builder")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the dataset (only what changed)")
    b.add_argument("--raw-dir", help="raw directory (default: $RAW_DIR or ../shared/corpus)")
    b.add_argument("--output-dir", help="output directory (default: $OUTPUT_DIR or outputs/)")
    b.add_argument("--force", action="store_true", help="re-parse every source")
    b.add_argument("--verbose", action="store_true", help="show Dagster's logs")
    b.set_defaults(func=cmd_build)
    m = sub.add_parser("mirror", help="copy the built dataset to object storage (s3://, gs://, a path ...)")
    m.add_argument("uri", nargs="?", help="target (default: $PUBLISH_URI)")
    m.add_argument("--output-dir", help="output directory (default: $OUTPUT_DIR or outputs/)")
    m.set_defaults(func=cmd_mirror)
    s = sub.add_parser("status", help="sources, their state and row counts")
    s.add_argument("--output-dir")
    s.set_defaults(func=cmd_status)
    for name, func, arg, help_ in (
        ("search", cmd_search, "query", "full-text search over paragraphs (BM25), e.g. 'treaty of rapallo'"),
        ("mentions", cmd_mentions, "name", "every mention of an entity, by name or alias, e.g. Chicherin"),
        ("treaties", cmd_treaties, "state", "the treaties of a state with parties, dates and events, e.g. Germany"),
    ):
        q = sub.add_parser(name, help=help_)
        q.add_argument(arg)
        q.add_argument("--limit", type=int, default=20)
        q.add_argument("--width", type=int, default=160, help="table width in characters")
        q.add_argument("--output-dir")
        q.set_defaults(func=func)
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except KeyboardInterrupt:
        print("interrupted")
        code = 130
    except Exception as e:  # one clear line, never a traceback
        if getattr(args, "verbose", False):
            raise
        print(f"error: {type(e).__name__}: {e} (run with --verbose for details)")
        code = 1
    if argv is None:  # the process's command (the `sfp` script, python -m pipelines.cli), not a call
        exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown: after a build it spends ~0.5 s
    freeing the ~1,700 modules and 240,000 objects it holds (a tenth of a 1x build). Everything
    is written and closed by now (published files are ``os.replace``d); logs and stdio are
    flushed first."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
