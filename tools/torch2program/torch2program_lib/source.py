"""Source locations and module scopes of TorchScript nodes.

PyTorch 1.13 exposes a node's source range only as the text TorchScript prints
in its error messages:

      File "/path/model.py", line 24
        def forward(self, x):
            if x.sum():
               ~~~~~ <--- HERE
                return x * 2

The header gives the file and the first line of the range; the first line made
of `~` marks the range under the first source line, so its first `~` is the
column (0-based, in the file's own indentation) and the line above it is the
source text. Module scopes come from the inlined call stack that
`Node.getModuleHierarchy()` prints as "mlp(Sequential).2(ForwardWithControlFlowTest)".
Traced nodes instead carry the Python stack ("/path/linear.py(114): forward\n...");
their column is unknown (0) and the text is read from the file.
"""
import functools
import linecache
import os
import re
import sys

_HEADER = re.compile(r'^\s*File "(?P<file>.*)", line (?P<line>\d+)')
_MARKER = re.compile(r"^(?P<indent> *)~+( <--- HERE)?\s*$")
_TRACE_FRAME = re.compile(r"^(?P<file>.+)\((?P<line>\d+)\): \S+$")


class SourceLocator:
    """Turns a node's source range into {"file", "line", "col", "text"} (cached per range text)."""

    def __init__(self, roots=None):
        self._roots = _source_roots() if roots is None else roots
        self._cache = {}

    def locate(self, node):
        text = node.sourceRange()
        if not text:
            return None
        if text not in self._cache:
            self._cache[text] = self._parse(text)
        return self._cache[text]

    def _parse(self, text):
        lines = text.split("\n")
        frame = _TRACE_FRAME.match(lines[0])
        if frame:
            return self._from_trace_frame(frame)
        for index, line in enumerate(lines):
            header = _HEADER.match(line)
            if header:
                break
        else:
            return None
        body = lines[index + 1:]
        loc = {"file": self.short_path(header.group("file")), "line": int(header.group("line")),
               "col": 0, "text": ""}
        for i, line in enumerate(body):
            marker = _MARKER.match(line)
            if marker and i > 0:
                loc["col"] = len(marker.group("indent"))
                loc["text"] = body[i - 1].strip()
                break
        return loc

    def _from_trace_frame(self, frame):
        """Traced nodes carry the Python stack; its first frame is where the op was called."""
        file, line = frame.group("file"), int(frame.group("line"))
        return {"file": self.short_path(file), "line": line, "col": 0,
                "text": linecache.getline(file, line).strip()}

    def short_path(self, path):
        """A path relative to the import root it lives under ("torch/nn/modules/linear.py"),
        so bundles do not depend on where Python or the project is installed."""
        if path.startswith("<"):
            return path  # "<string>": code TorchScript compiled from a string
        real = os.path.realpath(path)
        for root in self._roots:
            if real.startswith(root + os.sep):
                return os.path.relpath(real, root)
        return path


def _source_roots():
    """Import roots (sys.path entries), longest first, so the most specific one wins."""
    roots = {os.path.realpath(p or os.getcwd()) for p in sys.path if os.path.isdir(p or os.getcwd())}
    return sorted(roots, key=len, reverse=True)


def location_text(loc):
    """"model.py:24: if x.sum():" for error messages."""
    if not loc:
        return ""
    return f"{loc['file']}:{loc['line']}: {loc['text']}".rstrip(": ")


# Call-stack entries that are not a step down the module tree: "SELF" is a method
# of the same module (the root's forward, or self._conv_forward), "UNKNOWN_INSTANCE"
# a plain function (F.relu).
_NOT_A_CHILD = {"", "SELF", "UNKNOWN_INSTANCE"}


@functools.lru_cache(maxsize=4096)  # a few hundred distinct call stacks per model
def scope_from_hierarchy(hierarchy):
    """"mlp(Sequential).2(ForwardWithControlFlowTest)" -> "mlp.2";
    "SELF(ResNet).bn1(BatchNorm2d).UNKNOWN_INSTANCE(UNKNOWN_TYPE)" -> "bn1".

    Type names are in parentheses and may contain dots; attribute names cannot.
    """
    names, depth, current = [], 0, []
    for ch in hierarchy:
        if ch == "(":
            if depth == 0:
                names.append("".join(current).lstrip("."))
                current = []
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            current.append(ch)
    return ".".join(n for n in names if n not in _NOT_A_CHILD)


def scope_from_trace_scope_name(scope_name):
    """Tracing's "__module.mlp/__module.mlp.0" -> "mlp.0" (the innermost module)."""
    if not scope_name:
        return ""
    innermost = scope_name.split("/")[-1]
    return innermost[len("__module."):] if innermost.startswith("__module.") else ""


def node_scope(node):
    hierarchy = node.getModuleHierarchy()
    if hierarchy:
        return scope_from_hierarchy(hierarchy)
    return scope_from_trace_scope_name(node.scopeName())
