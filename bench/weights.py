#!/usr/bin/env python3
"""bench/weights: writing large weights, against `cp` of the weights file.

    python3 bench/weights.py [--gb 3] [--width 8192] [--repeat 3] [--no-vit]
                             [--onnxport build/bin/onnxport] [--work DIR] [--no-result]

1. A generated program of stacked Linear layers (bench/gen_program.py's
   graph, width --width) whose random weights, --gb GB in all, are written
   straight to weights.safetensors with numpy (no torch). It is exported
   with --external-data; in the same run, interleaved, `cp` copies its
   weights file. The export does not fsync by default (like cp); the same
   export with --durable is compared with `cp` followed by `sync FILE`.
   Before every timed command the previous output is removed and `sync`
   runs (neither timed), so that no command pays for the dirty pages or the
   freed file of the one before (on this VM that moved cp alone from 1 s to
   10 s). Medians of --repeat rounds; the ratio host / cp (goal: at most 2,
   issue 14).
   Peak memory of the export: ru_maxrss, and the peaks of RssAnon and
   RssFile sampled from /proc/PID/status every 10 ms (bench/benchlib.py).
   The same graph with width 64 (kilobytes of weights) gives the export's
   own anonymous memory; the goal is anonymous memory at most 300 MB above
   it for the 3 GB program (no second copy of any weight).
2. vit_b_16 (torchvision, 224x224, bundled once with tools/torch2program
   into the work folder): `onnxport export` with the default config (the
   model is under 2 GB: its weights go into the .onnx) against `cp` of its
   weights file.
Writes bench/results/weights.md. A benchmark: it exits 0 whatever the ratios.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import benchlib as bl

sys.path.insert(0, bl.HERE)
import gen_program  # noqa: E402

TORCH_PYTHON = "/usr/bin/python3"  # the interpreter with torch 1.13 (tools/torch2program)


def write_weights(path, layers, width, seed):
    """weights.safetensors for gen_program's graph, written layer by layer."""
    import numpy as np
    rng = np.random.default_rng(seed)
    header, offset, order = {}, 0, []
    for i in range(layers):
        for name, shape in (("layers.%d.weight" % i, [width, width]), ("layers.%d.bias" % i, [width])):
            size = 4 * int(np.prod(shape))
            header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
            order.append((name, shape))
            offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    scale = np.float32(1.0 / width)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for name, shape in order:
            rows = shape[0] if len(shape) == 2 else 1
            cols = shape[-1]
            step = max(1, (16 << 20) // (4 * cols))  # 16 MB at a time
            for r in range(0, rows, step):
                block = rng.standard_normal((min(step, rows - r), cols), dtype=np.float32) * scale
                f.write(block.tobytes())
    os.replace(path + ".tmp", path)


def linear_bundle(out, layers, width):
    if os.path.exists(os.path.join(out, "inputs.safetensors")):
        return out
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "program.json"), "w") as f:
        json.dump(gen_program.program(layers, width, 2), f, separators=(",", ":"))
    write_weights(os.path.join(out, "weights.safetensors"), layers, width, 0)
    gen_program.write_safetensors(os.path.join(out, "inputs.safetensors"),
                                  {"x": ([2, width], [0.5] * (2 * width))})
    return out


def vit_bundle(out):
    if os.path.exists(os.path.join(out, "weights.safetensors")):
        return out
    cmd = [TORCH_PYTHON, os.path.join(bl.ROOT, "tools", "torch2program", "torch2program.py"),
           "torchvision.models:vit_b_16", "--input", "x=1x3x224x224", "-o", out]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return out


def settle():
    """Writes back every dirty page (not timed), so the next command starts
    from the same state whatever ran before it."""
    os.sync()


def cp_run(src, dst, sync):
    bl.drop_tree(dst)
    if os.path.exists(dst):
        os.remove(dst)
    settle()
    cmd = ["sh", "-c", 'cp "$1" "$2" && sync "$2"', "cp", src, dst] if sync else ["cp", src, dst]
    run = bl.run_measured(cmd, sample=False)
    if run.returncode != 0:
        raise SystemExit("cp failed: " + run.stderr)
    os.remove(dst)
    return run.wall


def compare(onnxport, bundle, work, tag, extra, repeat, with_sync):
    """Interleaved rounds of export and cp; medians and the export's peaks."""
    weights = os.path.join(bundle, "weights.safetensors")
    out = os.path.join(work, tag + "-out", "model.onnx")
    files = [out, out + ".data"]

    def export(flags):
        for f in files:  # an export over an old model would also pay for freeing it
            if os.path.exists(f):
                os.remove(f)
        settle()
        return bl.export(onnxport, bundle, out, list(extra) + flags)

    host, durable, cp, cps, runs, stages = [], [], [], [], [], []
    for _ in range(repeat):
        cp.append(cp_run(weights, os.path.join(work, tag + ".copy"), False))
        run, st = export([])
        host.append(run.wall)
        runs.append(run)
        stages.append(st)
        if with_sync:
            durable.append(export(["--durable"])[0].wall)
            cps.append(cp_run(weights, os.path.join(work, tag + ".copy"), True))
    written = sum(os.path.getsize(f) for f in files if os.path.exists(f))
    bl.drop_tree(os.path.dirname(out))
    return {
        "weights": os.path.getsize(weights),
        "written": written,
        "host": bl.median(host),
        "durable": bl.median(durable) if durable else None,
        "cp": bl.median(cp),
        "cp_sync": bl.median(cps) if cps else None,
        "max_rss": max(r.max_rss for r in runs),
        "anon": max(r.peak_anon for r in runs),
        "file": max(r.peak_file for r in runs),
        "stages": {k: bl.median([s.get(k, 0.0) for s in stages]) for k in bl.STAGES},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=3.0, help="weights of the generated program, in GB")
    parser.add_argument("--width", type=int, default=8192)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-vit", action="store_true", help="skip vit_b_16 (needs torch and torchvision)")
    parser.add_argument("--onnxport", default=bl.default_onnxport())
    parser.add_argument("--work", default="", help="folder for bundles and outputs (kept: bundles are reused)")
    parser.add_argument("--no-result", action="store_true", help="do not write bench/results/weights.md")
    args = parser.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="onnxport-weights-")
    os.makedirs(work, exist_ok=True)

    layer_bytes = 4 * (args.width * args.width + args.width)
    layers = max(1, round(args.gb * 1e9 / layer_bytes))
    big = linear_bundle(os.path.join(work, "linear-%dx%d" % (layers, args.width)), layers, args.width)
    small = linear_bundle(os.path.join(work, "linear-%dx64" % layers), layers, 64)
    ext = ["--external-data"]
    base = compare(args.onnxport, small, work, "small", ext, 1, False)
    r = compare(args.onnxport, big, work, "big", ext, args.repeat, True)
    anon_above = r["anon"] - base["anon"]
    lines = [
        "| program | weights | export (s) | cp (s) | host / cp | export --durable (s) | cp + sync (s) | "
        "durable / (cp + sync) |",
        "|---|---|---|---|---|---|---|---|",
        "| %d Linear layers %dx%d, --external-data | %.2f GB | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
            layers, args.width, args.width, r["weights"] / 1e9, r["host"], r["cp"], r["host"] / r["cp"],
            r["durable"], r["cp_sync"], r["durable"] / r["cp_sync"]),
    ]
    vit = None
    if not args.no_vit:
        vb = vit_bundle(os.path.join(work, "vit_b_16"))
        vit = compare(args.onnxport, vb, work, "vit", [], args.repeat, True)
        lines.append("| vit_b_16 (224x224), default config (weights in the .onnx) | %.2f GB | %.2f | %.2f | %.2f | "
                     "%.2f | %.2f | %.2f |" % (vit["weights"] / 1e9, vit["host"], vit["cp"], vit["host"] / vit["cp"],
                                               vit["durable"], vit["cp_sync"], vit["durable"] / vit["cp_sync"]))
    table = "\n".join(lines)
    mem = "\n".join([
        "| export | peak RSS (ru_maxrss) | peak RssAnon | peak RssFile |",
        "|---|---|---|---|",
        "| %d layers %dx%d (%.2f GB of weights) | %.0f MB | %.0f MB | %.0f MB |" % (
            layers, args.width, args.width, r["weights"] / 1e9, bl.mb(r["max_rss"]), bl.mb(r["anon"]),
            bl.mb(r["file"])),
        "| the same graph, width 64 (%.1f MB of weights) | %.0f MB | %.0f MB | %.0f MB |" % (
            base["weights"] / 1e6, bl.mb(base["max_rss"]), bl.mb(base["anon"]), bl.mb(base["file"])),
    ] + ([("| vit_b_16 | %.0f MB | %.0f MB | %.0f MB |" % (bl.mb(vit["max_rss"]), bl.mb(vit["anon"]),
                                                            bl.mb(vit["file"])))] if vit else []))
    stages = "\n".join(["| export | " + " | ".join(bl.STAGES) + " |", "|---" * (len(bl.STAGES) + 1) + "|"] + [
        "| %s | " % name + " | ".join("%.2f" % s["stages"][k] for k in bl.STAGES) + " |"
        for name, s in [("%d layers %dx%d" % (layers, args.width, args.width), r)] + ([("vit_b_16", vit)] if vit else [])])
    goals = ["- host / cp, generated program: %.2f (goal <= 2: %s)" % (r["host"] / r["cp"],
                                                                         "met" if r["host"] <= 2 * r["cp"] else "not met")]
    if vit:
        goals.append("- host / cp, vit_b_16: %.2f (goal <= 2: %s)" % (vit["host"] / vit["cp"],
                                                                      "met" if vit["host"] <= 2 * vit["cp"] else "not met"))
    goals.append("- anonymous memory above the same export with kilobytes of weights: %.0f MB (goal <= 300 MB: %s); "
                 "the weights are %.0f MB" % (bl.mb(anon_above), "met" if anon_above <= 300e6 else "not met",
                                              bl.mb(r["weights"])))
    text = "\n\n".join([table, mem, "Stage times (s, median):\n\n" + stages, "\n".join(goals)])
    print(text)
    if not args.no_result:
        bl.write_result("weights", "## bench/weights\n\nMedians of %d interleaved rounds; memory peaks sampled from "
                        "/proc/PID/status every 10 ms (bench/benchlib.py). `python3 bench/weights.py`.\n\n%s\n"
                        % (args.repeat, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
