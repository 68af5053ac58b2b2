"""Pre-screening benchmark: `.venv/bin/python -m bench.trial_prescreen [--cases 1000] [--trials 300] [--seed 1]`.

The matching engine (`oncodcc.trials.matching.check`) on `--cases` generated cases against `--trials` open trials
built from the demo registry's criteria (organs, topographies, stages, lines, biomarker conditions, bounds), with
random variations. Printed: milliseconds per case (all trials checked) median / p95 / max, and how many trials a
case is shown on average. No database: this is the part that grows with the registry; reading a case
(`facts_for`) is a handful of queries whatever the registry's size."""

import argparse
import os
import random
import statistics
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oncodcc.settings")
    os.environ.setdefault("DCC_DEBUG", "1")
    import django

    django.setup()


def build(cases: int, trials: int, seed: int):
    from oncodcc.demo.trials import TRIALS
    from oncodcc.trials.matching import CaseFacts
    from oncodcc.trials.models import Trial

    rng = random.Random(seed)
    registry = []
    for n in range(trials):
        demo = TRIALS[n % len(TRIALS)]
        registry.append(Trial(
            eu_ct_number=f"2099-6{n:05d}-10-00", title=demo.title, organs=list(demo.organs),
            topographies=list(demo.topographies), morphologies=list(demo.morphologies), stages=list(demo.stages),
            lines=list(demo.lines), biomarkers=list(demo.biomarkers),
            min_age=rng.choice([None, 18, 18, 65, 70]), max_age=rng.choice([None, None, 75, 80]),
            max_performance_status=rng.choice([None, 1, 2]), other_criteria=demo.other))
    organs = sorted({o for t in TRIALS for o in t.organs})
    topographies = ["C50.4", "C34.1", "C18.7", "C20.9", "C61.9", "C56.9", "C25.0", "C71.1", "C43.5"]
    stages = sorted({s for t in TRIALS for s in t.stages})
    answers = {}
    for demo in TRIALS:
        for text in demo.biomarkers:
            item, _, value = text.replace("!=", "=").replace(">=", "=").replace("<=", "=").partition("=")
            answers.setdefault(item, set()).update(value.split(","))
    facts = []
    for _ in range(cases):
        facts.append(CaseFacts(
            age=rng.choice([None, *range(20, 95)]), performance_status=rng.choice([None, 0, 1, 2, 3]),
            organs=frozenset(rng.sample(organs, 1)), organs_from_board=rng.random() < 0.3,
            topographies=tuple(rng.sample(topographies, rng.randint(0, 2))),
            morphologies=tuple(rng.sample(["8500/3", "8140/3", "8070/3", "8310/3"], rng.randint(0, 1))),
            stage=rng.choice(["", *stages]), line=rng.choice([None, "1", "2+"]),
            biomarkers={item: rng.choice(["", "en_cours", *sorted(values)]) for item, values in answers.items()
                        if rng.random() < 0.5},
        ))
    return registry, facts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.trial_prescreen", description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    _setup()
    from oncodcc.trials.matching import TrialMatch, check

    registry, facts = build(args.cases, args.trials, args.seed)
    for trial in registry:  # parse each trial's conditions once, as a long-lived process would after the first case
        trial.conditions()
    timings, shown = [], 0
    for case in facts:
        started = time.perf_counter()
        matches = [TrialMatch(trial, check(trial, case)) for trial in registry]
        timings.append((time.perf_counter() - started) * 1000)
        shown += sum(match.shown for match in matches)
    timings.sort()
    print(f"{args.cases} cas × {args.trials} essais : médiane {statistics.median(timings):.2f} ms par cas, "
          f"p95 {timings[int(len(timings) * 0.95) - 1]:.2f} ms, max {timings[-1]:.2f} ms ; "
          f"{shown / args.cases:.1f} essais affichés par cas en moyenne")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
