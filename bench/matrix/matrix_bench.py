"""How much `onnxport matrix` adds to its cells: runs a matrix of small
models (the committed examples under several names) x 4 shipped
combinations x 5 opsets, 200 cells by default, and prints

    ratio = (wall - start-up) / (sum of the cells' times / jobs)

where a cell's time is the wall time of its own `onnxport export --verify`
process and start-up is what the run spends before the first cell (reading
the spec, checking the combinations' plugins). 1.0 would be perfect
scheduling; the target is <= 1.2 (docs/matrix.md, bench/README.md).

    /usr/bin/python3 bench/matrix/matrix_bench.py --onnxport build/bin/onnxport [--models 10] [--opsets 13,14,15,16,17]
        [--jobs N] [--work DIR] [--check]

--check exits 1 when the ratio is above 1.2.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = ["seed", "seed-cond", "seed-gt"]
TARGET = 1.2


def spec(models, opsets):
    return {
        "description": "bench/matrix: small models under several names",
        "models": [{"name": "%s-%d" % (EXAMPLES[i % 3], i), "path": os.path.join(REPO, "examples", EXAMPLES[i % 3])}
                   for i in range(models)],
        "combinations": [
            {"name": "default", "config": "default"},
            {"name": "torch-compatible", "config": "torch-compatible"},
            {"name": "strict", "base": "default", "overlay": {"strategies": ["strict"]}},
            {"name": "cond-rewrite-first", "base": "default",
             "overlay": {"strategies": ["cond-rewrite", "strict", "non-strict", "draft"]}}],
        "opsets": opsets,
        "timeout_s": 300}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnxport", required=True)
    parser.add_argument("--models", type=int, default=10)
    parser.add_argument("--opsets", default="13,14,15,16,17")
    parser.add_argument("--jobs", type=int, default=0, help="default: onnxport's (the core count)")
    parser.add_argument("--work", default=os.path.join(REPO, "build", "bench-matrix"))
    parser.add_argument("--check", action="store_true", help="exit 1 when the ratio is above %.1f" % TARGET)
    args = parser.parse_args()

    os.makedirs(args.work, exist_ok=True)
    path = os.path.join(args.work, "MATRIX.json")
    with open(path, "w") as f:
        json.dump(spec(args.models, [int(o) for o in args.opsets.split(",")]), f, indent=1)
    out = os.path.join(args.work, "out")
    cmd = [args.onnxport, "matrix", path, "-o", out] + (["-j", str(args.jobs)] if args.jobs else [])
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.exit("%s exited with %d:\n%s" % (" ".join(cmd), proc.returncode, proc.stderr))
    with open(os.path.join(out, "matrix.json")) as f:
        doc = json.load(f)
    timing = doc["timing"]
    cells = doc["cells"]
    total = sum(c["seconds"] for c in cells)
    jobs = timing["jobs"]
    ideal = total / jobs
    ratio = (timing["seconds"] - timing["setup_seconds"]) / ideal
    print("cells %d, jobs %d, statuses %s" % (len(cells), jobs, json.dumps(doc["summary"])))
    print("wall %.2f s (start-up %.2f s), sum of cell times %.2f s, sum / jobs %.2f s" %
          (timing["seconds"], timing["setup_seconds"], total, ideal))
    print("ratio (wall - start-up) / (sum / jobs) = %.3f (target <= %.1f); with start-up %.3f" %
          (ratio, TARGET, timing["seconds"] / ideal))
    if args.check and ratio > TARGET:
        print("FAIL")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
