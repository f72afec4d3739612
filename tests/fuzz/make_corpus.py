#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora, dictionaries and the whole-program
target's fixed weights file (docs/fuzzing.md). Run it from anywhere:

    /usr/bin/python3 tests/fuzz/make_corpus.py --onnxport build/bin/onnxport \\
        [--hostile tests/hostile/inputs]

It writes, under tests/fuzz/:
  corpus/program_json, corpus/whole_program   program.json of the examples,
        of small bundles made here with torch2program, and of the hostile
        reproducers;
  corpus/safetensors   the weights/inputs/expected files of the same bundles,
        hand-made files for every dtype, and the hostile reproducers;
  corpus/config        the shipped configs, hand-made ones using every key,
        and the hostile reproducers;
  corpus/onnx_model    the small bundles exported by `onnxport export`, and
        the hostile reproducers;
  whole_program.weights.safetensors   every weight of those bundles (names
        are unique across them), so each program.json loads as a bundle;
  <target>.dict        the format's keys and words.

Files that scripts/fuzz.sh merged into the corpora (named by their SHA-1) are
kept; the seeds written here have readable names and are rewritten.
"""
import argparse
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "torch2program"))

# Weights files larger than this are not copied into the corpora (the
# fuzzer mutates small inputs best; libFuzzer's default -max_len is 4096).
MAX_SEED_BYTES = 64 * 1024


# ---------------------------------------------------------------- small bundles

def small_modules():
    """name -> (module, args, dynamic_shapes). Submodule names are unique across
    the modules so their weights can share one file."""
    import torch
    from torch import nn

    class ConvPool(nn.Module):
        def __init__(self):
            super().__init__()
            self.cp_conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
            self.cp_bn = nn.BatchNorm2d(3)

        def forward(self, x):
            y = torch.relu(self.cp_bn(self.cp_conv(x)))
            return nn.functional.max_pool2d(y, 2, stride=1), nn.functional.avg_pool2d(y, 2)

    class SplitCat(nn.Module):
        def forward(self, x):
            a, b = torch.split(x, [1, 2], dim=1)
            c = torch.chunk(x, 3, dim=1)
            return torch.cat([b, a], 1) + torch.stack(list(c), 0).sum(0), x.reshape(-1).flip(0)

    class DataIf(nn.Module):
        def __init__(self):
            super().__init__()
            self.if_lin = nn.Linear(4, 4)

        def forward(self, x):
            if x.sum() > 0:
                return self.if_lin(x).sigmoid()
            return x.cos() * 2

    class Loop(nn.Module):
        def forward(self, x, n: int):
            outs = []
            for i in range(n):
                x = x * 0.5 + i
                outs.append(x)
            return torch.stack(outs, 0).mean(0)

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.rn_lstm = nn.LSTM(3, 4, batch_first=True)
            self.rn_gru = nn.GRU(4, 2)

        def forward(self, x):
            y, _ = self.rn_lstm(x)
            z, h = self.rn_gru(y)
            return z, h

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.at_mha = nn.MultiheadAttention(4, 2, batch_first=True)
            self.at_norm = nn.LayerNorm(4)

        def forward(self, x):
            y, w = self.at_mha(x, x, x)
            return self.at_norm(y + x), w

    class Embed(nn.Module):
        def __init__(self):
            super().__init__()
            self.em_emb = nn.Embedding(10, 3)

        def forward(self, idx):
            e = self.em_emb(idx)
            return torch.softmax(e, -1).argmax(-1), e.transpose(0, 1).contiguous()

    class Indexing(nn.Module):
        def forward(self, x, i):
            y = x[:, 1:3]
            y = y[..., None]
            z = torch.where(x > 0, x, torch.zeros_like(x))
            return y.squeeze(-1) + 1, z[i], x.gather(1, i.unsqueeze(1).expand(-1, 2))

    class ListInput(nn.Module):
        def forward(self, xs: list[torch.Tensor], scale: float):
            total = xs[0]
            for t in xs[1:]:
                total = total + t
            return total * scale, len(xs)

    torch.manual_seed(0)
    x4 = torch.randn(2, 2, 5, 5)
    return {
        "conv_pool": (ConvPool(), (x4,), {"x": {0: "batch"}}),
        "split_cat": (SplitCat(), (torch.randn(2, 3),), None),
        "data_if": (DataIf(), (torch.randn(2, 4),), None),
        "loop": (Loop(), (torch.randn(3), 4), None),
        "recurrent": (Recurrent(), (torch.randn(1, 5, 3),), {"x": {1: "seq"}}),
        "attention": (Attention(), (torch.randn(1, 3, 4),), None),
        "embed": (Embed(), (torch.tensor([[1, 2, 3], [4, 5, 9]]),), None),
        "indexing": (Indexing(), (torch.randn(3, 4), torch.tensor([0, 2, 1])), None),
        "list_input": (ListInput(), ([torch.randn(2), torch.randn(2), torch.randn(2)], 0.5), None),
    }


def write_small_bundles(out_dir):
    from torch2program import write_bundle, ConversionError
    bundles = {}
    for name, (module, args, dynamic) in small_modules().items():
        path = os.path.join(out_dir, name)
        try:
            write_bundle(module, args, path, dynamic_shapes=dynamic, expected=True)
        except ConversionError as error:
            print(f"make_corpus: {name}: not converted: {error}", file=sys.stderr)
            continue
        bundles["gen-" + name] = path
    return bundles


# ---------------------------------------------------------------- safetensors

def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = (entry["dtype"], entry["shape"], body[begin:end])
    return tensors


def write_safetensors(path, tensors, metadata=None, align=True):
    """tensors: name -> (dtype, shape, bytes)."""
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    if align:
        head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blob for _, _, blob in tensors.values()))


def handmade_safetensors(out_dir):
    f32 = lambda *v: struct.pack("<%df" % len(v), *v)
    files = {
        "every-dtype": {
            "f32": ("F32", [2], f32(1.5, -2)),
            "f64": ("F64", [1], struct.pack("<d", 3.25)),
            "f16": ("F16", [2], struct.pack("<2H", 0x3C00, 0xFC00)),
            "bf16": ("BF16", [2], struct.pack("<2H", 0x3F80, 0x7FC0)),
            "i64": ("I64", [2, 1], struct.pack("<2q", -1, 2 ** 40)),
            "i32": ("I32", [3], struct.pack("<3i", 1, 2, 3)),
            "i16": ("I16", [1], struct.pack("<h", -7)),
            "i8": ("I8", [2], struct.pack("<2b", -1, 1)),
            "u8": ("U8", [3], bytes([0, 128, 255])),
            "bool": ("BOOL", [2], bytes([0, 1])),
        },
        "empty-and-scalar": {
            "empty": ("F32", [0, 3], b""),
            "scalar": ("F32", [], f32(7)),
        },
    }
    written = []
    for name, tensors in files.items():
        path = os.path.join(out_dir, f"hand-{name}.safetensors")
        write_safetensors(path, tensors, metadata={"format": "pt"})
        written.append(path)
    return written


def merged_weights(bundles, out_file):
    merged = {}
    for origin, path in sorted(bundles.items()):
        weights = os.path.join(path, "weights.safetensors")
        if not os.path.exists(weights):
            continue
        for name, tensor in read_safetensors(weights).items():
            if name in merged and merged[name][1:] != tensor[1:]:
                if merged[name][1] != tensor[1]:
                    sys.exit(f"make_corpus: weight {name!r} of {origin} differs in shape from an earlier bundle's")
                continue  # same name and shape: the first bundle's values stand
            merged.setdefault(name, tensor)
    write_safetensors(out_file, merged)
    return os.path.getsize(out_file)


# ---------------------------------------------------------------- configs

HANDMADE_CONFIGS = {
    "every-key": {
        "plugins": [{"name": "strategy-strict"}, {"name": "translators-aten", "priority": 5},
                    {"path": "plugins/libonnxport-custom.so"}],
        "strategies": ["strict", "draft"],
        "opset": 13,
        "optimize": False,
        "dynamic_shapes": {"x": {"0": "batch", "2": "seq"}},
        "pin": {"aten::linear": "translators-aten"},
        "verify": {"enabled": True, "atol": 1e-5, "rtol": 0.01},
        "report": {"markdown": False, "json": True},
        "isolate": True,
        "timeout_s": 30.5,
    },
    "minimal": {},
}


# ---------------------------------------------------------------- dictionaries

# String values worth a dictionary entry: types ("List[Tensor]"), dtypes,
# op kinds; not value names or source text.
TYPE_LIKE = re.compile(r"^(?:[A-Z][A-Za-z]*(?:\[[A-Za-z, \[\]]*\])?|[a-z]+[0-9]*|[a-z_]+::[A-Za-z_0-9]+)$")


def json_words(value, words):
    if isinstance(value, dict):
        for k, v in value.items():
            words.add(k)
            json_words(v, words)
    elif isinstance(value, list):
        for v in value:
            json_words(v, words)
    elif isinstance(value, str) and len(value) <= 32 and TYPE_LIKE.match(value):
        words.add(value)


def op_kinds():
    kinds = set()
    for path in glob.glob(os.path.join(ROOT, "core", "src", "**", "*.cpp"), recursive=True) + \
            glob.glob(os.path.join(ROOT, "plugins", "**", "*.cpp"), recursive=True):
        with open(path, encoding="utf-8") as f:
            kinds.update(re.findall(r'"((?:aten|prim|higher_order)::[A-Za-z_0-9]+)"', f.read()))
    return kinds


def write_dict(path, title, quoted_words, raw_tokens=()):
    lines = [f"# {title}", "# Written by tests/fuzz/make_corpus.py (libFuzzer -dict format)."]
    for word in sorted(quoted_words):
        escaped = json.dumps(word)[1:-1].replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'"\\"{escaped}\\""')
    for token in raw_tokens:
        lines.append('"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"')
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


JSON_TOKENS = ["{", "}", "[", "]", ":", ",", "null", "true", "false", "-1", "0", "1e999", "-0.0",
               "9223372036854775807", "18446744073709551616", "4294967295", "1.5e308"]


# ---------------------------------------------------------------- main

def reset_seeds(folder):
    """Removes the seeds written by an earlier run (readable names), keeps
    what scripts/fuzz.sh merged in (40-hex SHA-1 names)."""
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if not re.fullmatch(r"[0-9a-f]{40}", name):
            os.remove(os.path.join(folder, name))


def copy_seed(src, folder, name):
    if os.path.getsize(src) <= MAX_SEED_BYTES:
        shutil.copyfile(src, os.path.join(folder, name))


def hostile_files(hostile_dir, patterns):
    found = []
    for pattern in patterns:
        found += glob.glob(os.path.join(hostile_dir, "*", pattern))
    return sorted(found)


def hostile_name(path):
    return "hostile-" + os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onnxport", required=True, help="the onnxport CLI, to export the bundles as .onnx seeds")
    parser.add_argument("--hostile", default=os.path.join(ROOT, "tests", "hostile", "inputs"),
                        help="folder of hostile reproducers (each in a folder of its own)")
    args = parser.parse_args()

    corpus = os.path.join(HERE, "corpus")
    targets = ["program_json", "whole_program", "safetensors", "config", "onnx_model"]
    for t in targets:
        reset_seeds(os.path.join(corpus, t))

    with tempfile.TemporaryDirectory() as tmp:
        bundles = {"example-" + os.path.relpath(os.path.dirname(p), os.path.join(ROOT, "examples")).replace("/", "-"): os.path.dirname(p)
                   for p in glob.glob(os.path.join(ROOT, "examples", "**", "program.json"), recursive=True)}
        bundles.update(write_small_bundles(tmp))

        program_words, safetensors_words = set(), set()
        for origin, path in sorted(bundles.items()):
            program = os.path.join(path, "program.json")
            with open(program, encoding="utf-8") as f:
                json_words(json.load(f), program_words)
            for t in ("program_json", "whole_program"):
                copy_seed(program, os.path.join(corpus, t), origin + ".json")
            for st in glob.glob(os.path.join(path, "*.safetensors")):
                copy_seed(st, os.path.join(corpus, "safetensors"), origin + "-" + os.path.basename(st))
            out = os.path.join(tmp, origin + ".onnx")
            run = subprocess.run([args.onnxport, "export", path, "-o", out, "--quiet"],
                                 capture_output=True, text=True)
            if run.returncode == 0:
                copy_seed(out, os.path.join(corpus, "onnx_model"), origin + ".onnx")
            else:
                print(f"make_corpus: {origin}: not exported: {run.stderr.strip()[:300]}", file=sys.stderr)
        weights_bytes = merged_weights(bundles, os.path.join(HERE, "whole_program.weights.safetensors"))

        for path in handmade_safetensors(tmp):
            copy_seed(path, os.path.join(corpus, "safetensors"), os.path.basename(path))
        for st in glob.glob(os.path.join(tmp, "*.safetensors")):
            with open(st, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                json_words(json.loads(f.read(n)), safetensors_words)

        config_words = set()
        configs = glob.glob(os.path.join(ROOT, "config", "*.json")) + \
            glob.glob(os.path.join(ROOT, "examples", "**", "config.json"), recursive=True)
        for path in configs:
            name = os.path.relpath(path, ROOT).replace("/", "-")
            copy_seed(path, os.path.join(corpus, "config"), name)
            with open(path, encoding="utf-8") as f:
                json_words(json.load(f), config_words)
        for name, doc in HANDMADE_CONFIGS.items():
            with open(os.path.join(corpus, "config", f"hand-{name}.json"), "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
            json_words(doc, config_words)

    if os.path.isdir(args.hostile):
        for path in hostile_files(args.hostile, ["program.json", "*.json"]):
            with open(path, "rb") as f:
                head = f.read(4096)
            target = "config" if b'"plugins"' in head or b'"strategies"' in head or b'"opset"' in head else "program_json"
            copy_seed(path, os.path.join(corpus, target), hostile_name(path))
            if path.endswith("program.json") or b"onnxport.program" in head:
                copy_seed(path, os.path.join(corpus, "whole_program"), hostile_name(path))
        for path in hostile_files(args.hostile, ["*.safetensors"]):
            copy_seed(path, os.path.join(corpus, "safetensors"), hostile_name(path))
        for path in hostile_files(args.hostile, ["*.onnx"]):
            copy_seed(path, os.path.join(corpus, "onnx_model"), hostile_name(path))
    else:
        print(f"make_corpus: {args.hostile}: no such folder, hostile reproducers not copied", file=sys.stderr)

    kinds = op_kinds()
    write_dict(os.path.join(HERE, "program_json.dict"), "program.json: keys, types, op kinds",
               program_words | kinds | {"onnxport.program", "tensor_ref", "float", "inf", "-inf", "nan",
                                       "List[]", "Optional[Tensor]", "Tuple[Tensor, int]", "Dict[str, Tensor]"},
               JSON_TOKENS)
    shutil.copyfile(os.path.join(HERE, "program_json.dict"), os.path.join(HERE, "whole_program.dict"))
    write_dict(os.path.join(HERE, "safetensors.dict"), "safetensors: header keys and dtypes",
               safetensors_words | {"dtype", "shape", "data_offsets", "__metadata__", "F32", "F64", "F16", "BF16",
                                    "I64", "I32", "I16", "I8", "U8", "BOOL", "F8_E4M3", "U64"},
               JSON_TOKENS + ["\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00", "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x7f"])
    write_dict(os.path.join(HERE, "config.dict"), "config: keys and plugin names", config_words, JSON_TOKENS)
    onnx_words = {"ai.onnx", "com.microsoft", "onnxport", "source", "scope", "original_op", "onnxport_node",
                  "Conv", "MaxPool", "If", "Loop", "Scan", "Gemm", "MatMul", "Add", "Reshape", "Constant"}
    write_dict(os.path.join(HERE, "onnx_model.dict"), "ONNX ModelProto: op types, domains, metadata keys",
               set(), [w for w in sorted(onnx_words)] +
               # protobuf field tags of ModelProto/GraphProto/NodeProto/TensorProto (varint and length-delimited)
               ["\\x08", "\\x12", "\\x1a", "\\x22", "\\x2a", "\\x32", "\\x3a", "\\x42", "\\x4a", "\\x52", "\\x5a",
                "\\x62", "\\x6a", "\\x72", "\\x7a", "\\x82\\x01", "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x01"])
    for t in targets:
        count = len(os.listdir(os.path.join(corpus, t)))
        print(f"make_corpus: corpus/{t}: {count} files")
    print(f"make_corpus: whole_program.weights.safetensors: {weights_bytes} bytes")


if __name__ == "__main__":
    main()
