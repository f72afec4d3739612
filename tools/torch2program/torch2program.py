#!/usr/bin/python3
"""torch2program: writes a PyTorch module as an onnxport program bundle.

    /usr/bin/python3 tools/torch2program/torch2program.py torchvision.models:resnet18 \\
        --input x=1x3x224x224 -o build/bundles/resnet18
    /usr/bin/python3 tools/torch2program/torch2program.py torch.nn:TransformerEncoderLayer \\
        --kwargs '{"d_model": 64, "nhead": 4, "batch_first": true}' --input src=2x10x64 \\
        --dynamic src:0=batch -o out/encoder

From Python (with tools/torch2program on PYTHONPATH):

    from torch2program import write_bundle
    write_bundle(module, (x,), "out/model", dynamic_shapes={"x": {0: "batch"}})

The bundle format is docs/program-format.md; what this tool writes and how is
docs/torch2program.md. Exit status: 0 written, 1 the module cannot be converted
(the message names the construct and the source line), 2 bad command line.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from torch2program_lib.bundle import write_bundle  # noqa: E402  (re-exported API)
from torch2program_lib.errors import ConversionError  # noqa: E402

__all__ = ["write_bundle", "ConversionError", "main"]


def _parser():
    parser = argparse.ArgumentParser(
        prog="torch2program", description="Write a PyTorch module as an onnxport program bundle.")
    parser.add_argument("module", help="package.module:factory or path/to/file.py:ClassName")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=SPEC",
                        help="an input of forward, in order: x=1x3x224x224[:float32], idx=2x7:int64:0..100, "
                             "n=int:3, f=float:0.5, b=bool:true, o=none, lx=[2x3,2x3]")
    parser.add_argument("-o", "--output", required=True, metavar="BUNDLE_DIR", help="bundle directory to write")
    parser.add_argument("--kwargs", default="{}", metavar="JSON", help="keyword arguments for the factory")
    parser.add_argument("--dynamic", action="append", default=[], metavar="NAME:DIM=SYMBOL",
                        help="make a dim symbolic, e.g. x:0=batch")
    parser.add_argument("--trace", action="store_true", help="trace instead of scripting")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed for weights and inputs")
    parser.add_argument("--name", help="program name (default: the module's class name)")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        kwargs = json.loads(args.kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        print(f"torch2program: error: --kwargs must be a JSON object: {error}", file=sys.stderr)
        return 2
    try:
        return _convert(args, kwargs)
    except ConversionError as error:
        print(f"torch2program: error: {error.message}", file=sys.stderr)
        if error.where:
            print(f"  at {error.where}", file=sys.stderr)
        return 1


def _convert(args, kwargs):
    # Imported here so `--help` works without loading torch.
    import torch
    from torch2program_lib.cli_spec import build_module, parse_dynamic, parse_input

    torch.manual_seed(args.seed)
    module = build_module(args.module, kwargs)
    inputs = [parse_input(spec) for spec in args.input]
    summary = write_bundle(module, tuple(v for _, v in inputs), args.output,
                           input_names=[n for n, _ in inputs], dynamic_shapes=parse_dynamic(args.dynamic),
                           force_trace=args.trace, name=args.name,
                           producer={"module": args.module, "kwargs": kwargs, "seed": args.seed})
    note = " (scripting failed, traced instead)" if summary["script_error"] else ""
    print(f"torch2program: wrote {args.output}: {summary['capture']}{note}, {summary['nodes']} nodes, "
          f"{summary['weights']} weights, {summary['outputs']} outputs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
