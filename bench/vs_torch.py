#!/usr/bin/python3
"""bench/vs_torch.py: module to .onnx, onnxport against torch.onnx.export.

For each model, in interleaved rounds (model by model, tool by tool, then the
next round), three measurements:

  torch     torch.onnx.export(model, args, f, opset_version=17), in a fresh
            Python process (its failure is a result, printed as such);
  bundle    torch2program's write_bundle(model, args, dir) without eager
            outputs (expected=False, the default), in a fresh Python process;
  host      `onnxport export BUNDLE -c config/default.json --opset 17 -o F`,
            the C++ host, wall time of the process.

torch and bundle are timed inside their process, after `import torch` and
after the model is built (both pay the same import, and a model's
construction is not part of exporting it); host is the wall time of the
whole command. Medians over the rounds; the table gives the ratios
torch / host and torch / (bundle + host). It is printed and written to
bench/results/vs_torch.md (bench/README.md).

    /usr/bin/python3 bench/vs_torch.py                       # every model, 3 rounds
    /usr/bin/python3 bench/vs_torch.py --models resnet18,gpt2 --rounds 1
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PYTHON = "/usr/bin/python3"  # the interpreter with PyTorch 1.13 (docs/torch2program.md)
OPSET = 17

# name -> (description, input kind). The default set is the (issue 14);
# "tiny" is only for the smoke test.
MODELS = {
    "resnet18": "torchvision resnet18, 1x3x224x224",
    "resnet50": "torchvision resnet50, 1x3x224x224",
    "convnext_tiny": "torchvision convnext_tiny, 1x3x224x224",
    "vit_b_16": "torchvision vit_b_16, 1x3x224x224",
    "efficientnet_v2_s": "torchvision efficientnet_v2_s, 1x3x384x384",
    "encoder": "nn.TransformerEncoder, 12 layers, d_model 768, 12 heads, 1x128x768",
    "gpt2": "GPT-2-small-sized decoder in plain torch.nn (12 layers, d 768, 12 heads, vocab 50257), 1x128 tokens",
    "tiny": "Linear-ReLU-Linear, 2x8 (smoke test only)",
}
DEFAULT_MODELS = ["resnet18", "resnet50", "convnext_tiny", "vit_b_16", "efficientnet_v2_s", "encoder", "gpt2"]


# ---------------------------------------------------------------------------
# The models (built in the worker processes)

def _gpt2_module(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.ln1 = nn.LayerNorm(d)
            self.qkv = nn.Linear(d, 3 * d)
            self.proj = nn.Linear(d, d)
            self.ln2 = nn.LayerNorm(d)
            self.fc = nn.Linear(d, 4 * d)
            self.out = nn.Linear(4 * d, d)
            self.heads = heads

        def forward(self, x, mask):
            b, t, d = x.shape
            h = self.heads
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
            q = q.view(b, t, h, d // h).transpose(1, 2)
            k = k.view(b, t, h, d // h).transpose(1, 2)
            v = v.view(b, t, h, d // h).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / (d // h) ** 0.5)
            att = att.masked_fill(mask[:, :, :t, :t] == 0, float("-inf"))
            y = torch.softmax(att, dim=-1) @ v
            y = y.transpose(1, 2).contiguous().view(b, t, d)
            x = x + self.proj(y)
            return x + self.out(torch.nn.functional.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self, vocab=50257, positions=1024, d=768, layers=12, heads=12):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(positions, d)
            self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab, bias=False)
            self.head.weight = self.tok.weight  # tied
            self.register_buffer("mask", torch.tril(torch.ones(positions, positions)).view(1, 1, positions, positions))

        def forward(self, idx):
            t = idx.shape[1]
            pos = torch.arange(0, t, dtype=torch.long, device=idx.device).unsqueeze(0)
            x = self.tok(idx) + self.pos(pos)
            for block in self.blocks:
                x = block(x, self.mask)
            return self.head(self.ln_f(x))

    return GPT()


def build(name, torch):
    """(module in eval mode, example args tuple)."""
    torch.manual_seed(0)
    image = (torch.randn(1, 3, 224, 224),)
    if name in ("resnet18", "resnet50", "convnext_tiny", "vit_b_16"):
        import torchvision
        return getattr(torchvision.models, name)(weights=None).eval(), image
    if name == "efficientnet_v2_s":
        import torchvision
        return torchvision.models.efficientnet_v2_s(weights=None).eval(), (torch.randn(1, 3, 384, 384),)
    if name == "encoder":
        layer = torch.nn.TransformerEncoderLayer(d_model=768, nhead=12, dim_feedforward=3072, batch_first=True)
        return torch.nn.TransformerEncoder(layer, num_layers=12).eval(), (torch.randn(1, 128, 768),)
    if name == "gpt2":
        return _gpt2_module(torch).eval(), (torch.randint(0, 50257, (1, 128)),)
    if name == "tiny":
        net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
        return net.eval(), (torch.randn(2, 8),)
    raise SystemExit(f"vs_torch.py: unknown model {name!r} (known: {', '.join(MODELS)})")


# ---------------------------------------------------------------------------
# Workers: one measurement in a fresh process, result as one JSON line

def worker(tool, name, out):
    import warnings
    warnings.filterwarnings("ignore")
    import torch
    module, args = build(name, torch)
    sys.path.insert(0, os.path.join(REPO, "tools", "torch2program"))
    from torch2program_lib.bundle import write_bundle
    result = {}
    start = time.perf_counter()
    if tool == "torch":
        try:
            torch.onnx.export(module, args, out, opset_version=OPSET)
        except Exception as error:  # the exporter's failure is the measurement's result
            text = f"{type(error).__name__}: {error}".strip().splitlines()
            result["error"] = text[0][:160] if text else type(error).__name__
    else:
        summary = write_bundle(module, args, out)
        result["timings"] = summary["timings"]
        result["nodes"] = summary["nodes"]
    result["seconds"] = time.perf_counter() - start
    print("RESULT " + json.dumps(result))
    return 0


def run_worker(tool, name, out):
    proc = subprocess.run([PYTHON, os.path.abspath(__file__), "--worker", tool, name, out],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"the {tool} worker exited {proc.returncode}: {last[:160]}"}


def run_host(onnxport, config, bundle, out):
    start = time.perf_counter()
    proc = subprocess.run([onnxport, "export", bundle, "-c", config, "--opset", str(OPSET), "-o", out],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        errors = [l for l in proc.stderr.splitlines() if l.startswith("error:")] or proc.stderr.strip().splitlines()
        return {"error": f"onnxport exited {proc.returncode}: {(errors or ['?'])[0][:160]}"}
    return {"seconds": seconds}


# ---------------------------------------------------------------------------
# The driver

def load_average():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def commit():
    proc = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    return proc.stdout.strip() or "unknown"


def median_or_error(results, key="seconds"):
    """(median seconds, None) or (None, the first error) over a model's rounds."""
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        return None, errors[0]
    return statistics.median(r[key] for r in results), None


def fmt(seconds):
    return f"{seconds:.2f} s"


def ratio(a, b):
    return f"{a / b:.1f}×" if a is not None and b else "-"


def table(names, results, rounds):
    lines = ["| model | torch.onnx.export | torch2program bundle | onnxport export | bundle + export "
             "| torch / host | torch / (bundle + host) |",
             "|---|---|---|---|---|---|---|"]
    for name in names:
        torch_s, torch_err = median_or_error(results[name]["torch"])
        bundle_s, bundle_err = median_or_error(results[name]["bundle"])
        host_s, host_err = median_or_error(results[name]["host"]) if not bundle_err else (None, "no bundle")
        total = bundle_s + host_s if bundle_s is not None and host_s is not None else None
        cells = [name,
                 fmt(torch_s) if torch_err is None else f"fails: {torch_err}",
                 fmt(bundle_s) if bundle_err is None else f"fails: {bundle_err}",
                 fmt(host_s) if host_err is None else f"fails: {host_err}",
                 fmt(total) if total is not None else "-",
                 ratio(torch_s, host_s), ratio(torch_s, total)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    phases = []
    for name in names:
        timings = [r["timings"] for r in results[name]["bundle"] if "timings" in r]
        if timings:
            split = ", ".join(f"{p} {statistics.median(t[p] for t in timings):.2f}"
                              for p in ("script", "walk", "weights", "eager"))
            phases.append(f"- {name}: {split}")
    return lines, phases


def main(argv=None):
    parser = argparse.ArgumentParser(description="module to .onnx: onnxport against torch.onnx.export")
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS),
                        help=f"comma-separated subset of: {', '.join(MODELS)} (default: all but tiny)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3); medians are printed")
    parser.add_argument("--onnxport", default=os.environ.get("ONNXPORT", os.path.join(REPO, "build", "bin", "onnxport")),
                        help="the onnxport executable (default: $ONNXPORT, else build/bin/onnxport)")
    parser.add_argument("--config", default=os.path.join(REPO, "config", "default.json"))
    parser.add_argument("--out", default=os.path.join(HERE, "results", "vs_torch.md"),
                        help="the markdown file to write (default bench/results/vs_torch.md)")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--worker", nargs=3, metavar=("TOOL", "MODEL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(*args.worker)

    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        parser.error(f"unknown model(s) {', '.join(unknown) or '(none)'}; known: {', '.join(MODELS)}")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if not (os.path.isfile(args.onnxport) and os.access(args.onnxport, os.X_OK)):
        parser.error(f"--onnxport {args.onnxport}: not an executable file (build the onnxport_cli target)")

    load_before = load_average()
    print(f"vs_torch: {len(names)} model(s), {args.rounds} round(s), {os.cpu_count()} cores, "
          f"load average {load_before}", flush=True)
    results = {n: {"torch": [], "bundle": [], "host": []} for n in names}
    with tempfile.TemporaryDirectory(prefix="vs-torch-", dir=args.work) as work:
        for round_index in range(args.rounds):
            for name in names:
                base = os.path.join(work, f"{name}-{round_index}")
                r = run_worker("torch", name, base + "-torch.onnx")
                results[name]["torch"].append(r)
                b = run_worker("bundle", name, base + "-bundle")
                results[name]["bundle"].append(b)
                h = run_host(args.onnxport, args.config, base + "-bundle", base + "-onnxport.onnx") \
                    if "error" not in b else {"error": "no bundle"}
                results[name]["host"].append(h)
                print(f"  round {round_index + 1} {name}: torch {_short(r)}, bundle {_short(b)}, host {_short(h)}",
                      flush=True)
                for leftover in (base + "-torch.onnx", base + "-onnxport.onnx"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
                subprocess.run(["rm", "-rf", base + "-bundle"], check=False)
    load_after = load_average()
    lines, phases = table(names, results, args.rounds)
    header = [f"Median of {args.rounds} interleaved round(s); opset {OPSET}; PyTorch run by {PYTHON}; "
              f"{os.cpu_count()} cores ({platform.machine()}); load average before {load_before}, "
              f"after {load_after}; commit {commit()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"host {args.onnxport} (built {_mtime(args.onnxport)}).",
              "", "Models: " + "; ".join(f"{n}: {MODELS[n]}" for n in names) + ".", ""]
    text = "\n".join(header + lines + ["", "torch2program's split (median seconds):", ""] + phases) + "\n"
    print()
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print(f"vs_torch: wrote {args.out}")
    failed = [n for n in names if any("error" in r for r in results[n]["bundle"] + results[n]["host"])]
    return 1 if failed else 0


def _mtime(path):
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))


def _short(result):
    return f"fails ({result['error'][:60]})" if "error" in result else f"{result['seconds']:.2f} s"


if __name__ == "__main__":
    sys.exit(main())
