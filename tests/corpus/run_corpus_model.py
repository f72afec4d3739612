"""One corpus test: convert a model with torch2program, export it with
onnxport (config/default.json, --verify), and record the result.

    /usr/bin/python3 tests/corpus/run_corpus_model.py NAME --capture script|trace \
        --onnxport build/bin/onnxport --config config/default.json --work BUILD/corpus

The bundle is cached in WORK/NAME/bundle, keyed by a hash of the model's
definition (tests/corpus/models.py) and of torch2program's sources, so a
re-run only re-exports. Verification runs ONNX Runtime on the bundle's single
example input against eager PyTorch's outputs (expected.safetensors).

It also runs `onnxport run` on the bundle: the reference interpreter must
cover every op of the corpus and agree with eager PyTorch within the same
tolerance.

Writes WORK/records/NAME.json: model, capture, export_seconds, nodes,
max_abs_diff, max_rel_diff, interpreter_max_abs_diff, atol, rtol, ok, and the
problems when not ok;
scripts/gen_corpus_table.py turns the records into docs/corpus.md.
Exit status 0 only when the export passed the checker and verification.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TOOL_DIR = os.path.join(REPO, "tools", "torch2program")
sys.path.insert(0, TOOL_DIR)
sys.path.insert(0, HERE)

# Stages whose time is the export itself (verification runs after it).
VERIFY_STAGES = {"runtime", "accuracy"}
# An output smaller than this many atols cannot show an error (|diff| <= atol
# would hold for any answer of the right shape): the test refuses it.
MIN_OUTPUT_SCALE_IN_ATOLS = 100


def source_hash(name):
    """Changes when the model's definition or the converter changes: the bundle cache key."""
    digest = hashlib.sha256(name.encode())
    files = [os.path.join(HERE, "models.py")]
    for root, _, names in os.walk(TOOL_DIR):
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py")]
    for path in sorted(files):
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def ensure_bundle(model, bundle_dir):
    """Writes the bundle unless the cached one has the same key; returns the capture kind."""
    stamp_path = os.path.join(bundle_dir, "corpus-stamp.json")
    key = source_hash(model.name)
    if os.path.exists(stamp_path):
        with open(stamp_path) as f:
            stamp = json.load(f)
        if stamp.get("key") == key:
            return stamp["capture"], stamp["convert_seconds"], True
    import torch
    from torch2program import write_bundle
    torch.set_num_threads(1)  # the corpus runs two tests at a time on two cores
    shutil.rmtree(bundle_dir, ignore_errors=True)
    module, args = model.build()
    start = time.monotonic()
    summary = write_bundle(module, args, bundle_dir, dynamic_shapes=model.dynamic_shapes, name=model.name, expected=True)
    seconds = time.monotonic() - start
    with open(stamp_path, "w") as f:
        json.dump({"key": key, "capture": summary["capture"], "convert_seconds": seconds}, f)
    return summary["capture"], seconds, False


def export(onnxport, config, bundle_dir, out_dir):
    """Runs `onnxport export --verify`; returns (exit code, report dict or None, combined output)."""
    report_dir = os.path.join(out_dir, "report")
    shutil.rmtree(report_dir, ignore_errors=True)
    cmd = [onnxport, "export", bundle_dir, "-c", config, "-o", os.path.join(out_dir, "model.onnx"),
           "--report", report_dir, "--verify"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    report_path = os.path.join(report_dir, "report.json")
    report = None
    if os.path.exists(report_path):
        with open(report_path) as f:
            report = json.load(f)
    return proc.returncode, report, proc.stdout


def run_interpreter(onnxport, bundle_dir, atol, rtol):
    """`onnxport run`: the reference interpreter on the example input against
    expected.safetensors. Returns (exit code, max abs diff or None, output)."""
    cmd = [onnxport, "run", bundle_dir, "--atol", str(atol), "--rtol", str(rtol)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    diffs = [float(m.group(1)) for m in re.finditer(r"max abs diff ([0-9.eE+-]+|nan|inf)", proc.stdout)]
    return proc.returncode, (max(diffs) if diffs else None), proc.stdout


def config_with_tolerance(config, model, out_dir):
    """config/default.json itself, or a copy differing only in the model's documented verify tolerance."""
    if model.atol is None and model.rtol is None:
        return config
    with open(config) as f:
        data = json.load(f)
    data.pop("$schema", None)
    verify = dict(data.get("verify", {}))
    if model.atol is not None:
        verify["atol"] = model.atol
    if model.rtol is not None:
        verify["rtol"] = model.rtol
    data["verify"] = verify
    path = os.path.join(out_dir, "config.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
    return path


def expected_scale(bundle_dir):
    """The largest |value| over eager PyTorch's outputs (expected.safetensors)."""
    from torch2program_lib.tensors import read_safetensors
    expected = read_safetensors(os.path.join(bundle_dir, "expected.safetensors"))
    return max((float(t.abs().max()) for t in expected.values() if t.numel() and t.is_floating_point()),
               default=0.0)


def first_error(report):
    """One line saying why the export failed: missing translators, else the last capture failure."""
    missing = (report.get("analysis") or {}).get("missing_translators") or []
    if missing:
        return "no translator for " + ", ".join(m["op"] for m in missing)
    attempts = (report.get("capture") or {}).get("attempts") or []
    failures = [a.get("failure") for a in attempts if a.get("failure")]
    return failures[0] if failures else None


def summarize(report):
    """Node count, export seconds, max diffs and the failed stage from report.json."""
    facts = {"nodes": None, "export_seconds": None, "max_abs_diff": None, "max_rel_diff": None,
             "failed_stage": None, "checker": None}
    if report is None:
        return facts
    counts = (report.get("analysis") or {}).get("op_counts") or []
    facts["nodes"] = sum(c["count"] for c in counts) if counts else None
    stages = report.get("stages") or []
    facts["export_seconds"] = round(sum(s.get("seconds") or 0 for s in stages
                                        if s.get("name") not in VERIFY_STAGES)
                                    + sum((report.get("timings") or {}).get(k, 0) or 0
                                          for k in ("load config", "load plugins", "load program")), 3)
    for s in stages:
        if s.get("name") == "check":
            facts["checker"] = s.get("status")
        if s.get("status") not in ("ok", "not run", None) and facts["failed_stage"] is None:
            facts["failed_stage"] = f"{s.get('name')}: {s.get('summary') or s.get('status')}"
    outputs = ((report.get("verification") or {}).get("outputs")) or []
    abs_diffs = [o["max_abs"] for o in outputs if o.get("max_abs") is not None]
    rel_diffs = [o["max_rel"] for o in outputs if o.get("max_rel") is not None]
    facts["max_abs_diff"] = max(abs_diffs) if abs_diffs else None
    facts["max_rel_diff"] = max(rel_diffs) if rel_diffs else None
    return facts


def config_tolerance(config):
    """(atol, rtol) of the config's verify section, with onnxport's defaults."""
    with open(config) as f:
        verify = json.load(f).get("verify") or {}
    return verify.get("atol", 1e-4), verify.get("rtol", 1e-3)


def export_problems(model, capture, code, report, output, facts):
    """What went wrong in capture and export, one line each (empty when it passed)."""
    problems = []
    if capture != model.capture:
        problems.append(f"PyTorch captured it by {capture}, the corpus expects {model.capture}")
    if code < 0:
        problems.append(f"onnxport export was killed by signal {-code}")
    elif code != 0:
        problems.append(f"onnxport export exited with {code}" +
                        (f" ({facts['failed_stage']})" if facts["failed_stage"] else ""))
    if report is None:
        tail = [line for line in output.strip().splitlines() if line.strip()][-3:]
        return problems + ["no report.json; output ends: " + " | ".join(tail)]
    if code != 0 and first_error(report):
        problems.append(first_error(report))
    if facts["checker"] != "ok":
        problems.append(f"the onnx checker stage did not pass ({facts['checker']})")
    if not (report.get("verification") or {}).get("outputs"):
        problems.append("no verification outputs in report.json")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name")
    parser.add_argument("--capture", choices=["script", "trace"], required=True,
                        help="how the test name says the model is captured")
    parser.add_argument("--onnxport", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--work", required=True, help="the build folder's corpus directory")
    opts = parser.parse_args()

    from models import BY_NAME
    if opts.name not in BY_NAME:
        sys.exit(f"error: {opts.name}: not a model of tests/corpus/models.py")
    model = BY_NAME[opts.name]
    if model.capture != opts.capture:
        sys.exit(f"error: {opts.name}: models.py says capture {model.capture!r}, the test name says {opts.capture!r}")

    out_dir = os.path.join(opts.work, model.name)
    bundle_dir = os.path.join(out_dir, "bundle")
    os.makedirs(out_dir, exist_ok=True)
    capture, convert_seconds, cached = ensure_bundle(model, bundle_dir)
    print(f"[corpus] {model.name}: bundle {'cached' if cached else 'written'} "
          f"({capture}, {convert_seconds:.1f}s) in {bundle_dir}")

    config = config_with_tolerance(opts.config, model, out_dir)
    atol, rtol = config_tolerance(config)
    code, report, output = export(opts.onnxport, config, bundle_dir, out_dir)
    print(output)
    facts = summarize(report)
    scale = expected_scale(bundle_dir)
    run_code, interpreter_diff, run_output = run_interpreter(opts.onnxport, bundle_dir, atol, rtol)
    print(run_output[-2000:])

    problems = export_problems(model, capture, code, report, output, facts)
    if scale < MIN_OUTPUT_SCALE_IN_ATOLS * atol:
        problems.append(f"eager outputs are at most {scale:.3g} in magnitude: below {MIN_OUTPUT_SCALE_IN_ATOLS} x atol, "
                        "verification could not see an error (see models.py, 'Meaningful outputs')")
    if run_code != 0:
        tail = [line for line in run_output.strip().splitlines() if line.strip()][-2:]
        problems.append(f"onnxport run (reference interpreter) exited with {run_code}: " + " | ".join(tail))

    record = {
        "model": model.name, "capture": capture, "convert_seconds": round(convert_seconds, 2),
        "export_seconds": facts["export_seconds"], "nodes": facts["nodes"],
        "max_abs_diff": facts["max_abs_diff"], "max_rel_diff": facts["max_rel_diff"], "output_scale": scale,
        "interpreter_max_abs_diff": interpreter_diff,
        "atol": atol, "rtol": rtol, "tolerance_reason": model.tolerance_reason,
        "checker": facts["checker"], "ok": not problems, "problems": problems,
    }
    os.makedirs(os.path.join(opts.work, "records"), exist_ok=True)
    with open(os.path.join(opts.work, "records", model.name + ".json"), "w") as f:
        json.dump(record, f, indent=1)
    print("[corpus] " + json.dumps(record))
    if problems:
        print(f"[corpus] {model.name}: FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
