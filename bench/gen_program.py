#!/usr/bin/env python3
"""Writes a synthetic N-layer program bundle for the export benchmark.

    python3 bench/gen_program.py N OUT_DIR [--width W] [--batch B] [--seed S]

The program is what `torch.jit.script` gives for

    class Bench(nn.Module):
        def __init__(self):
            self.layers = nn.Sequential(*[nn.Linear(W, W) for _ in range(N)])
        def forward(self, x):
            for layer in self.layers:          # inlined: one linear + relu per layer
                x = torch.relu(layer(x))
            return x

with its weights in weights.safetensors and an example input x[B, W] in
inputs.safetensors. Only the standard library is used.
"""
import argparse
import json
import os
import random
import struct


def write_safetensors(path, tensors):
    """tensors: name -> (shape, list of float32 values), written in order."""
    header, offset = {}, 0
    for name, (shape, values) in tensors.items():
        size = 4 * len(values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for shape, values in tensors.values():
            f.write(struct.pack("<%df" % len(values), *values))
    os.replace(tmp, path)


def node(kind, inputs, outputs, attrs=None, scope="", line=0, text="", types=None):
    n = {"kind": kind, "inputs": inputs, "outputs": outputs}
    if attrs:
        n["attrs"] = attrs
    if types:
        n["output_types"] = types
    if line:
        n["source"] = {"file": "bench_model.py", "line": line, "col": 17, "text": text}
    if scope:
        n["scope"] = scope
    return n


def layer_nodes(i, x_in):
    """One Linear + relu: GetAttr chain, aten::linear, aten::relu."""
    m, w, b, lin, out = "_%d" % i, "w.%d" % i, "b.%d" % i, "linear.%d" % i, "x.%d" % (i + 1)
    scope = "layers.%d" % i
    return [
        node("prim::GetAttr", ["layers"], [m], {"name": str(i)}, types=["Module"]),
        node("prim::GetAttr", [m], [w], {"name": "weight"}, types=["Tensor"]),
        node("prim::GetAttr", [m], [b], {"name": "bias"}, types=["Tensor"]),
        node("aten::linear", [x_in, w, b], [lin], scope=scope, line=12, text="x = torch.relu(layer(x))",
             types=["Tensor"]),
        node("aten::relu", [lin], [out], scope=scope, line=12, text="x = torch.relu(layer(x))", types=["Tensor"]),
    ], out


def program(n_layers, width, batch):
    linear = {"type": "Linear", "attributes": {"training": False, "in_features": width, "out_features": width},
              "parameters": ["weight", "bias"]}
    nodes = [node("prim::GetAttr", ["self"], ["layers"], {"name": "layers"}, types=["Module"])]
    x = "x"
    for i in range(n_layers):
        more, x = layer_nodes(i, x)
        nodes += more
    return {
        "format": "onnxport.program",
        "version": 1,
        "name": "Bench%d" % n_layers,
        "producer": {"name": "bench/gen_program.py", "layers": n_layers, "width": width},
        "module": {
            "type": "Bench",
            "attributes": {"training": False},
            "children": {"layers": {"type": "Sequential", "attributes": {"training": False},
                                    "children": {str(i): linear for i in range(n_layers)}}},
        },
        "graph": {
            "inputs": [{"name": "self", "type": "Module"},
                       {"name": "x", "type": "Tensor", "dtype": "float32", "shape": [batch, width]}],
            "nodes": nodes,
            "outputs": [x],
        },
    }


def weights(n_layers, width, rng):
    # Scaled so activations stay O(1) through thousands of layers.
    scale = 1.0 / width
    tensors = {}
    for i in range(n_layers):
        tensors["layers.%d.weight" % i] = ([width, width], [rng.uniform(-scale, scale) + (scale if r == c else 0.0)
                                                            for r in range(width) for c in range(width)])
        tensors["layers.%d.bias" % i] = ([width], [rng.uniform(-0.01, 0.01) for _ in range(width)])
    return tensors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("layers", type=int, help="number of linear+relu layers (N)")
    parser.add_argument("out_dir", help="bundle folder to write")
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.layers < 1 or args.width < 1 or args.batch < 1:
        parser.error("layers, width and batch must be positive")
    rng = random.Random(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)
    doc = program(args.layers, args.width, args.batch)
    tmp = os.path.join(args.out_dir, "program.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(tmp, os.path.join(args.out_dir, "program.json"))
    write_safetensors(os.path.join(args.out_dir, "weights.safetensors"), weights(args.layers, args.width, rng))
    x = [rng.uniform(0.0, 1.0) for _ in range(args.batch * args.width)]
    write_safetensors(os.path.join(args.out_dir, "inputs.safetensors"), {"x": ([args.batch, args.width], x)})


if __name__ == "__main__":
    main()
