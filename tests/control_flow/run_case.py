"""One control-flow pattern end to end (one ctest each, label control_flow).

    /usr/bin/python3 run_case.py NAME --onnxport BIN --config CONFIG --work DIR --results DIR

1. Checks the pattern's declaration: its path inputs execute every line of
   forward (but the declared unreachable ones) and give every dynamic dim at
   least two sizes.
2. Writes the program bundle with torch2program (the first path input is the
   example; the declared dims are dynamic).
3. Exports it with the config (all strategies, in the config's order) and runs
   the model in ONNX Runtime on every path input, comparing with eager PyTorch.
4. Exports it with each strategy alone (`--strategies X --allow-unsound
   --mutations-as-outputs`, so an unsound capture still gives a model to
   judge, and in-place updates are checked as `.updated` outputs; the default
   config's model must have forward's outputs only) and judges the outcome:
   "refused" (no model), "unsound" (the report says it is not sound),
   "wrong" (the report says sound, or the export exited 0 under the default
   config, but the model is wrong or fails on some path input) or "exported".
5. Writes RESULTS/NAME.json (read by scripts/gen_strategy_table.py and
   check_default_never_wrong.py) and fails when an outcome differs from the
   declared one, and always when the default config's outcome is "wrong".
"""
import argparse
import json
import os
import shutil
import sys
import time

import torch

from cflib import (EXPORTED, ONNX_DTYPES, REFUSED, STRATEGIES, UNSOUND, WRONG, Tools, compare, dynamic_sizes,
                   failure_reason, flatten_named_args, forward_parameter_names, load_cases, onnx_signature,
                   read_report, read_safetensors, run_eager, uncovered_lines, write_bundle, write_safetensors)


class Eager:
    """Eager PyTorch on every path input: forward's outputs, the values after
    forward of the buffers and inputs it updates in place (on any path input),
    and the lines of forward executed."""

    def __init__(self, module, paths):
        runs = [run_eager(module, args) for args in paths]
        mutated = set().union(*(changed for _, _, changed, _ in runs))
        self.expected = [outputs for outputs, _, _, _ in runs]
        self.updated = [{n: after[n] for n in mutated} for _, after, _, _ in runs]
        self.executed = set().union(*(executed for _, _, _, executed in runs))


def check_declaration(case, module, paths, eager):
    problems = ["path inputs never execute line %s of forward" % line
                for line in uncovered_lines(module, eager.executed, case.unreachable)]
    for dim, sizes in dynamic_sizes(case, paths).items():
        if len(sizes) < 2:
            problems.append("dynamic dim %s takes only the size(s) %s on the path inputs" % (dim, sorted(sizes)))
    return problems


class Judge:
    """Runs exported models in ONNX Runtime on the path inputs and decides the outcome."""

    def __init__(self, tools, work, names, paths, eager):
        self.tools, self.work = tools, work
        self.with_updates = True  # whether the export asked for `.updated` outputs
        self.path_values = [flatten_named_args(names, args) for args in paths]
        self.eager = eager

    def feeds(self, model, index):
        """The path input's values under the model's input names and dtypes."""
        inputs, _, _ = onnx_signature(model)
        values = self.path_values[index]
        feeds = {}
        for name, elem in inputs:
            if name not in values:
                return None, "the model has an input %r that forward's arguments do not give" % name
            value = values[name]
            dtype = ONNX_DTYPES.get(elem)
            feeds[name] = value.to(dtype) if dtype is not None else value
        return feeds, None

    def run_paths(self, model, tag):
        """None when the model matches eager on every path input, else why not."""
        _, output_names, _ = onnx_signature(model)
        for i, (expected, updated) in enumerate(zip(self.eager.expected, self.eager.updated)):
            feeds, problem = self.feeds(model, i)
            if problem:
                return problem
            inputs = os.path.join(self.work, "%s-path%d-in.safetensors" % (tag, i))
            outputs = os.path.join(self.work, "%s-path%d-out.safetensors" % (tag, i))
            write_safetensors(inputs, feeds)
            cmd, proc = self.tools.ort(model, inputs, outputs)
            if proc.returncode != 0:
                return "path input %d: ONNX Runtime failed: %s" % (i, proc.stderr.strip().splitlines()[-1:])
            got = read_safetensors(outputs)
            problem = compare([(n, got[n]) for n in output_names], expected, updated, self.with_updates)
            if problem:
                return "path input %d: %s" % (i, problem)
        return None

    def outcome(self, proc, report, model, tag):
        """(outcome, detail) of one export."""
        if proc.returncode < 0:
            return "crashed", "onnxport died with signal %d" % -proc.returncode
        if proc.returncode != 0 and (proc.returncode != 1 or report is None):
            # Not an export that failed cleanly (exit 1 with a report): a usage
            # error or a broken build, never an outcome a pattern can declare.
            return "error", "exit code %d: %s" % (proc.returncode, failure_reason(report, proc))
        if proc.returncode != 0 or not os.path.exists(model):
            return REFUSED, failure_reason(report, proc)
        wrong = self.run_paths(model, tag)
        said_unsound = bool(report) and report.get("status", {}).get("sound") is False
        if said_unsound:
            note = report.get("soundness", {}).get("note", "not sound")
            return UNSOUND, "the report says: " + note + ("; " + wrong if wrong else "")
        if wrong:
            return WRONG, "the report says sound, but " + wrong
        return EXPORTED, "sound, matches eager PyTorch on %d path inputs" % len(self.eager.expected)


def export_and_judge(tools, judge, bundle, work, tag, strategies=None, allow_unsound=False,
                     mutations_as_outputs=False):
    model = os.path.join(work, tag + ".onnx")
    report_dir = os.path.join(work, tag + "-report")
    for stale in (model, report_dir):
        shutil.rmtree(stale, ignore_errors=True) if os.path.isdir(stale) else (
            os.path.exists(stale) and os.remove(stale))
    cmd, proc = tools.export(bundle, model, report_dir, strategies, allow_unsound, mutations_as_outputs)
    judge.with_updates = mutations_as_outputs
    report = read_report(report_dir)
    outcome, detail = judge.outcome(proc, report, model, tag)
    result = {"outcome": outcome, "detail": detail, "command": " ".join(cmd)}
    if report:
        result["chosen_strategy"] = report.get("status", {}).get("chosen_strategy", "")
    if os.path.exists(model):
        result["onnx_ops"] = sorted(set(onnx_signature(model)[2]))
    return result


def expected_default(case):
    """The strategy the default config should choose and its outcome: the
    first one whose capture the host sees as sound (declared exported, or
    wrong: a graph the engine calls sound that is not), else none and exit 1
    (config/default.json refuses unsound captures), unless the case says
    otherwise (the host does not fall back once a strategy captured a sound
    graph, so a capture whose translation fails ends the export)."""
    if case.default:
        return case.default
    for strategy in STRATEGIES:
        if case.expect[strategy] in (EXPORTED, WRONG):
            return strategy, case.expect[strategy]
    return "", REFUSED


def onnx_op_failures(case, actual, default):
    """The declared ONNX op types that a sound model lacks or has."""
    failures = []
    judged = [(s, r) for s, r in actual.items() if r["outcome"] == EXPORTED]
    if default["outcome"] == EXPORTED:
        judged.append(("default", default))
    for tag, result in judged:
        ops = set(result.get("onnx_ops", []))
        for op, wanted in sorted(case.onnx_ops.items()):
            if (op in ops) != wanted:
                failures.append("%s: the model %s an ONNX %s, declared %s\n    %s" % (
                    tag, "has" if op in ops else "has no", op, "present" if wanted else "absent", result["command"]))
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--onnxport", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--results", required=True)
    args = parser.parse_args()

    started = time.time()
    case = load_cases()[args.name]
    torch.manual_seed(0)
    module = case.factory()
    module.eval()
    paths = case.paths()
    eager = Eager(module, paths)
    problems = check_declaration(case, module, paths, eager)
    if problems:
        print("%s: the pattern's declaration is incomplete:\n  %s" % (case.name, "\n  ".join(problems)))
        return 1

    work = os.path.join(args.work, case.name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    bundle = os.path.join(work, "bundle")
    write_bundle(module, paths[0], bundle, dynamic_shapes=case.dynamic, expected=True)

    config = args.config
    if case.config:
        # The pattern's keys over the test's config: a config that extends it.
        config = os.path.join(work, "config.json")
        with open(config, "w") as f:
            json.dump(dict(case.config, extends=os.path.abspath(args.config)), f, indent=1)
    tools = Tools(args.onnxport, config, work)
    judge = Judge(tools, work, forward_parameter_names(case.factory), paths, eager)
    actual = {s: export_and_judge(tools, judge, bundle, work, s, s, allow_unsound=True, mutations_as_outputs=True)
              for s in STRATEGIES}
    default = export_and_judge(tools, judge, bundle, work, "default")

    want_strategy, want_outcome = expected_default(case)
    result = {
        "name": case.name, "topic": case.topic, "pattern": case.pattern, "note": case.note,
        "bundle": bundle, "path_inputs": len(paths), "dynamic": {k: {str(d): s for d, s in v.items()}
                                                                 for k, v in case.dynamic.items()},
        "declared": case.expect, "actual": {s: r["outcome"] for s, r in actual.items()},
        "details": actual, "default": default,
        "default_expected": {"strategy": want_strategy, "outcome": want_outcome},
        "seconds": round(time.time() - started, 2),
    }
    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, case.name + ".json"), "w") as f:
        json.dump(result, f, indent=1)

    failures = []
    for strategy in STRATEGIES:
        got, want = actual[strategy]["outcome"], case.expect[strategy]
        line = "%-13s declared %-9s actual %-9s %s" % (strategy, want, got, actual[strategy]["detail"])
        print(line)
        if got != want:
            failures.append(line + "\n    " + actual[strategy]["command"])
    print("%-13s chosen %s: %s (%s)" % ("default", default.get("chosen_strategy") or "-", default["outcome"],
                                         default["detail"]))
    chosen = default.get("chosen_strategy") or ""
    if default["outcome"] != want_outcome or (want_outcome != REFUSED and chosen != want_strategy):
        failures.append("default config: chose %r (%s), expected %r (%s)\n    %s" % (
            default.get("chosen_strategy"), default["outcome"], want_strategy, want_outcome, default["command"]))
    if default["outcome"] in (WRONG, UNSOUND):
        # Whatever the declaration says: config/default.json must never exit 0
        # with a model that differs from eager PyTorch (or that it calls unsound).
        failures.append("default config: exit 0 with a %s model: %s\n    %s" % (
            default["outcome"], default["detail"], default["command"]))
    failures += onnx_op_failures(case, actual, default)
    if failures:
        print("\n%s: outcomes differ from the declaration:\n%s" % (case.name, "\n".join(failures)))
        return 1
    print("%s: all outcomes as declared (%.1f s)" % (case.name, time.time() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
