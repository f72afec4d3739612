#!/usr/bin/env python3
"""bench/scaling: export time per stage and peak RSS against the layer count.

    python3 bench/scaling.py [--sizes 1024,2048,4096,8192,16384] [--repeat 3]
                             [--onnxport build/bin/onnxport] [--work DIR] [--no-result]

Synthetic programs of N linear+relu layers (bench/gen_program.py, width 16)
are exported with the default config; each round exports every size once
(interleaved, so a slow spell of the shared machine falls on all sizes), and
the median of the rounds is kept per size and per stage (stage times from
the export's report.json, the same numbers `onnxport export -v` prints).
Prints the table and time(16384)/time(4096) for the whole export and each
stage (goal: at most 4.4, issue 14), the ratio of the medians with the
smallest and largest ratio of one round's pair beside it (the run-to-run
spread), and writes bench/results/scaling.md.
A benchmark, not a test: it exits 0 whatever the ratios are.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import benchlib as bl

GOAL = 4.4


def generate(n, work):
    out = os.path.join(work, "layers-%d" % n)
    if not os.path.exists(os.path.join(out, "inputs.safetensors")):
        subprocess.run([sys.executable, os.path.join(bl.HERE, "gen_program.py"), str(n), out], check=True)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1024,2048,4096,8192,16384")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--onnxport", default=bl.default_onnxport())
    parser.add_argument("--work", default="", help="folder for bundles and models (default: a temp folder)")
    parser.add_argument("--no-result", action="store_true", help="do not write bench/results/scaling.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) < 2 or sorted(sizes) != sizes:
        parser.error("--sizes needs at least two increasing sizes")
    work = args.work or tempfile.mkdtemp(prefix="onnxport-scaling-")
    os.makedirs(work, exist_ok=True)
    bundles = {n: generate(n, work) for n in sizes}

    walls, rss, stages = {n: [] for n in sizes}, {n: [] for n in sizes}, {n: {} for n in sizes}
    for _ in range(args.repeat):
        for n in sizes:
            run, st = bl.export(args.onnxport, bundles[n], os.path.join(work, "layers-%d.onnx" % n))
            walls[n].append(run.wall)
            rss[n].append(run.max_rss)
            for k in bl.STAGES + ["total"]:
                stages[n].setdefault(k, []).append(st.get(k, 0.0))
    wall = {n: bl.median(walls[n]) for n in sizes}
    stage = {n: {k: bl.median(v) for k, v in stages[n].items()} for n in sizes}

    cols = ["wall"] + bl.STAGES
    lines = ["| layers | " + " | ".join(c + " (s)" for c in cols) + " | peak RSS (MB) |",
             "|---" * (len(cols) + 2) + "|"]
    for n in sizes:
        row = [wall[n]] + [stage[n].get(k, 0.0) for k in bl.STAGES]
        lines.append("| %d | " % n + " | ".join("%.3f" % v for v in row) + " | %.0f |" % bl.mb(max(rss[n])))
    table = "\n".join(lines)
    print(table)

    big, ref = sizes[-1], None
    for n in sizes:
        if n * 4 == big:
            ref = n
    ref = ref or sizes[-2]
    # The ratio of the medians is the result; the ratios of each round's pair
    # (the two sizes run back to back) show how far one run can stray from
    # it on this machine, so that a ratio near the goal can be read as met,
    # not met, or within the noise.
    ratio_lines = ["| measure | time(%d) / time(%d) | each round's ratio (min - max) | goal <= %.1f |"
                   % (big, ref, GOAL * (big / ref) / 4.0),
                   "|---|---|---|---|"]
    bound = GOAL * (big / ref) / 4.0
    verdicts = []
    series = [("whole export (wall)", walls[big], walls[ref]),
              ("total (report)", stages[big].get("total", []), stages[ref].get("total", []))] + \
             [(k, stages[big].get(k, []), stages[ref].get(k, [])) for k in bl.STAGES]
    for name, bigs, refs in series:
        a, b = bl.median(bigs) if bigs else 0.0, bl.median(refs) if refs else 0.0
        r = a / b if b > 0 else float("nan")
        per_round = [x / y for x, y in zip(bigs, refs) if y > 0]
        spread = "%.2f - %.2f" % (min(per_round), max(per_round)) if per_round else "-"
        # Stages under 5 ms at the reference size are timer noise, not a trend.
        ok = r <= bound or b < 0.005
        verdicts.append(ok)
        note = "met" if r <= bound else ("not met (under 5 ms: noise)" if b < 0.005 else "not met")
        ratio_lines.append("| %s | %.2f | %s | %s |" % (name, r, spread, note))
    ratios = "\n".join(ratio_lines)
    print(ratios)

    if not args.no_result:
        text = ("## bench/scaling\n\n"
                "Synthetic programs of N linear+relu layers (bench/gen_program.py, width 16), default config; "
                "median of %d interleaved rounds; stage times from report.json; peak RSS is the largest "
                "ru_maxrss of the rounds. The ratios are of the medians; beside each, the smallest and "
                "largest ratio of one round's two exports (run back to back): how far one run strays on "
                "this machine. `python3 bench/scaling.py`.\n\n%s\n\n%s\n"
                % (args.repeat, table, ratios))
        bl.write_result("scaling", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
