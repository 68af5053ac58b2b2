"""`make bench` / `python -m bench [NAME…]`: run every benchmark (or the named ones) with its default options, one
after the other, each printing its figures and ratios. Options per benchmark: `python -m bench.<name> --help`."""

import importlib
import sys

BENCHMARKS = ("pdf_render", "hl7_ingest", "diffusion_send", "fiche_search", "trial_prescreen", "identity_matching")


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        print(f"=== bench.{name} ===", flush=True)
        status |= importlib.import_module(f"bench.{name}").main([]) or 0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
