#!/usr/bin/env python3
"""Fills the code blocks of docs/plugin-authoring.md from the plugin template's
sources, so every block in the doc is code that CI compiles.

In the doc, a block to fill is written as

    <!-- snippet: examples/plugin-template/src/swish_clamp.cpp#translator -->
    ```cpp
    (anything: replaced)
    ```

and, in the source, the region is marked with comment lines

    // [doc:translator]        (or  # [doc:translator]  in CMake and Python)
    ...
    // [doc:end]

`path` without `#name` takes the whole file. Marker lines of other regions
inside a region are dropped; the region is dedented.

    scripts/gen_plugin_docs.py            rewrite the doc in place
    scripts/gen_plugin_docs.py --check    exit 1 (with a diff) if the doc is stale
"""
import argparse
import difflib
import os
import re
import sys
import textwrap

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DOC = os.path.join("docs", "plugin-authoring.md")

SNIPPET = re.compile(r"^<!-- snippet: (?P<ref>[^ ]+) -->\n```(?P<lang>[\w+-]*)\n(?P<body>.*?)^```$",
                     re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"^\s*(//|#)\s*\[doc:(?P<name>[\w-]+)\]\s*$")


class DocError(Exception):
    pass


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def region(ref, where):
    """The text of `path#name` (or the whole of `path`), markers removed."""
    path, _, name = ref.partition("#")
    full = os.path.join(ROOT, path)
    if not os.path.isfile(full):
        raise DocError("%s: snippet source %s does not exist" % (where, path))
    lines = read(full).splitlines()
    if not name:
        picked = lines
    else:
        starts = [i for i, line in enumerate(lines) if (m := MARKER.match(line)) and m.group("name") == name]
        if len(starts) != 1:
            raise DocError("%s: %s has %d '[doc:%s]' markers, expected 1" % (where, path, len(starts), name))
        ends = [i for i in range(starts[0] + 1, len(lines))
                if (m := MARKER.match(lines[i])) and m.group("name") == "end"]
        if not ends:
            raise DocError("%s: %s: '[doc:%s]' at line %d has no '[doc:end]' after it"
                           % (where, path, name, starts[0] + 1))
        picked = lines[starts[0] + 1:ends[0]]
    picked = [line for line in picked if not MARKER.match(line)]
    text = textwrap.dedent("\n".join(picked)).strip("\n")
    if not text:
        raise DocError("%s: snippet %s is empty" % (where, ref))
    return text + "\n"


def render(doc_text, doc_name=DOC):
    """The doc with every snippet block refilled; raises DocError on a bad reference."""
    def fill(match):
        line = doc_text.count("\n", 0, match.start()) + 1
        body = region(match.group("ref"), "%s:%d" % (doc_name, line))
        return "<!-- snippet: %s -->\n```%s\n%s```" % (match.group("ref"), match.group("lang"), body)

    out, count = SNIPPET.subn(fill, doc_text)
    if count == 0:
        raise DocError("%s: no '<!-- snippet: ... -->' blocks found" % doc_name)
    return out


def unfed_blocks(doc_text):
    """Line numbers of code blocks that no snippet marker feeds."""
    lines, bad, inside, prev = doc_text.splitlines(), [], False, ""
    for i, line in enumerate(lines, 1):
        if line.startswith("```"):
            if not inside and not prev.startswith("<!-- snippet:"):
                bad.append(i)
            inside = not inside
        prev = line
    return bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the doc is not up to date")
    parser.add_argument("--doc", default=os.path.join(ROOT, DOC), help="the doc to fill (default: %(default)s)")
    args = parser.parse_args()
    doc_name = os.path.relpath(args.doc, ROOT) if args.doc.startswith(ROOT + os.sep) else args.doc
    try:
        current = read(args.doc)
        fresh = render(current, doc_name)
    except (DocError, OSError) as e:
        print("gen_plugin_docs: %s" % e, file=sys.stderr)
        return 2
    unfed = unfed_blocks(current)
    if unfed:
        print("gen_plugin_docs: %s: code blocks at lines %s do not come from a source file; add a "
              "'<!-- snippet: path#name -->' line above each" % (doc_name, ", ".join(map(str, unfed))), file=sys.stderr)
        return 2
    if args.check:
        if fresh != current:
            diff = difflib.unified_diff(current.splitlines(True), fresh.splitlines(True), doc_name,
                                        doc_name + " (regenerated)")
            sys.stderr.write("".join(diff))
            print("gen_plugin_docs: %s is stale; run scripts/gen_plugin_docs.py" % doc_name, file=sys.stderr)
            return 1
        print("%s is up to date" % doc_name)
        return 0
    if fresh != current:
        with open(args.doc, "w", encoding="utf-8") as f:
            f.write(fresh)
        print("updated %s" % doc_name)
    else:
        print("%s was up to date" % doc_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
