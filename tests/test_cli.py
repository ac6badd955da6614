"""The README's one-command questions, run as a newcomer would (against the shared build)."""

import os
import subprocess
import sys

from conftest import ROOT


def sfp(out, *args: str) -> str:
    env = {**os.environ, "OUTPUT_DIR": str(out)}
    proc = subprocess.run([sys.executable, "-m", "pipelines.cli", *args, "--width", "250"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.stdout


def test_search_ranks_the_rapallo_paragraphs_first(corpus_build):
    text = sfp(corpus_build[0], "search", "treaty of rapallo", "--limit", "3")
    assert text.count("Rapallo") >= 3  # every one of the top three paragraphs names it


def test_mentions_of_chicherin_in_every_spelling(corpus_build):
    text = sfp(corpus_build[0], "mentions", "Chicherin", "--limit", "200")
    assert "Georgy Chicherin" in text
    assert "G. V. Chicherin" in text  # the initials form of 000 resolves to the same person


def test_treaties_of_germany_with_dates(corpus_build):
    text = sfp(corpus_build[0], "treaties", "Germany", "--limit", "100")
    assert "Treaty of Rapallo" in text and "1922-04-16" in text
    assert "Treaty of Brest-Litovsk" in text and "1918-03-03" in text


def test_unknown_name_is_a_clear_line(corpus_build):
    assert "No entity named 'Zzyzx'" in sfp(corpus_build[0], "mentions", "Zzyzx")


def test_progress_bars_run_no_thread_so_parse_workers_can_fork():
    """The build forks its parse workers only when it runs no other thread (publish.process_pool);
    the command line's progress bars are drawn at each event, without rich's refresh thread."""
    import threading

    from pipelines.cli import StageBars

    bars = StageBars()
    with bars.progress:
        bars("started", "parse_sources", None, None)
        bars("advance", "parse_sources", 1, 2)
        assert threading.active_count() == 1
        bars("finished", "parse_sources", None, None)
    assert bars.progress.tasks[0].completed == 2
