"""The torch2program command line (tools/torch2program/torch2program.py and
`python3 -m onnxport.torch2program` both run main())."""
import argparse
import json
import sys
import time

from .bundle import write_bundle
from .errors import ConversionError


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
    parser.add_argument("--expected", action="store_true",
                        help="also run eager PyTorch on the inputs and write its outputs (expected.safetensors)")
    parser.add_argument("--timings", action="store_true",
                        help="print the seconds spent in script, walk, weights and eager (and in startup)")
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
    started = time.perf_counter()
    # Imported here so `--help` works without loading torch.
    import torch
    from .cli_spec import build_module, parse_dynamic, parse_input

    torch.manual_seed(args.seed)
    module = build_module(args.module, kwargs)
    inputs = [parse_input(spec) for spec in args.input]
    startup = time.perf_counter() - started  # importing torch and building the module
    summary = write_bundle(module, tuple(v for _, v in inputs), args.output,
                           input_names=[n for n, _ in inputs], dynamic_shapes=parse_dynamic(args.dynamic),
                           force_trace=args.trace, name=args.name, expected=args.expected,
                           producer={"module": args.module, "kwargs": kwargs, "seed": args.seed})
    note = " (scripting failed, traced instead)" if summary["script_error"] else ""
    outputs = f", {summary['outputs']} expected outputs" if summary["outputs"] is not None else ""
    print(f"torch2program: wrote {args.output}: {summary['capture']}{note}, {summary['nodes']} nodes, "
          f"{summary['weights']} weights{outputs}")
    if args.timings:
        print("torch2program: " + timings_line(summary["timings"], startup, args.expected))
    return 0


def timings_line(timings, startup, expected):
    """"seconds: startup 2.10, script 0.41, walk 0.33, weights 0.05, eager - (no --expected)"."""
    parts = [f"startup {startup:.2f}"] + [f"{phase} {timings[phase]:.2f}" for phase in ("script", "walk", "weights")]
    parts.append(f"eager {timings['eager']:.2f}" if expected else "eager - (no --expected)")
    return "seconds: " + ", ".join(parts)
