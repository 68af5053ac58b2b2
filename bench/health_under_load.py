"""`/health` while the server is busy: `python -m bench.health_under_load http://127.0.0.1:8765 [--clients 24]`.

Against a server already running (`make run`, or `scripts/run.sh` with PORT=…): CLIENTS threads request a page
(default: the login page and the FHIR CapabilityStatement, in turn) back to back for DURATION seconds; meanwhile
one probe asks `/health` every 0.2 s. Printed: the pages' throughput and p50/p95, and `/health`'s p50/p95/max —
the figure a load balancer sees. Run it once per server configuration (e.g. WEB_WORKERS=3 WEB_THREADS=1 for the
former three sync workers) and compare.
"""

import argparse
import statistics
import sys
import threading
import time
import urllib.request

PAGES = ("/comptes/connexion/", "/fhir/metadata")


def _get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 — main() accepts only http(s)
        response.read()
    return (time.perf_counter() - started) * 1000


def _percentiles(times: list[float]) -> str:
    if not times:
        return "no answer"
    times = sorted(times)
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return f"p50 {statistics.median(times):6.1f} ms, p95 {p95:6.1f} ms, max {times[-1]:6.1f} ms"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8765")
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args(argv)
    base = args.base.rstrip("/")
    if not base.startswith(("http://", "https://")):
        parser.error("the server's address starts with http:// or https://")
    stop = time.monotonic() + args.duration
    pages: list[float] = []
    health: list[float] = []
    errors = []

    def client(n: int) -> None:
        i = n
        while time.monotonic() < stop:
            try:
                pages.append(_get(base + PAGES[i % len(PAGES)]))
            except Exception as exc:  # counted and shown: an error under load is a result
                errors.append(exc.__class__.__name__)
            i += 1

    def probe() -> None:
        while time.monotonic() < stop:
            try:
                health.append(_get(base + "/health"))
            except Exception as exc:
                errors.append(f"health: {exc.__class__.__name__}")
            time.sleep(0.2)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    threads.append(threading.Thread(target=probe))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"{args.clients} clients for {args.duration:.0f} s: {len(pages) / args.duration:.1f} pages/s, "
          f"pages {_percentiles(pages)}")
    print(f"/health ({len(health)} probes): {_percentiles(health)}")
    print(f"errors: {len(errors)} {sorted(set(errors))}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
