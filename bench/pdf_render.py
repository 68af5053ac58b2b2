"""PDF rendering benchmark: `.venv/bin/python -m bench.pdf_render [--runs N]`.

Builds a validated 2-page fiche RCP in a throw-away test database (SQLite in memory unless DATABASE_URL says
otherwise), then measures per fiche, after a warm-up:
  * ours: `render_fiche_pdf(fiche)` end to end (database reads, template, header, PDF/A-3b);
  * ours, PDF only: `html_to_pdf(html)` on the already-rendered HTML (cached stylesheet, PDF/A-3b);
  * bare WeasyPrint: `HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])` on the same HTML.
Time is the median wall-clock time; peak memory is tracemalloc's peak of Python allocations during one render
(a separate pass: tracing slows the code), plus the process's maximum RSS at the end."""

import argparse
import logging
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    setup_test_environment()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    return connection, old_name


def timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def peak_memory(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def pages(data: bytes) -> str:
    try:
        binary = shutil.which("pdfinfo") or "/usr/bin/pdfinfo"
        out = subprocess.run([binary, "-"], input=data, capture_output=True, check=True, timeout=30).stdout  # noqa: S603
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return next((line.split()[-1] for line in out.decode().splitlines() if line.startswith("Pages:")), "?")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", help="also write the PDF here")
    parser.add_argument("--no-logo", action="store_true", help="no organisation header logo")
    args = parser.parse_args(argv)

    connection, old_name = setup_django()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # per-step progress messages
    try:
        from weasyprint import CSS, HTML

        from bench import sample
        from oncodcc.documents.pdf import renderer

        fiche = sample.build(logo=not args.no_logo)
        html = renderer.fiche_html(fiche)
        css = renderer.STYLESHEET.read_text(encoding="utf-8")

        def ours():
            return renderer.render_fiche_pdf(fiche)

        def ours_pdf_only():
            return renderer.html_to_pdf(html)

        def bare():
            return HTML(string=html).write_pdf(stylesheets=[CSS(string=css)])

        data = ours()
        if args.out:
            with open(args.out, "wb") as out:
                out.write(data)
        for fn in (ours, ours_pdf_only, bare):  # warm-up: fonts, Pango, caches
            fn()
        results = {}
        for name, fn in (("ours (render_fiche_pdf)", ours), ("ours, PDF step only", ours_pdf_only),
                         ("bare WeasyPrint", bare)):
            times = timed(fn, args.runs)
            results[name] = (statistics.median(times), min(times), max(times), peak_memory(fn))

        print(f"Fiche: {pages(data)} pages, {len(data) / 1024:.0f} KiB, PDF/A-3b; HTML {len(html) / 1024:.0f} KiB; "
              f"{args.runs} runs each after warm-up")
        print(f"{'':26} {'median':>9} {'min':>9} {'max':>9} {'peak mem (py)':>14}")
        for name, (median, low, high, peak) in results.items():
            print(f"{name:26} {median * 1000:7.0f} ms {low * 1000:6.0f} ms {high * 1000:6.0f} ms "
                  f"{peak / 1024 / 1024:11.1f} MiB")
        ours_t, bare_t = results["ours (render_fiche_pdf)"][0], results["bare WeasyPrint"][0]
        pdf_t = results["ours, PDF step only"][0]
        print(f"ratio ours / bare: {ours_t / bare_t:.2f}× (PDF step only: {pdf_t / bare_t:.2f}×); "
              f"target ≤ 1.5× and < 0.5 s: {'OK' if ours_t / bare_t <= 1.5 and ours_t < 0.5 else 'NOT MET'}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process max RSS: {rss:.0f} MiB")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
