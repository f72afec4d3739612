#!/usr/bin/python3
"""Writes bundle/: the template's program bundle (onnxport.program v1).

The program is what torch.jit.script makes of

    class SwishClampGelu(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x):
            h = torch.ops.mylib.swish_clamp(self.fc(x), -0.25, 0.5)
            return F.gelu(h)

written out by hand (mylib::swish_clamp is not a torch op, so there is nothing
to script). Weights are seeded; expected.safetensors is computed with eager
PyTorch ops (clamp(x * sigmoid(x), lo, hi), then exact gelu).

    /usr/bin/python3 make_bundle.py [OUT_DIR]     # default: ./bundle
"""
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

LO, HI = -0.25, 0.5  # both bounds clamp some of the example values
SOURCE = "plugin_template_model.py"


def write_safetensors(path, tensors):
    """name -> float32 torch tensor, in the safetensors layout."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def node(kind, inputs, outputs, output_types, attrs=None, line=None, text=None, scope=None):
    n = {"kind": kind, "inputs": inputs, "outputs": outputs, "output_types": output_types}
    if attrs is not None:
        n["attrs"] = attrs
    if line is not None:
        n["source"] = {"file": SOURCE, "line": line, "col": 8, "text": text}
    if scope is not None:
        n["scope"] = scope
    return n


def program():
    swish_line = "h = torch.ops.mylib.swish_clamp(self.fc(x), -0.25, 0.5)"
    return {
        "format": "onnxport.program", "version": 1, "name": "SwishClampGelu",
        "producer": {"name": "examples/plugin-template/make_bundle.py", "torch": torch.__version__.split("+")[0],
                     "note": "hand-written TorchScript graph with a custom op"},
        "module": {"type": "SwishClampGelu", "attributes": {"training": False},
                   "children": {"fc": {"type": "Linear",
                                       "attributes": {"training": False, "in_features": 4, "out_features": 3},
                                       "parameters": ["weight", "bias"],
                                       "parameter_shapes": {"weight": [3, 4], "bias": [3]}}}},
        "graph": {
            "inputs": [{"name": "self", "type": "Module"},
                       {"name": "x", "type": "Tensor", "dtype": "float32", "shape": [2, 4]}],
            "nodes": [
                node("prim::GetAttr", ["self"], ["fc"], ["Module"], {"name": "fc"}),
                node("prim::GetAttr", ["fc"], ["weight"], ["Tensor"], {"name": "weight"}),
                node("prim::GetAttr", ["fc"], ["bias"], ["Tensor"], {"name": "bias"}),
                node("aten::linear", ["x", "weight", "bias"], ["linear"], ["Tensor"],
                     line=10, text=swish_line, scope="fc"),
                node("prim::Constant", [], ["lo"], ["float"], {"value": LO}),
                node("prim::Constant", [], ["hi"], ["float"], {"value": HI}),
                node("mylib::swish_clamp", ["linear", "lo", "hi"], ["h"], ["Tensor"], line=10, text=swish_line),
                node("prim::Constant", [], ["approximate"], ["str"], {"value": "none"}),
                node("aten::gelu", ["h", "approximate"], ["out"], ["Tensor"],
                     line=11, text="return F.gelu(h)"),
            ],
            "outputs": ["out"],
        },
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "bundle")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    fc = torch.nn.Linear(4, 3)
    x = torch.tensor([[-3.0, -1.0, 0.5, 2.0], [1.5, -0.5, 3.0, -2.0]])
    with torch.no_grad():
        h = fc(x)
        expected = F.gelu(torch.clamp(h * torch.sigmoid(h), LO, HI))
    with open(os.path.join(out, "program.json"), "w") as f:
        json.dump(program(), f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(out, "weights.safetensors"), {"fc.weight": fc.weight, "fc.bias": fc.bias})
    write_safetensors(os.path.join(out, "inputs.safetensors"), {"x": x})
    write_safetensors(os.path.join(out, "expected.safetensors"), {"output.0": expected})
    print("wrote", out)


if __name__ == "__main__":
    main()
