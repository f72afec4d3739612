"""Helpers for the integration tests: run the CLI, read .onnx and
.safetensors files without third-party modules, and compute the seed model's
outputs independently (plain Python) to check both the reference interpreter
and ONNX Runtime against them.

Configuration comes from the environment (set by tests/integration/CMakeLists.txt):
  ONNXPORT           path of build/bin/onnxport
  ONNXPORT_SOURCE    the source tree (examples/, config/)
  ONNXPORT_WORK      a scratch folder for this test file
  ONNXPORT_BAD_PLUGIN_NO_ENTRY, ONNXPORT_BAD_PLUGIN_WRONG_ABI: tiny bad plugins
  ONNXPORT_EXPLODING_PLUGIN: a good plugin whose strategy throws from capture()
"""
import json
import os
import shutil
import struct
import subprocess
import unittest

ONNXPORT = os.environ.get("ONNXPORT", "build/bin/onnxport")
SOURCE = os.environ.get("ONNXPORT_SOURCE", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
WORK = os.environ.get("ONNXPORT_WORK", "/tmp/onnxport-integration")

DEFAULT_CONFIG = os.path.join(SOURCE, "config", "default.json")
TORCH_CONFIG = os.path.join(SOURCE, "config", "torch-compatible.json")


def example(name):
    return os.path.join(SOURCE, "examples", name)


def run(*args, timeout=300):
    """Runs onnxport with `args`; returns the CompletedProcess (text mode)."""
    return subprocess.run([ONNXPORT, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)


def fresh_dir(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def read_json(path):
    with open(path) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# A minimal protobuf reader: just enough of ModelProto to list the nodes of
# the main graph and of every subgraph attribute (If branches, Loop bodies).

def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _fields(buf):
    """Yields (field number, wire type, value) of one message."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported protobuf wire type %d" % wire)
        yield field, wire, value


class OnnxNode:
    def __init__(self, op_type, domain, inputs, outputs, subgraphs):
        self.op_type, self.domain, self.inputs, self.outputs = op_type, domain, inputs, outputs
        self.subgraphs = subgraphs  # attribute name -> OnnxGraph

    def __repr__(self):
        return "OnnxNode(%s)" % self.op_type


class OnnxGraph:
    def __init__(self):
        self.name, self.nodes, self.initializers, self.inputs, self.outputs = "", [], [], [], []

    def op_types(self):
        return [n.op_type for n in self.nodes]

    def all_op_types(self):
        """Op types of this graph and, recursively, of its subgraphs."""
        out = []
        for n in self.nodes:
            out.append(n.op_type)
            for g in n.subgraphs.values():
                out += g.all_op_types()
        return out


def _name_of(message, name_field=1):
    """The name of a ValueInfoProto (field 1) or a TensorProto (field 8)."""
    for field, wire, value in _fields(message):
        if field == name_field and wire == 2:
            return value.decode()
    return ""


def _parse_node(buf):
    op_type, domain, inputs, outputs, subgraphs = "", "", [], [], {}
    for field, _, value in _fields(buf):
        if field == 1:
            inputs.append(value.decode())
        elif field == 2:
            outputs.append(value.decode())
        elif field == 4:
            op_type = value.decode()
        elif field == 7:
            domain = value.decode()
        elif field == 5:  # AttributeProto: name = 1, g = 6
            name, graph = "", None
            for af, _, av in _fields(value):
                if af == 1:
                    name = av.decode()
                elif af == 6:
                    graph = _parse_graph(av)
            if graph is not None:
                subgraphs[name] = graph
    return OnnxNode(op_type, domain, inputs, outputs, subgraphs)


def _parse_graph(buf):
    g = OnnxGraph()
    for field, _, value in _fields(buf):
        if field == 1:
            g.nodes.append(_parse_node(value))
        elif field == 2:
            g.name = value.decode()
        elif field == 5:
            g.initializers.append(_name_of(value, name_field=8))
        elif field == 11:
            g.inputs.append(_name_of(value))
        elif field == 12:
            g.outputs.append(_name_of(value))
    return g


def read_onnx_graph(path):
    """The main graph of an .onnx file (ModelProto field 7)."""
    with open(path, "rb") as f:
        buf = f.read()
    for field, _, value in _fields(buf):
        if field == 7:
            return _parse_graph(value)
    raise ValueError("%s: no graph in the model" % path)


# ---------------------------------------------------------------------------
# safetensors (float32 only: all the tests need)

def write_safetensors(path, tensors):
    """tensors: name -> (shape, list of floats), stored as F32."""
    header, offset, blobs = {}, 0, []
    for name, (shape, values) in tensors.items():
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))


def read_safetensors(path):
    """name -> (dtype, shape, list of floats) for F32/F64/I64 tensors."""
    with open(path, "rb") as f:
        buf = f.read()
    (size,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8:8 + size])
    data = buf[8 + size:]
    formats = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8), "I32": ("i", 4)}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        fmt, width = formats[info["dtype"]]
        begin, end = info["data_offsets"]
        out[name] = (info["dtype"], info["shape"], list(struct.unpack("<%d%s" % ((end - begin) // width, fmt),
                                                                    data[begin:end])))
    return out


# ---------------------------------------------------------------------------
# The seed's model in plain Python (weights as the seed prints them).

W0 = [[0.284533, 0.0663717, -0.510749], [0.244287, 0.37044, -0.546452]]
B0 = [-0.403322, -0.409063]
W1 = [[0.363914, -0.449402]]
B1 = [0.19677]


def seed_mlp(x):
    h = [sum(w * v for w, v in zip(row, x)) + b for row, b in zip(W0, B0)]
    return [sum(w * v for w, v in zip(row, h)) + b for row, b in zip(W1, B1)]


def seed_forward(x, variant):
    """variant "seed": `if x.sum():` (non-zero); "gt"/"cond": `x.sum() > 0`."""
    y = seed_mlp(x)
    taken = sum(y) != 0 if variant == "seed" else sum(y) > 0
    return [2 * v for v in y] if taken else [-v for v in y]


class OnnxportTestCase(unittest.TestCase):
    """Adds assertions shared by the integration tests."""

    def assertExitCode(self, proc, code, what=""):
        self.assertEqual(proc.returncode, code,
                         "%s: exit code %d, expected %d\n--- stdout\n%s\n--- stderr\n%s"
                         % (what, proc.returncode, code, proc.stdout, proc.stderr))

    def assertClose(self, actual, expected, tol=1e-4, what=""):
        self.assertEqual(len(actual), len(expected), what)
        for a, e in zip(actual, expected):
            self.assertLessEqual(abs(a - e), tol * (1 + abs(e)), "%s: %r vs %r" % (what, actual, expected))

    def assertInOrder(self, text, pieces):
        """Every piece occurs in `text`, each after the previous one."""
        pos = 0
        for piece in pieces:
            found = text.find(piece, pos)
            self.assertNotEqual(found, -1, "missing (in order) %r after position %d in:\n%s" % (piece, pos, text))
            pos = found + len(piece)
