#!/usr/bin/env python3
"""Writes the seed's program bundles: examples/seed, seed-cond, seed-gt.

The graphs are what `torch.jit.script(ModelWithControlFlowTest()).inlined_graph`
gives with PyTorch 1.13 (seed-cond: the seed's patched forward, with the branch
as higher_order::cond), and the weights are the ones the seed prints. Only the
standard library is used, so the bundles can be regenerated anywhere:

    python3 examples/make_seed_bundles.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_FILE = "plot_exporter_recipes_oe_cond.py"
LINEAR_FILE = "torch/nn/modules/linear.py"

WEIGHTS = {
    "mlp.0.weight": ([2, 3], [0.284533, 0.0663717, -0.510749, 0.244287, 0.37044, -0.546452]),
    "mlp.0.bias": ([2], [-0.403322, -0.409063]),
    "mlp.1.weight": ([1, 2], [0.363914, -0.449402]),
    "mlp.1.bias": ([1], [0.19677]),
}


def write_safetensors(path, tensors):
    """tensors: name -> (shape, list of float32 values)."""
    header, blobs, offset = {}, [], 0
    for name, (shape, values) in tensors.items():
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)


def src(line, col, text, file=SEED_FILE):
    return {"file": file, "line": line, "col": col, "text": text}


LINEAR_SRC = src(114, 15, "return F.linear(input, self.weight, self.bias)", LINEAR_FILE)


def module_tree():
    linear = lambda: {"type": "Linear", "attributes": {"training": False, "in_features": None},
                      "parameters": ["weight", "bias"]}
    l0, l1 = linear(), linear()
    l0["attributes"]["in_features"], l0["attributes"]["out_features"] = 3, 2
    l1["attributes"]["in_features"], l1["attributes"]["out_features"] = 2, 1
    # Declared shapes let the loader reject a weights file that does not fit.
    l0["parameter_shapes"] = {"weight": WEIGHTS["mlp.0.weight"][0], "bias": WEIGHTS["mlp.0.bias"][0]}
    l1["parameter_shapes"] = {"weight": WEIGHTS["mlp.1.weight"][0], "bias": WEIGHTS["mlp.1.bias"][0]}
    return {
        "type": "ModelWithControlFlowTest",
        "attributes": {"training": False},
        "children": {
            "mlp": {
                "type": "Sequential",
                "attributes": {"training": False},
                "children": {
                    "0": l0,
                    "1": l1,
                    "2": {"type": "ForwardWithControlFlowTest", "attributes": {"training": False}},
                },
            }
        },
    }


def node(kind, inputs, outputs, attrs=None, source=None, scope="", blocks=None, types=None):
    n = {"kind": kind, "inputs": inputs, "outputs": outputs}
    if attrs:
        n["attrs"] = attrs
    if blocks:
        n["blocks"] = blocks
    if types:
        n["output_types"] = types
    if source:
        n["source"] = source
    if scope:
        n["scope"] = scope
    return n


def mlp_prefix():
    """GetAttr chains and the two linears, as TorchScript inlines them."""
    return [
        node("prim::GetAttr", ["self"], ["mlp"], {"name": "mlp"}, types=["Module"]),
        node("prim::Constant", [], ["4"], {"value": None}, types=["NoneType"]),
        node("prim::Constant", [], ["5"], {"value": 2}, src(25, 23, "return x * 2"), "mlp.2", types=["int"]),
        node("prim::GetAttr", ["mlp"], ["_0"], {"name": "0"}, types=["Module"]),
        node("prim::GetAttr", ["mlp"], ["_1"], {"name": "1"}, types=["Module"]),
        node("prim::GetAttr", ["mlp"], ["_2"], {"name": "2"}, types=["Module"]),
        node("prim::GetAttr", ["_0"], ["weight.1"], {"name": "weight"}, types=["Tensor"]),
        node("prim::GetAttr", ["_0"], ["bias.1"], {"name": "bias"}, types=["Tensor"]),
        node("aten::linear", ["x", "weight.1", "bias.1"], ["input.5"], source=LINEAR_SRC, scope="mlp.0",
             types=["Tensor"]),
        node("prim::GetAttr", ["_1"], ["weight"], {"name": "weight"}, types=["Tensor"]),
        node("prim::GetAttr", ["_1"], ["bias"], {"name": "bias"}, types=["Tensor"]),
        node("aten::linear", ["input.5", "weight", "bias"], ["input.9"], source=LINEAR_SRC, scope="mlp.1",
             types=["Tensor"]),
    ]


def branches(cond_inputs=False):
    """then: x * 2, else: -x. With cond_inputs the blocks take the operand as input."""
    x = "x_op" if cond_inputs else "input.9"
    then_block = {"inputs": [x] if cond_inputs else [], "outputs": ["18"], "nodes": [
        node("aten::mul", [x, "5"], ["18"], source=src(25, 19, "return x * 2"), scope="mlp.2", types=["Tensor"])]}
    else_block = {"inputs": [x] if cond_inputs else [], "outputs": ["19"], "nodes": [
        node("aten::neg", [x], ["19"], source=src(26, 15, "return -x"), scope="mlp.2", types=["Tensor"])]}
    return [then_block, else_block]


def program(nodes, producer_note):
    return {
        "format": "onnxport.program",
        "version": 1,
        "name": "ModelWithControlFlowTest",
        "producer": {"name": "examples/make_seed_bundles.py", "torch": "1.13.1", "note": producer_note},
        "module": module_tree(),
        "graph": {
            "inputs": [
                {"name": "self", "type": "Module"},
                {"name": "x", "type": "Tensor", "dtype": "float32", "shape": [3]},
            ],
            "nodes": nodes,
            "outputs": ["out.1"],
        },
    }


def seed():
    # if x.sum():  ->  aten::sum, aten::Bool, prim::If
    nodes = mlp_prefix() + [
        node("aten::sum", ["input.9", "4"], ["15"], source=src(24, 11, "if x.sum():"), scope="mlp.2",
             types=["Tensor"]),
        node("aten::Bool", ["15"], ["16"], source=src(24, 11, "if x.sum():"), scope="mlp.2", types=["bool"]),
        node("prim::If", ["16"], ["out.1"], source=src(24, 8, "if x.sum():"), scope="mlp.2",
             blocks=branches(), types=["Tensor"]),
    ]
    return program(nodes, "torch.jit.script inlined graph of the seed's model")


def seed_gt():
    # if x.sum() > 0:  ->  aten::sum, aten::gt, aten::Bool, prim::If
    line = "if x.sum() > 0:"
    nodes = mlp_prefix() + [
        node("prim::Constant", [], ["zero"], {"value": 0}, src(24, 21, line), "mlp.2", types=["int"]),
        node("aten::sum", ["input.9", "4"], ["15"], source=src(24, 11, line), scope="mlp.2", types=["Tensor"]),
        node("aten::gt", ["15", "zero"], ["gt"], source=src(24, 11, line), scope="mlp.2", types=["Tensor"]),
        node("aten::Bool", ["gt"], ["16"], source=src(24, 11, line), scope="mlp.2", types=["bool"]),
        node("prim::If", ["16"], ["out.1"], source=src(24, 8, line), scope="mlp.2",
             blocks=branches(), types=["Tensor"]),
    ]
    return program(nodes, "the seed's model with `if x.sum() > 0:`")


def seed_cond():
    # torch.cond(x.sum() > 0, identity2, neg, (x,))
    line = "return torch.cond(x.sum() > 0, identity2, neg, (x,))"
    nodes = mlp_prefix() + [
        node("prim::Constant", [], ["zero"], {"value": 0}, src(80, 34, line), "mlp.2", types=["int"]),
        node("aten::sum", ["input.9", "4"], ["15"], source=src(80, 26, line), scope="mlp.2", types=["Tensor"]),
        node("aten::gt", ["15", "zero"], ["gt"], source=src(80, 26, line), scope="mlp.2", types=["Tensor"]),
        node("higher_order::cond", ["gt", "input.9"], ["out.1"], source=src(80, 15, line), scope="mlp.2",
             blocks=branches(cond_inputs=True), types=["Tensor"]),
    ]
    return program(nodes, "the seed's patched forward: torch.cond(x.sum() > 0, identity2, neg, (x,))")


def write_bundle(name, prog, inputs):
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "program.json"), "w") as f:
        json.dump(prog, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(out, "weights.safetensors"), WEIGHTS)
    if inputs is not None:
        write_safetensors(os.path.join(out, "inputs.safetensors"), {"x": ([3], inputs)})


if __name__ == "__main__":
    write_bundle("seed", seed(), None)
    write_bundle("seed-cond", seed_cond(), None)
    write_bundle("seed-gt", seed_gt(), [-3.0, -3.0, -3.0])
