"""PyTorch's OpInfo samples as small scripted modules.

Each OpInfo of torch.testing._internal.common_methods_invocations.op_db names
an op and generates sample inputs (input, args, kwargs). For one sample this
module writes the source of an nn.Module whose forward calls the op the way
TorchScript can: tensors (and lists of tensors) become forward's parameters,
everything else (ints, floats, dtypes, shapes, None, strings) is written into
the call as a literal. The module is scripted from a real file, so
torch.jit.script sees ordinary source.

A sample that cannot be written this way, or that torch.jit.script refuses,
is a skip with a reason; it counts for neither exporter.
"""
import importlib.util
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)  # the expecttest stand-in beside this file

import torch  # noqa: E402
import torch.nn.functional  # noqa: E402

# Where an OpInfo's op may live, as TorchScript spells it.
_NAMESPACES = (
    ("torch", torch),
    ("torch.nn.functional", torch.nn.functional),
    ("torch.linalg", torch.linalg),
    ("torch.special", torch.special),
    ("torch.fft", torch.fft),
)

# Dtypes the suite tries, in order, when the op supports them.
DTYPES = (torch.float32, torch.int64, torch.bool)
DTYPE_NAMES = {torch.float32: "float32", torch.int64: "int64", torch.bool: "bool"}

# Element types a program bundle holds (torch2program refuses the rest).
_BUNDLE_DTYPES = {torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int16,
                  torch.int32, torch.int64, torch.uint8, torch.bool}


def load_op_db():
    """The OpInfo list (imports torch.testing._internal, ~1 s)."""
    from torch.testing._internal.common_methods_invocations import op_db
    return op_db


def op_id(opinfo):
    """A stable name: `nn.functional.conv2d`, or `max.reduction_with_dim` for a variant."""
    return opinfo.name + ("." + opinfo.variant_test_name if opinfo.variant_test_name else "")


class Skip(Exception):
    """The sample cannot be a scripted module; the message says why."""


def call_target(opinfo):
    """("torch.add", False) for a function, ("add", True) for a method on the input; Skip otherwise."""
    fn = opinfo.op
    names = [getattr(fn, "__name__", None), opinfo.name.split(".")[-1], opinfo.aten_name]
    for prefix, namespace in _NAMESPACES:
        for attr in names:
            if attr and getattr(namespace, attr, None) is fn:
                return prefix + "." + attr, False
    method = opinfo.method_variant
    if method is not None and getattr(method, "__name__", "").isidentifier():
        return method.__name__, True
    raise Skip("the op is a Python wrapper with no function or method TorchScript can call")


class ModuleSource:
    """forward's parameters (name, annotation, value) and the expression it returns."""

    def __init__(self):
        self.params = []

    def tensor_param(self, value):
        name = "a%d" % len(self.params)
        if isinstance(value, torch.Tensor):
            self.params.append((name, "torch.Tensor", _plain_tensor(value)))
        else:
            self.params.append((name, "List[torch.Tensor]", [_plain_tensor(t) for t in value]))
        return name

    def render(self, value):
        """Python source for one argument; tensors become parameters."""
        if isinstance(value, torch.Tensor) or _tensor_sequence(value):
            return self.tensor_param(value)
        if value is None or isinstance(value, (bool, int, str)):
            return repr(value)
        if isinstance(value, float):
            if math.isnan(value):
                return "float('nan')"
            if math.isinf(value):
                return "float('inf')" if value > 0 else "float('-inf')"
            return repr(value)
        if isinstance(value, (torch.dtype, torch.memory_format, torch.layout)):
            return str(value)  # "torch.float32", "torch.contiguous_format", "torch.strided"
        if isinstance(value, torch.device):
            return "torch.device(%r)" % str(value)
        if isinstance(value, torch.Size):
            return "[" + ", ".join(self.render(v) for v in value) + "]"
        if isinstance(value, list):
            return "[" + ", ".join(self.render(v) for v in value) + "]"
        if isinstance(value, tuple):
            items = [self.render(v) for v in value]
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        raise Skip("an argument of type %s has no TorchScript literal" % type(value).__name__)


def _tensor_sequence(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, torch.Tensor) for v in value)


def _plain_tensor(t):
    if t.dtype not in _BUNDLE_DTYPES:
        raise Skip("a %s tensor (bundles and ONNX Runtime inputs hold real and bool dtypes only)" % t.dtype)
    if t.layout != torch.strided:
        raise Skip("a %s tensor" % t.layout)
    return t.detach().clone().contiguous()


class SampleModule:
    """One sample as source code, forward's example arguments and their names."""

    def __init__(self, source, args, names):
        self.source, self.args, self.names = source, args, names


def sample_module(opinfo, sample):
    """The module source calling the op on `sample`; Skip when it cannot be written."""
    target, is_method = call_target(opinfo)
    src = ModuleSource()
    first = src.render(sample.input)
    rest = [src.render(a) for a in sample.args]
    rest += ["%s=%s" % (k, src.render(v)) for k, v in sample.kwargs.items()]
    if is_method:
        if not isinstance(sample.input, torch.Tensor):
            raise Skip("a method call on a list input")
        call = "%s.%s(%s)" % (first, target, ", ".join(rest))
    else:
        call = "%s(%s)" % (target, ", ".join([first] + rest))
    signature = ", ".join("%s: %s" % (n, a) for n, a, _ in src.params)
    text = ("from typing import List\n\nimport torch\nimport torch.nn.functional\nimport torch.linalg\n"
            "import torch.special\nimport torch.fft\n\n\n"
            "class Sample(torch.nn.Module):\n"
            "    def forward(self%s):\n"
            "        return %s\n") % (", " + signature if signature else "", call)
    return SampleModule(text, tuple(v for _, _, v in src.params), [n for n, _, _ in src.params])


def load_module(source, folder, name):
    """Imports `source` written to folder/name.py and returns Sample()."""
    path = os.path.join(folder, name + ".py")
    with open(path, "w") as f:
        f.write(source)
    spec = importlib.util.spec_from_file_location("opinfo_sample_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Sample()


def pick(count, k):
    """Up to k indices spread evenly over range(count), always including the first."""
    if count <= k:
        return list(range(count))
    return sorted({(i * (count - 1)) // (k - 1) for i in range(k)}) if k > 1 else [0]


# At most this many samples are generated per op and dtype before picking.
MAX_GENERATED = 64


def samples_for(opinfo, dtype, k):
    """[(index, SampleInput)]: up to k samples of `opinfo` in `dtype`, chosen deterministically."""
    torch.manual_seed(0)
    generated = []
    for sample in opinfo.sample_inputs("cpu", dtype, requires_grad=False):
        generated.append(sample)
        if len(generated) >= MAX_GENERATED:
            break
    return [(i, generated[i]) for i in pick(len(generated), k)]


def supported_dtypes(opinfo):
    supported = opinfo.supported_dtypes("cpu")
    return [d for d in DTYPES if d in supported]
