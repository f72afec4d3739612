"""The ML engineer's day, run by test_python_api.py with the installed
package on PYTHONPATH: `import onnxport`, export a model with a data-dependent
branch and a dynamic batch in one call with output names, verify, then run
the model on other batch sizes (and the other branch) through onnxport.run.

    /usr/bin/python3 python_day.py WORK_DIR
Prints one line per step; exits non-zero (AssertionError) on any mismatch."""
import os
import subprocess
import sys

import torch

import onnxport

WORK = sys.argv[1]
MODEL_FILE = os.path.join(WORK, "model_def.py")

with open(MODEL_FILE, "w") as f:
    f.write('''import torch


class Gate(torch.nn.Module):
    """A data-dependent branch: which head runs depends on the input's values."""

    def __init__(self):
        super().__init__()
        self.up = torch.nn.Linear(4, 8)
        self.down = torch.nn.Linear(4, 8)

    def forward(self, x):
        if x.sum() > 0:
            y = self.up(x)
        else:
            y = -self.down(x)
        return torch.softmax(y, dim=-1), y.mean(dim=-1)
''')
sys.path.insert(0, WORK)
from model_def import Gate  # noqa: E402

torch.manual_seed(0)
model = Gate().eval()
x = torch.rand(3, 4)
path = os.path.join(WORK, "gate.onnx")

# 1. One call: data-dependent branch, dynamic batch, names, verification.
result = onnxport.export(model, (x,), path, input_names=["features"], output_names=["probs", "score"],
                         dynamic_shapes={"x": {0: "batch"}}, verify=True, report=os.path.join(WORK, "report"))
assert os.path.isfile(path), path
assert result.path == path
assert result.strategy == "cond-rewrite", result.strategy
assert result.sound is True, result.sound
assert result.report["status"]["ok"] is True
assert [o["name"] for o in result.verification["outputs"]] == ["probs", "score"], result.verification
assert all(o["ok"] for o in result.verification["outputs"]), result.verification
print("export: ok, strategy", result.strategy, "max abs diff",
      max(o["max_abs"] for o in result.verification["outputs"]))

# The same model in ONNX Runtime on other batch sizes and on the other branch,
# against the reference interpreter: a bundle with the dynamic batch, and the
# inputs files onnxport.save_inputs writes (a dict, and a tuple by position).
bundle = os.path.join(WORK, "bundle")
proc = subprocess.run([sys.executable, "-m", "onnxport.torch2program", MODEL_FILE + ":Gate", "--input", "x=3x4",
                       "--dynamic", "x:0=batch", "-o", bundle], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      text=True)
assert proc.returncode == 0, proc.stdout
for batch, sign, form in ((5, 1.0, "dict"), (1, -1.0, "tuple"), (7, -1.0, "dict")):
    inputs = os.path.join(WORK, f"inputs-{batch}.safetensors")
    value = sign * torch.rand(batch, 4)
    onnxport.save_inputs(inputs, {"x": value} if form == "dict" else (value,))
    proc = subprocess.run([sys.executable, "-m", "onnxport.run", bundle, "--inputs", inputs, "--onnx", path],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout
    assert "ONNX Runtime vs reference interpreter:" in proc.stdout, proc.stdout
    assert proc.stdout.count("✅ ") >= 2, proc.stdout
    assert f"[{batch}, 8]" in proc.stdout.replace("f32", ""), proc.stdout
    print(f"run: batch {batch}, branch {'up' if sign > 0 else 'down'} ({form} inputs): ok")

# torch.onnx.export's form of the same call: forward's argument as a keyword
# argument, the batch dynamic through dynamic_axes keyed by the input name
# (an output's entry is accepted, its dims follow from the inputs'). The model
# runs batch 5 against the dynamic bundle's reference.
axes_path = os.path.join(WORK, "gate-axes.onnx")
onnxport.export(model, (), axes_path, kwargs={"x": x}, input_names=["features"], output_names=["probs", "score"],
                dynamic_axes={"features": {0: "batch"}, "probs": {0: "batch"}})
proc = subprocess.run([sys.executable, "-m", "onnxport.run", bundle, "--inputs",
                       os.path.join(WORK, "inputs-5.safetensors"), "--onnx", axes_path],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
assert proc.returncode == 0, proc.stdout
assert "[5, 8]" in proc.stdout.replace("f32", ""), proc.stdout
print("dynamic_axes and kwargs: ok, batch 5")

# durable=True: the same model, fsynced before export returns (--durable).
durable_path = os.path.join(WORK, "gate-durable.onnx")
onnxport.export(model, (), durable_path, kwargs={"x": x}, input_names=["features"], output_names=["probs", "score"],
                dynamic_axes={"features": {0: "batch"}, "probs": {0: "batch"}}, durable=True)
with open(durable_path, "rb") as a, open(axes_path, "rb") as b:
    assert a.read() == b.read(), "durable=True wrote another model"
print("durable: ok")

# 2. Bad input: an exception naming the argument, before any work, nothing written.
def refused(what, needle, **kwargs):
    target = os.path.join(WORK, f"refused-{what}.onnx")
    call = dict(model=model, args=(x,), f=target)
    call.update(kwargs)
    try:
        onnxport.export(call.pop("model"), call.pop("args"), call.pop("f"), **call)
    except onnxport.OnnxportError as error:
        assert needle in str(error), f"{what}: {error}"
        assert not os.path.exists(target), target
        print(f"refused {what}: {error}")
        return
    raise AssertionError(f"{what}: no exception")


refused("not-a-module", "model: expected a torch.nn.Module", model=lambda t: t)
refused("args", "args/kwargs: do not match Gate.forward(x)", args=(x, x))
refused("dynamic-input", "dynamic_shapes['y'][0]: no tensor input named 'y' (tensor inputs: x)",
        dynamic_shapes={"y": {0: "batch"}})
refused("dynamic-dim", "dim 2 of 'x' does not exist (rank 2)", dynamic_shapes={"x": {2: "n"}})
refused("output-names", "output_names: 1 name(s) given, the model has 2 output(s)", output_names=["only"])
refused("opset", "opset: opset 12 is not supported (supported: 13..18", opset=12)
refused("durable", "durable: expected True or False, got 'yes'", durable="yes")
# A failure in the host: the first diagnostic, and still nothing written.
refused("host-failure", "no strategy could capture `Gate`", strategies=["strict"])
# Sound first: draft's graph is not sound, so without allow_unsound nothing is written...
refused("unsound", "no strategy captured a sound graph of `Gate`", strategies=["strict", "draft"])
# ... and with it the unsound graph is exported, and the result says so.
unsound_path = os.path.join(WORK, "gate-draft.onnx")
allowed = onnxport.export(model, (x,), unsound_path, strategies=["strict", "draft"], allow_unsound=True)
assert os.path.isfile(unsound_path), unsound_path
assert (allowed.strategy, allowed.sound) == ("draft", False), allowed
assert allowed.report["capture"]["unsound_candidate"]["used"] is True, allowed.report["capture"]
print("allow_unsound: ok, strategy", allowed.strategy)
# allow_unsound=False refuses it even under a config that allows it.
TORCH_COMPATIBLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config",
                                "torch-compatible.json")
refused("unsound-overridden", "no strategy captured a sound graph of `Gate`", strategies=["strict", "draft"],
        config=TORCH_COMPATIBLE, allow_unsound=False)
refused("allow-unsound-type", "allow_unsound: expected True, False or None", allow_unsound="yes")


# 3. A forward that updates its input in place: by default the model has
# forward's outputs only (the report lists the update), and
# mutations_as_outputs adds x's new value as the output `x.updated`.
class Accumulate(torch.nn.Module):
    def forward(self, x, y):
        x.add_(y)
        return x * 2


for as_outputs, want in ((False, None), (True, "x.updated")):
    target = os.path.join(WORK, f"accumulate-{as_outputs}.onnx")
    done = onnxport.export(Accumulate(), (torch.rand(2, 3), torch.rand(2, 3)), target,
                           mutations_as_outputs=as_outputs, output_names=["doubled"])
    mutations = [(m["kind"], m["name"], m["output"]) for m in done.report["mutations"]]
    assert mutations == [("input", "x", want)], mutations
    warned = "warning: forward updates its input `x` in place" in done.output
    assert warned == (not as_outputs), done.output
    print(f"mutations_as_outputs={as_outputs}: ok, {mutations}")
print("python day: all ok")
