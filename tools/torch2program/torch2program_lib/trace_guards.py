"""Turns the numbers torch.jit.trace freezes into guards the host can check.

When traced code converts a tensor to a Python number (`math.sqrt(E)` with
`E = q.shape[-1]`, `int(n)`, `bool(t)`), torch.jit.trace cannot record what
the number is computed from: the trace keeps the example's value as a
constant and says so in a TracerWarning. Whether that is right for other
inputs depends on where the number came from: a size that every valid input
shares (nn.MultiheadAttention's head dim) gives the same number for all of
them; a dynamic dim or tensor data does not.

While tracing, `GuardRecorder` wraps the conversions of integer tensors
(__float__, __int__, __index__, __bool__, item): after each one it records,
in the trace, the comparison of the converted tensor with the value the
trace froze (`aten::eq(t, 8)`). `guarded_trace` returns those comparisons as
extra outputs of the traced forward, so they survive the trace's dead-code
elimination, and then moves them out of the outputs into
`aten::_assert_async(comparison)` nodes. The host's tracing engine decides
each one with its symbolic shapes (docs/torch2program.md, "Frozen numbers"):
true for every valid input (sound), a guard on a declared dynamic dim or a
value read from tensor data (not sound, refused by default).

Not guarded (they stay unsound, as every TracerWarning is): conversions of
float and bool tensors, conversions the recorder cannot link to a traced
value, and warnings that are not conversions (iterating a tensor, len()).
Conversions inside an argument check (capture._is_argument_check) need no
guard: that bool only decides whether eager raises.
"""
import contextlib
import functools
import inspect
import sys
import warnings

import torch

_CONVERSIONS = ("__float__", "__int__", "__index__", "__bool__", "item")
_INTEGER_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def warning_key(filename, lineno, message):
    """How trace warnings are named in producer.trace_warnings."""
    return f"{filename}:{lineno}: {message}"


class GuardRecorder:
    """The conversions seen during one trace, and the comparisons recorded for them."""

    def __init__(self, is_argument_check):
        self._is_argument_check = is_argument_check
        self.guards = []           # traced 0-d bool tensors: converted value == frozen value
        self.guarded = {}          # warning key -> number of its conversions that got a guard
        self.unguarded = set()     # warning keys with a conversion that got none

    def guarded_warnings(self):
        """The warning keys whose every conversion the program checks with a guard."""
        return [key for key in self.guarded if key not in self.unguarded]

    @contextlib.contextmanager
    def patched(self):
        originals = {name: getattr(torch.Tensor, name) for name in _CONVERSIONS}
        try:
            for name, original in originals.items():
                setattr(torch.Tensor, name, self._wrap(name, original))
            yield self
        finally:
            for name, original in originals.items():
                setattr(torch.Tensor, name, original)

    def _wrap(self, name, original):
        recorder = self

        @functools.wraps(original)
        def conversion(tensor, *args, **kwargs):
            if not torch._C._get_tracing_state():
                return original(tensor, *args, **kwargs)
            caller = sys._getframe(1)
            filename, lineno = caller.f_code.co_filename, caller.f_lineno
            # The TracerWarning names the frame that converts, which is this
            # wrapper: re-issue it at the caller, where torch would have put it.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = original(tensor, *args, **kwargs)
            keys = []
            for w in caught:
                warnings.warn_explicit(w.message, w.category, filename, lineno)
                if issubclass(w.category, torch.jit.TracerWarning):
                    keys.append(warning_key(filename, lineno, w.message))
            if keys and not recorder._is_argument_check(filename, lineno):
                recorder._record(name, tensor, result, keys, filename, lineno)
            return result

        return conversion

    def _record(self, name, tensor, result, keys, filename, lineno):
        guard = self._guard(name, tensor, result, filename, lineno)
        for key in keys:
            if guard is None:
                self.unguarded.add(key)
            else:
                self.guarded[key] = self.guarded.get(key, 0) + 1
        if guard is not None:
            self.guards.append(guard)

    @staticmethod
    def _guard(name, tensor, result, filename, lineno):
        """The traced comparison of `tensor` with the number it converted to, or None.
        (The conversion succeeded, so `tensor` has one element; its numel() would be
        a traced value here, not an int.)"""
        if tensor.dtype not in _INTEGER_DTYPES:
            return None
        try:
            torch._C._get_value_trace(tensor)  # raises for a tensor the trace does not know
        except RuntimeError:
            return None
        if name == "__bool__":
            compare, value = (torch.ne, 0) if result else (torch.eq, 0)
        elif isinstance(result, bool) or not float(result).is_integer():
            return None
        else:
            compare, value = torch.eq, int(result)
        # Run the comparison in code compiled at the converting line, so that the
        # trace records it (and the diagnostics about it) at that line.
        scope = {"__compare": compare, "__tensor": tensor, "__value": value}
        exec(_comparison_at(filename, lineno), scope)  # noqa: S102 - fixed code, compiled below
        return scope["__guard"]


@functools.lru_cache(maxsize=256)
def _comparison_at(filename, lineno):
    return compile("\n" * (lineno - 1) + "__guard = __compare(__tensor, __value)", filename, "exec")


def guarded_trace(module, args, is_argument_check):
    """torch.jit.trace of `module`, the frozen numbers' guards kept.

    Returns (traced module, inlined graph with the guards as aten::_assert_async
    nodes before its return, keys of the warnings whose conversions are all guarded)."""
    recorder = GuardRecorder(is_argument_check)
    forward = module.forward

    def forward_with_guards(*inputs):
        out = forward(*inputs)
        return (out, *recorder.guards) if recorder.guards else out

    forward_with_guards.__signature__ = inspect.signature(forward)
    module.forward = forward_with_guards  # trace_module looks forward up on the instance
    try:
        with recorder.patched():
            traced = torch.jit.trace(module, tuple(args), strict=False, check_trace=False)
    finally:
        del module.forward
    graph = traced.inlined_graph
    if recorder.guards:
        _outputs_to_asserts(graph, len(recorder.guards))
    return traced, graph, recorder.guarded_warnings()


def _outputs_to_asserts(graph, count):
    """The graph returns TupleConstruct(out, guard_1..guard_count): make each guard
    an aten::_assert_async before the return and return `out` alone."""
    ret = graph.return_node()
    packed = ret.inputsAt(0).node()
    if packed.kind() != "prim::TupleConstruct" or len(list(packed.inputs())) != count + 1:
        raise RuntimeError("the traced forward did not return its guards as expected")
    for i in range(1, count + 1):
        guard = _through_tuples(packed.inputsAt(i))
        check = graph.create("aten::_assert_async", [guard], 0)
        check.copyMetadata(guard.node())  # its source line and module scope
        check.insertBefore(ret)
    ret.replaceInput(0, packed.inputsAt(0))
    packed.destroy()
    torch._C._jit_pass_lint(graph)


def _through_tuples(value):
    """The value a TupleUnpack of a TupleConstruct hands on (the trace packs
    forward's outputs that way), so the assert names the comparison itself."""
    node = value.node()
    while node.kind() == "prim::TupleUnpack" and node.inputsAt(0).node().kind() == "prim::TupleConstruct":
        index = [o.unique() for o in node.outputs()].index(value.unique())
        value = node.inputsAt(0).node().inputsAt(index)
        node = value.node()
    return value
