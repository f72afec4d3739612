#!/usr/bin/python3
"""Writes the aten op names of torch.onnx's symbolic registry (PyTorch 1.13)
to tests/trace/torch_onnx_registry.txt, one per line, sorted.

torch.onnx names an op after its symbolic function: the in-place marker, a
trailing "_", is dropped from the TorchScript kind before the lookup, so
"aten::add" also serves aten::add_ and "aten::__and_" serves aten::__and__.
The engine test (tests/trace/test_torch_onnx_registry.cpp) applies the same
rule when it asks whether onnxport captures a name, and
docs/torch-onnx-registry.md gives the reason for every name it does not.

Usage:
  /usr/bin/python3 scripts/gen_torch_onnx_registry.py            rewrite the list
  /usr/bin/python3 scripts/gen_torch_onnx_registry.py --check    exit 1 if it is stale
"""
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIST = ROOT / "tests" / "trace" / "torch_onnx_registry.txt"


def registry_names():
    from torch.onnx._internal import registration  # torch 1.13's registry
    return sorted(n for n in registration.registry._registry if n.startswith("aten::"))


def main(argv):
    names = registry_names()
    text = "".join(n + "\n" for n in names)
    if "--check" in argv:
        current = LIST.read_text() if LIST.exists() else ""
        if current != text:
            have = set(current.split())
            print(f"{LIST.relative_to(ROOT)} is stale: torch.onnx has {len(names)} aten names, the file "
                  f"{len(have)}; added {sorted(set(names) - have)[:10]}, removed {sorted(have - set(names))[:10]}. "
                  f"Rerun scripts/gen_torch_onnx_registry.py.", file=sys.stderr)
            return 1
        print(f"{LIST.relative_to(ROOT)}: {len(names)} names, current")
        return 0
    LIST.write_text(text)
    print(f"wrote {LIST.relative_to(ROOT)}: {len(names)} names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
