#!/usr/bin/env python3
"""Fails when a translator reads a node's arguments by position.

Issue 11 / docs/architecture.md §4a: translators bind the node to its op's
schema (`NodeArgs a(ctx)`) and read arguments by name. This check scans the
translator sources for the positional forms:

  - the index readers: int_arg(ctx, 4, ...), float_arg, bool_arg, str_arg,
    ints_arg, floats_arg, dtype_arg with a position;
  - the context's positional accessors: ctx.arg(i), ctx.input(i),
    ctx.has_input(i), ctx.input_value(i), ctx.num_inputs();
  - the common.hpp helpers called with a position instead of a NodeArgs
    (rank_of(ctx, 0), input_as(ctx, 1, d), result_type(ctx, {0, 1}) ...).
    By convention the NodeArgs is named `a` or `args`, so a helper whose
    second argument is anything else is a positional call.

Ops without an aten schema (prim::, onnxport::) may read by position: each
file that does is listed in ALLOWED with the number of reads it may keep and
why (the same list is in docs/plugin-authoring.md). A count above its
allowance fails, and so does a count below it (lower the allowance, so a
removed exception cannot silently come back).

Usage: check_named_args.py [--dir plugins/translators-aten] [--expect N]
  --expect N: the self-test mode: succeed only when exactly N positional
  reads are found (ALLOWED ignored); run on positional_fixture/, whose
  file has one read of each form next to reads by name that must not count.
"""
import argparse
import pathlib
import re
import sys

HELPERS = ("rank_of|static_dim|arg_dtype|input_as|int_list_tensor|int_as_1d|int_as_scalar|"
           "is_constant|is_value|is_tensor_value|result_type")
# The argument after ctx is not the NodeArgs (`a`, `args` or `NodeArgs(ctx)`).
NOT_NODE_ARGS = r"(?=\S)(?!a\b|args\b|NodeArgs\()"
PATTERNS = [
    ("index reader", re.compile(r"\b(?:int|float|bool|str|ints|floats|dtype)_arg\(\s*ctx\s*,\s*" + NOT_NODE_ARGS)),
    ("ctx positional accessor", re.compile(r"\bctx\.(?:arg|input|has_input|input_value)\(|\bctx\.num_inputs\(\)")),
    ("helper by position", re.compile(r"\b(?:" + HELPERS + r")\(\s*ctx\s*,\s*" + NOT_NODE_ARGS)),
]

# Files that implement the positional helpers themselves.
SKIP = {"common.cpp"}

# file -> (reads it may keep, why). Only for ops with no aten schema.
ALLOWED = {
    "control_flow.cpp": (11, "higher_order::cond and higher_order::loop are onnxport's own ops: no aten schema; "
                             "their inputs are (predicate | max_trip, cond), then the carried values"),
    "conversion.cpp": (2, "aten::NumToTensor is TorchScript's prim::NumToTensor: no aten schema"),
}


def count_reads(path):
    hits = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        code = line.split("//", 1)[0]
        for kind, pattern in PATTERNS:
            for _ in pattern.finditer(code):
                hits.append((lineno, kind, line.strip()))
    return hits


def main():
    parser = argparse.ArgumentParser()
    here = pathlib.Path(__file__).resolve()
    parser.add_argument("--dir", default=str(here.parents[3] / "plugins" / "translators-aten"))
    parser.add_argument("--expect", type=int)
    opts = parser.parse_args()
    root = pathlib.Path(opts.dir)
    files = sorted(p for p in root.glob("*.cpp") if p.name not in SKIP)
    if not files:
        print(f"no translator sources in {root}")
        return 1
    failed = False
    total = 0
    for path in files:
        hits = count_reads(path)
        total += len(hits)
        allowed = ALLOWED.get(path.name, (0, ""))[0]
        if opts.expect is not None:
            for lineno, kind, text in hits:
                print(f"  {path.name}:{lineno}: {kind}: {text}")
            continue
        if len(hits) > allowed:
            failed = True
            print(f"{path}: {len(hits)} positional argument reads (allowed {allowed}); read them by name "
                  f"with NodeArgs (docs/architecture.md §4a):")
            for lineno, kind, text in hits:
                print(f"  {path.name}:{lineno}: {kind}: {text}")
        elif len(hits) < allowed:
            failed = True
            print(f"{path}: {len(hits)} positional reads, fewer than the {allowed} allowed: lower its entry in "
                  f"ALLOWED ({here.name}) and in docs/plugin-authoring.md")
    print(f"{len(files)} files, {total} positional reads in all")
    if opts.expect is not None:
        if total != opts.expect:
            print(f"expected {opts.expect} positional reads, found {total}: the patterns miss a form or "
                  f"count a read by name")
            return 1
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
