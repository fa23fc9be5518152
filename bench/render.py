"""Benchmark: our render pipeline against bare WeasyPrint on the same HTML, 10 and 40 pages.

Run with `make bench`. Prints medians, the ratio (goal ≤ 1.10) and the peak memory of a render
process. Both sides run in this machine, in this run: the ratio is what counts, not the seconds.
"""

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.documents.pdf import ASSET_BASE, AssetFetcher
from app.documents.rendering import RenderJob, render_html
from app.documents.workers import WorkerPool
from app.templates.service import shipped
from bench.sample import context, saved_context

RUNS = 9
TEMPLATE = "coordinacion"


def bare(html: str, css: str) -> bytes:
    """WeasyPrint alone, with the same fonts and stylesheet, in this process."""
    fonts = FontConfiguration()
    fetcher = AssetFetcher()
    stylesheet = CSS(string=css, base_url=ASSET_BASE, url_fetcher=fetcher, font_config=fonts)
    return HTML(string=html, base_url=ASSET_BASE, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=fonts
    )


def paired_medians(
    first: Callable[[], object], second: Callable[[], object]
) -> tuple[float, float]:
    """Median seconds of each, the two run alternately so that drift in the machine's speed
    (other processes, CPU frequency) falls on both alike."""
    first(), second()  # warm-up
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(RUNS):
        for work, times in ((first, timings[0]), (second, timings[1])):
            started = time.perf_counter()
            work()
            times.append(time.perf_counter() - started)
    return statistics.median(timings[0]), statistics.median(timings[1])


_PEAK = """
import pickle, resource, sys
sys.path.insert(0, {root!r})
from app.documents.pdf import render_pdf
from app.templates.service import shipped
source = shipped()[{key!r}][1]
context = pickle.loads(open({context!r}, "rb").read())
render_pdf(source.html, source.css, context, max_pages=500)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def peak_memory_mb(clauses: int, paragraphs: int) -> int:
    """A fresh interpreter renders the context (built here, pickled) as a worker would."""
    code = _PEAK.format(
        root=str(Path(__file__).resolve().parent.parent),
        key=TEMPLATE,
        context=str(saved_context(clauses, paragraphs)),
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    return int(done.stdout.strip())


def main() -> None:
    shipped_source = shipped()[TEMPLATE][1]
    source, css = shipped_source.html, shipped_source.css
    pool = WorkerPool(size=1, timeout=300, memory_mb=2048, preload=["app.documents.pdf"])
    print(
        f"{'convenio':>10} {'pages':>5} {'bare WeasyPrint':>16} {'our pipeline':>13} "
        f"{'ratio':>6} {'goal':>6} {'peak MB':>8}"
    )
    try:
        for target, clauses, paragraphs in (("10 pages", 21, 1), ("40 pages", 62, 4)):
            ctx = context(clauses, paragraphs)
            html = render_html(source, ctx)
            job = RenderJob(source, css, ctx, max_pages=500)
            pages = pool.run(job).pages
            baseline, ours = paired_medians(
                lambda html=html: bare(html, css), lambda job=job: pool.run(job)
            )
            ratio = ours / baseline
            print(
                f"{target:>10} {pages:>5} {baseline:>15.3f}s {ours:>12.3f}s {ratio:>6.2f} "
                f"{'≤1.10':>6} {peak_memory_mb(clauses, paragraphs):>8}"
            )
    finally:
        pool.close()


if __name__ == "__main__":
    main()
