#!/usr/bin/env python3
"""Export time against model size: is the pipeline linear in the node count?

    python3 bench/export_scaling.py [--sizes 64,256,1024,4096] [--onnxport build/bin/onnxport]
                                    [--config config/default.json] [--repeat 3] [--work DIR]

Generates an N-layer bundle per size (bench/gen_program.py), exports each
with `onnxport export` (best of --repeat runs), prints the times, and checks
the ratio time(largest)/time(second largest). For 4096/1024 (4x the nodes)
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


def export_seconds(onnxport, config, bundle, work, repeat):
    """Best wall time and best CPU time (user + system) of `repeat` exports."""
    best_wall = best_cpu = None
    for _ in range(repeat):
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
        best_wall = wall if best_wall is None else min(best_wall, wall)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
    return best_wall, best_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="64,256,1024,4096")
    parser.add_argument("--onnxport", default=os.path.join(ROOT, "build", "bin", "onnxport"))
    parser.add_argument("--config", default=os.path.join(ROOT, "config", "default.json"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default="", help="folder for bundles and models (default: a temp folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) < 2 or sorted(sizes) != sizes:
        parser.error("--sizes needs at least two increasing sizes")

    work = args.work or tempfile.mkdtemp(prefix="onnxport-bench-")
    os.makedirs(work, exist_ok=True)
    times, cpu = {}, {}
    print("%8s %12s %14s %12s" % ("layers", "seconds", "ms per layer", "cpu seconds"))
    for n in sizes:
        bundle = generate(n, work)
        times[n], cpu[n] = export_seconds(args.onnxport, args.config, bundle, work, args.repeat)
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
