#!/usr/bin/env python3
"""Fails when an op family in core/src/ops reads an argument by position.

Meta functions and kernels read their arguments by schema name through
OpArgs (docs/architecture.md §4a); a positional read (`int_at(args, 1)`,
`args[2]`, `args.size()` to tell overloads apart) must not come back.
Scanned: the op family files (core/src/ops/*.cpp, *.hpp); op_support.{hpp,cpp}
define the old positional helpers and schema/ is the binding itself, so
neither is scanned.

Usage: check_no_positional_reads.py CORE_SRC_OPS_DIR
Before scanning, the matcher is run on known positional reads and must flag
each one, so a broken pattern cannot make the test pass vacuously.
"""
import pathlib
import re
import sys

HELPERS = ("arg_at|meta_at|data_at|int_at|double_at|bool_at|string_at|ints_at|dims_at|dim_at|is_tensor_at|present|"
           "int_or|double_or|bool_or|dtype_or_none|reduction_dims")
PATTERN = re.compile(r"\b(?:" + HELPERS + r")\(\s*args\s*,\s*\d|\bargs\s*\[\s*\d|\bargs\.at\(\s*\d|\bargs\.size\(\)")
EXEMPT = {"op_support.hpp", "op_support.cpp"}

# Each must be flagged (the self-check); the last two must not.
MUST_FLAG = ["const int64_t dim = int_at(args, 1);", "double_or(args, 4, 1e-5)", "Tensor t = args[2].meta;",
             "if (args.size() == 3)", "present(args,2)", "reduction_dims(args, 1, rank)", "args.at(0)"]
MUST_PASS = ['const int64_t dim = args.i64("dim");', "reduction_dims(args, \"dim\", rank)"]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    missed = [s for s in MUST_FLAG if not PATTERN.search(s)] + [s for s in MUST_PASS if PATTERN.search(s)]
    if missed:
        print("the positional-read pattern is broken; it misjudges: " + "; ".join(missed))
        return 1
    root = pathlib.Path(sys.argv[1])
    files = sorted(p for p in root.glob("*") if p.suffix in (".cpp", ".hpp") and p.name not in EXEMPT)
    if not files:
        print(f"no sources under {root}")
        return 1
    hits = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if PATTERN.search(line):
                hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    if hits:
        print(f"{len(hits)} positional argument read(s) in {root}; read them by schema name "
              "(OpArgs, docs/architecture.md §4a):")
        print("\n".join(hits))
        return 1
    print(f"no positional argument reads in {len(files)} files under {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
