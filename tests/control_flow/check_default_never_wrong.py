"""Across every control-flow pattern, config/default.json never exits 0 with a
model that differs from eager PyTorch (issue 10, "Done means").

    /usr/bin/python3 check_default_never_wrong.py RESULTS_DIR

Reads RESULTS/NAME.json, written by run_case.py for each declared pattern (the
ctest runs them first, as a fixture), prints the counts of the default
config's outcomes (exported soundly / refused with exit 1 / wrong) and of each
strategy's, and fails when a pattern has no result or the default config's
outcome is anything but exported or refused.
"""
import json
import os
import sys

from cflib import OUTCOMES, STRATEGIES, load_cases


def main():
    results = sys.argv[1]
    cases = load_cases()
    problems, default_counts = [], {o: 0 for o in OUTCOMES}
    strategy_counts = {s: {o: 0 for o in OUTCOMES} for s in STRATEGIES}
    for name in cases:
        path = os.path.join(results, name + ".json")
        if not os.path.exists(path):
            problems.append("%s: no result (%s): its ctest did not run or crashed" % (name, path))
            continue
        with open(path) as f:
            result = json.load(f)
        default = result["default"]
        default_counts[default["outcome"]] = default_counts.get(default["outcome"], 0) + 1
        for strategy, outcome in result["actual"].items():
            strategy_counts[strategy][outcome] = strategy_counts[strategy].get(outcome, 0) + 1
        if default["outcome"] not in ("exported", "refused"):
            problems.append("%s: config/default.json: exit 0 with a %s model (%s): %s" % (
                name, default["outcome"], default.get("chosen_strategy", ""), default["detail"]))
    print("config/default.json on %d patterns: %d exported soundly, %d refused (exit 1), %d wrong, %d unsound" % (
        len(cases), default_counts["exported"], default_counts["refused"], default_counts["wrong"],
        default_counts["unsound"]))
    for strategy in STRATEGIES:
        c = strategy_counts[strategy]
        print("  %-13s alone: %d exported, %d unsound, %d refused, %d wrong" % (
            strategy, c["exported"], c["unsound"], c["refused"], c["wrong"]))
    if problems:
        print("\n".join(["", "FAILED:"] + problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
