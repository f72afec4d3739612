#!/usr/bin/env python3
"""Export time against model size: is the pipeline linear in the node count?

    python3 bench/export_scaling.py [--sizes 64,256,1024,4096] [--onnxport build/bin/onnxport]
                                    [--config config/default.json] [--repeat 7] [--work DIR]

Generates an N-layer bundle per size (bench/gen_program.py), exports each
with `onnxport export` (best of --repeat rounds, each round exporting every
size once), prints the times, and checks the ratio time(largest)/time(second largest). For 4096/1024 (4x the nodes)
the ratio must stay under 4.5; other size pairs scale that bound linearly.
Prints PASS or FAIL and exits 1 on FAIL. The CPU time (user + system) of the
exports is printed too: on a busy machine it shows whether a slow run was
slow for lack of CPU.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RATIO_BOUND_PER_4X = 4.5


def generate(n, work):
    out = os.path.join(work, "bench-%d" % n)
    if not os.path.exists(os.path.join(out, "inputs.safetensors")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_program.py"), str(n), out], check=True)
    return out


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def export_once(onnxport, config, bundle, work):
    """Wall time and CPU time (user + system) of one export."""
    out = os.path.join(work, os.path.basename(bundle) + ".onnx")
    cpu_before = children_cpu_seconds()
    start = time.perf_counter()
    proc = subprocess.run([onnxport, "export", bundle, "-c", config, "-o", out, "-q"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    cpu = children_cpu_seconds() - cpu_before
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("export of %s failed with exit code %d" % (bundle, proc.returncode))
    return wall, cpu


def best_times(onnxport, config, bundles, work, repeat):
    """Best wall and CPU time per size over `repeat` rounds. Each round
    exports every size once, so a slow spell of the machine (a neighbour's
    load, frequency changes) falls on all sizes alike instead of on one."""
    best_wall, best_cpu = {}, {}
    for _ in range(repeat):
        for n, bundle in bundles.items():
            wall, cpu = export_once(onnxport, config, bundle, work)
            best_wall[n] = min(wall, best_wall.get(n, wall))
            best_cpu[n] = min(cpu, best_cpu.get(n, cpu))
    return best_wall, best_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,256,1024,4096")
    parser.add_argument("--onnxport", default=os.path.join(ROOT, "build", "bin", "onnxport"))
    parser.add_argument("--config", default=os.path.join(ROOT, "config", "default.json"))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--work", default="", help="folder for bundles and models (default: a temp folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) < 2 or sorted(sizes) != sizes:
        parser.error("--sizes needs at least two increasing sizes")

    work = args.work or tempfile.mkdtemp(prefix="onnxport-bench-")
    os.makedirs(work, exist_ok=True)
    bundles = {n: generate(n, work) for n in sizes}
    times, cpu = best_times(args.onnxport, args.config, bundles, work, args.repeat)
    print("%8s %12s %14s %12s" % ("layers", "seconds", "ms per layer", "cpu seconds"))
    for n in sizes:
        print("%8d %12.3f %14.4f %12.3f" % (n, times[n], 1000.0 * times[n] / n, cpu[n]), flush=True)

    big, prev = sizes[-1], sizes[-2]
    ratio = times[big] / times[prev]
    bound = RATIO_BOUND_PER_4X * (big / prev) / 4.0
    verdict = "PASS" if ratio < bound else "FAIL"
    print("ratio time(%d)/time(%d) = %.2f (must be < %.2f): %s" % (big, prev, ratio, bound, verdict))
    print("(cpu time ratio: %.2f; wall time is what counts)" % (cpu[big] / max(cpu[prev], 1e-9)))
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
