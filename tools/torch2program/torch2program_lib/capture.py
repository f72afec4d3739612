"""Captures a module as TorchScript: torch.jit.script, falling back to torch.jit.trace.

Scripting keeps control flow (prim::If, prim::Loop); tracing records the path
the example inputs took, so a traced bundle says so in its producer info.
"""
import ast
import contextlib
import functools
import inspect
import re
import threading
import warnings

import torch

from .errors import ConversionError
from .trace_guards import guarded_trace, warning_key

_OVERLOAD = re.compile(r"^forward__\d+$")
_MAX_ERROR_CHARS = 4000


class Capture:
    """What was captured: the graph, its parameter names and how it was obtained."""

    def __init__(self, kind, script_module, method_name, graph, param_names, param_defaults,
                 script_error="", trace_warnings=(), trace_checks=(), trace_guards=()):
        self.kind = kind                    # "script" or "trace"
        self.script_module = script_module  # RecursiveScriptModule / TopLevelTracedModule
        self.method_name = method_name      # "forward", or "forward__0" for overloads
        self.graph = graph                  # inlined torch._C.Graph
        self.param_names = param_names      # forward's parameters without self
        self.param_defaults = param_defaults  # name -> default value (script only)
        self.script_error = script_error
        self.trace_warnings = list(trace_warnings)
        self.trace_checks = list(trace_checks)  # the trace_warnings raised by an argument check (assert, if-raise)
        self.trace_guards = list(trace_guards)  # the trace_warnings whose frozen numbers the graph checks (trace_guards.py)

    def module_type_names(self):
        """Qualified names of the TorchScript class types that are modules of this capture."""
        return {m._c._type().qualified_name() for m in self.script_module.modules()}


def capture(module, args, force_trace=False):
    """Scripts `module` (or traces it when forced or when scripting fails)."""
    script_error = ""
    if not force_trace:
        try:
            with _per_class_stubs():
                scripted = torch.jit.script(module)
        except Exception as error:  # TorchScript raises many types; all mean "not scriptable"
            script_error = _short(str(error))
        else:
            return _from_script(scripted, args, module)
    return _from_trace(module, args, script_error)


@contextlib.contextmanager
def _per_class_stubs():
    """Lets torch.jit.script parse each method once per function instead of once per module.

    torch 1.13's create_script_module_impl builds the method stubs of every module
    instance (inspect.getsource, tokenize, ast.parse and the TorchScript AST of its
    forward, a scan of dir(type) for overloads, the class's properties) before it
    looks whether that instance's concrete type is already compiled, which it is for
    all but the first instance of each type: efficientnet_v2_s has 714 module
    instances and a few dozen types, and those stubs were half of its scripting time
    (bench/README.md, "torch2program"). The three functions below depend only on
    the function or class they are given, so during this one call their results
    are reused per function / class:

    - get_jit_def(fn, name, self_name, is_classmethod): the AST of fn's source;
    - get_class_properties(cls, self_name): the ASTs of cls's properties;
    - get_overload_annotations(mod, ignored): reused only when empty (no
      @_overload_method in the class, nearly always); a class with overloads
      (nn.LSTM) is scanned per instance, as torch does.

    Whatever is compiled is built from the same ASTs and resolution callbacks as
    before (program.json is byte-identical; checked on the zoo sample). The
    originals are restored on exit; a torch without these functions is used as is."""
    recursive = getattr(torch.jit, "_recursive", None)
    names = ("get_jit_def", "get_class_properties", "get_overload_annotations")
    if recursive is None or not all(callable(getattr(recursive, n, None)) for n in names):
        yield
        return
    with _PATCH_LOCK:  # two conversions in two threads: the second would save the first's wrappers
        with _reusing(recursive, names):
            yield


# Serializes _per_class_stubs across threads: it swaps module attributes of torch for the
# duration of a call (nested calls in one thread restore in order).
_PATCH_LOCK = threading.RLock()


@contextlib.contextmanager
def _reusing(recursive, names):
    originals = {n: getattr(recursive, n) for n in names}
    defs, properties, no_overloads = {}, {}, set()

    def get_jit_def(fn, def_name, self_name=None, is_classmethod=False):
        key = (getattr(fn, "__func__", fn), def_name, self_name, is_classmethod)
        if key not in defs:
            defs[key] = originals["get_jit_def"](fn, def_name, self_name=self_name, is_classmethod=is_classmethod)
        return defs[key]

    def get_class_properties(cls, self_name):
        key = (cls, self_name)
        if key not in properties:
            properties[key] = originals["get_class_properties"](cls, self_name)
        return properties[key]

    def get_overload_annotations(mod, jit_ignored_properties):
        key = (type(mod), frozenset(jit_ignored_properties))
        if key in no_overloads:
            return {}
        found = originals["get_overload_annotations"](mod, jit_ignored_properties)
        if not found:
            no_overloads.add(key)
        return found

    replacements = {"get_jit_def": get_jit_def, "get_class_properties": get_class_properties,
                    "get_overload_annotations": get_overload_annotations}
    for n in names:
        setattr(recursive, n, replacements[n])
    try:
        yield
    finally:
        for n in names:
            setattr(recursive, n, originals[n])


def _from_script(scripted, args, module=None):
    try:
        method_name = _pick_method(scripted, args)
    except ConversionError as error:
        raise ConversionError(error.message, error.where or _forward_location(module)) from None
    method = getattr(scripted, method_name)
    params = method.schema.arguments[1:]
    if len(args) > len(params):
        raise ConversionError(f"{method_name} takes {len(params)} inputs but {len(args)} were given")
    defaults = {p.name: p.default_value for p in params if p.has_default_value()}
    return Capture("script", scripted, method_name, method.inlined_graph,
                   [p.name for p in params], defaults)


def _pick_method(scripted, args):
    """"forward", or for overloaded forwards (nn.LSTM, nn.GRU) the overload the inputs fit."""
    names = scripted._c._method_names()
    if "forward" in names:
        mismatch = _signature_mismatch(getattr(scripted, "forward").schema, args)
        if mismatch:
            raise ConversionError(f"forward does not accept the example inputs: {mismatch}")
        return "forward"
    overloads = sorted((n for n in names if _OVERLOAD.match(n)), key=lambda n: int(n.split("__")[1]))
    if not overloads:
        raise ConversionError("the scripted module has no forward method")
    reasons = []
    for name in overloads:
        schema = getattr(scripted, name).schema
        mismatch = _signature_mismatch(schema, args)
        if not mismatch:
            return name
        reasons.append(f"{schema}: {mismatch}")
    raise ConversionError("no forward overload accepts the example inputs:\n  " + "\n  ".join(reasons))


def _signature_mismatch(schema, args):
    """Why `args` cannot be passed to the method with `schema` ("" when they can)."""
    params = schema.arguments[1:]
    if len(args) > len(params):
        return f"{len(args)} inputs given, it takes {len(params)}"
    for index, param in enumerate(params):
        if index >= len(args):
            if not param.has_default_value():
                return f"input '{param.name}' is missing"
            continue
        named_tuple = _named_tuple_name(param.type)
        if named_tuple:
            return (f"input '{param.name}' is annotated {named_tuple}, a NamedTuple: program inputs are tensors, "
                    f"Python numbers, lists/tuples of tensors or None; pass its tensors as inputs and build "
                    f"the {named_tuple} inside forward")
        inferred = torch._C._jit_try_infer_type(args[index])
        if not inferred.success():
            return f"input '{param.name}': {inferred.reason()}"
        if not inferred.type().isSubtypeOf(param.type):
            return f"input '{param.name}' is {inferred.type().annotation_str}, expected {param.type.annotation_str}"
    return ""


def _forward_location(module):
    """"model.py:12: def forward(self, x: PackedSequence):" for messages about forward's signature."""
    forward = getattr(type(module), "forward", None)
    try:
        lines, first = inspect.getsourcelines(forward)
        path = inspect.getsourcefile(forward)
    except (TypeError, OSError):
        return ""
    text = next((line.strip() for line in lines if line.strip().startswith("def ")), lines[0].strip())
    return f"{path}:{first}: {text}"


def _named_tuple_name(jit_type):
    """"PackedSequence" for a NamedTuple parameter type (TorchScript gives it a qualified name), else ""."""
    if jit_type.kind() != "TupleType":
        return ""
    try:
        qualified = jit_type.qualified_name() if hasattr(jit_type, "qualified_name") else ""
    except RuntimeError:  # a plain tuple has no name
        qualified = ""
    if not qualified and "." in jit_type.annotation_str:
        qualified = jit_type.annotation_str
    return qualified.rsplit(".", 1)[-1] if qualified else ""


def _from_trace(module, args, script_error):
    non_tensor = [type(a).__name__ for a in args if not _traceable(a)]
    if non_tensor:
        raise ConversionError(_capture_failure(
            script_error, f"tracing only takes tensors and lists/tuples of tensors, got {', '.join(non_tensor)}"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", torch.jit.TracerWarning)
        try:
            traced, graph, trace_guards = guarded_trace(module, args, _is_argument_check)
        except Exception as error:  # whatever the traced code raised
            raise ConversionError(_capture_failure(script_error, _short(str(error)))) from None
    tracer = [w for w in caught if issubclass(w.category, torch.jit.TracerWarning)]
    trace_warnings = [warning_key(w.filename, w.lineno, w.message) for w in tracer]
    trace_checks = [warning_key(w.filename, w.lineno, w.message) for w in tracer
                    if _is_argument_check(w.filename, w.lineno)]
    return Capture("trace", traced, "forward", graph, _eager_param_names(module, len(args)),
                   {}, script_error, _dedupe(trace_warnings), _dedupe(trace_checks), trace_guards)


def _is_argument_check(filename, lineno):
    """Whether a trace warning at filename:lineno comes from an argument check:
    the condition of an `assert`, or of an `if` whose body only raises. The
    bool there only decides whether eager raises, so the trace kept the path
    every valid input takes, not a specialization (docs/strategies.md, "Sound
    first"). Unknown source (no file, a syntax error) is not a check."""
    for node in _statements(filename):
        if isinstance(node, ast.Assert) and node.lineno <= lineno <= node.end_lineno:
            return True
        if (isinstance(node, ast.If) and node.test.lineno <= lineno <= node.test.end_lineno
                and len(node.body) == 1 and isinstance(node.body[0], ast.Raise)):
            return True
    return False


@functools.lru_cache(maxsize=64)
def _statements(filename):
    try:
        with open(filename, encoding="utf-8") as source:
            tree = ast.parse(source.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return ()
    return tuple(node for node in ast.walk(tree) if isinstance(node, (ast.Assert, ast.If)))


def _traceable(value):
    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, (list, tuple)) and all(isinstance(v, torch.Tensor) for v in value)


def _eager_param_names(module, count):
    """Parameter names of the eager forward for a traced graph (which keeps only the inputs given)."""
    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(names) < count:  # *args: name the rest after their position
        names += [f"args.{i}" for i in range(len(names), count)]
    return names[:count]


def _capture_failure(script_error, trace_error):
    parts = []
    if script_error:
        parts.append(f"torch.jit.script failed:\n{_indent(script_error)}")
    parts.append(f"torch.jit.trace failed:\n{_indent(trace_error)}")
    return "cannot capture the module\n" + "\n".join(parts)


def _indent(text):
    return "\n".join("    " + line for line in text.strip().split("\n"))


def _short(text):
    return text if len(text) <= _MAX_ERROR_CHARS else text[:_MAX_ERROR_CHARS] + "\n    [...]"


def _dedupe(items):
    return list(dict.fromkeys(items))
