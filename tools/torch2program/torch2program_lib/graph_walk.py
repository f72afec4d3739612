"""Writes an inlined TorchScript graph as the "nodes"/"outputs" of program.json.

One pass over every node, nested blocks (prim::If, prim::Loop) included.
Values keep TorchScript's debug names ("input.5", "15"), except graph inputs,
which take their Python names ("x", not "x.1"); a value whose debug name
collides with such a name is renamed ("x" -> "x.2").

Lifetimes: torch's Python bindings hand out Node, Value and Block objects (and
iterators over them) that hold raw pointers into their Graph; nothing keeps the
graph, or the scripted module it was inlined from, alive for them. The writer
therefore holds both for the whole walk, reads every node list into a Python
list before visiting it, and runs the walk with Python's cyclic garbage
collector paused, so no finalizer of an earlier conversion's TorchScript
objects runs while the walk holds such pointers (they are collected after it).

Speed: in torch 1.13 every call of Node.inputs()/outputs()/blocks() builds a
pybind iterator, which costs about twenty times a plain getter such as
Node.kind(); on a 12-layer TransformerEncoder (16,664 nodes, most of them the
argument checks of multi_head_attention_forward) those iterators were most of
the walk. The writer reads a node's values by index (inputsAt/outputsAt),
asks for blocks only of nodes whose kind can own one, and reads the graph's
debug names from its printed form (one C++ call, not a second pass over every
node) only when a renaming needs them (bench/README.md, "torch2program").
"""
import functools
import gc

import torch
import re

from .errors import ConversionError
from .source import SourceLocator, location_text, node_scope
from .values import constant_json, node_attribute_json

# Node kinds that survive inlining but refer to Python or to unresolved calls.
_REFUSED_KINDS = {
    "prim::PythonOp": "a call into Python (custom autograd Function or @torch.jit.ignore'd code)",
    "prim::CallMethod": "a method call that TorchScript could not inline (module interface)",
    "prim::CallFunction": "a function call that TorchScript could not inline",
}


class GetAttrUse:
    """A prim::GetAttr whose object is a module reached from `self` (path "" is self)."""

    def __init__(self, module_path, name, type_kind, location):
        self.module_path = module_path
        self.name = name
        self.type_kind = type_kind
        self.location = location


class GraphWriter:
    """Converts one TorchScript graph. Use `write()`, then read `getattr_uses`."""

    def __init__(self, graph, input_names, module_type_names, constant_store, locator=None, owner=None):
        """input_names: names for graph.inputs() in order, "self" first.
        module_type_names: qualified names of the scripted module types (written as "Module").
        owner: the scripted module the graph comes from, kept alive as long as the writer."""
        self._graph = graph
        self._owner = owner
        self._input_names = list(input_names)
        self._module_types = set(module_type_names)
        self._constants = constant_store
        self._locator = locator or SourceLocator()
        self._names = {}        # Value.unique() -> name in the program
        self._taken = set()
        self._reserved = None    # every debug name of the graph, collected on the first renaming
        self._module_paths = {}  # Value.unique() -> dotted module path from self
        self.getattr_uses = []
        self.node_count = 0

    def write(self):
        """{"nodes": [...], "outputs": [...]} for the graph's top-level block."""
        # No collection can run while the walk holds raw pointers. (There is no gc.collect()
        # first: with the collector paused, what earlier conversions left behind cannot be
        # finalized during the walk anyway, and a full collection after `import torch` costs
        # ~1 s on this machine, more than the whole walk of a ResNet.)
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._name_graph_inputs()
            return {"nodes": self._nodes_json(list(self._graph.nodes())),
                    "outputs": [self._ref(v) for v in list(self._graph.outputs())]}
        finally:
            if collecting:
                gc.enable()

    def value_type(self, value):
        return self.type_str(value.type())

    def type_str(self, jit_type):
        """TorchScript type as written in program.json: "Tensor", "int", "List[Tensor]", "Module"."""
        # A class type prints as its qualified name, so only a text naming a module type
        # needs the two further calls (most outputs are "Tensor").
        text = jit_type.annotation_str
        if text in self._module_types and jit_type.kind() == "ClassType" and jit_type.qualified_name() == text:
            return "Module"
        return text

    # -- naming ---------------------------------------------------------------

    def _name_graph_inputs(self):
        inputs = list(self._graph.inputs())
        if len(inputs) != len(self._input_names):
            raise ConversionError(f"internal: {len(self._input_names)} input names for "
                                  f"{len(inputs)} graph inputs")
        for value, name in zip(inputs, self._input_names):
            if name in self._taken:
                raise ConversionError(f"two inputs are both named '{name}'")
            self._names[value.unique()] = name
            self._taken.add(name)
        self._module_paths[inputs[0].unique()] = ""

    def _define(self, value):
        """Name a value at its definition: its debug name, unless an input took it."""
        name = value.debugName()
        if name in self._taken:
            if self._reserved is None:
                self._reserved = set()
                _collect_debug_names(self._graph, self._reserved)
            suffix = 1
            while f"{name}.{suffix}" in self._taken or f"{name}.{suffix}" in self._reserved:
                suffix += 1
            name = f"{name}.{suffix}"
        self._names[value.unique()] = name
        self._taken.add(name)
        return name

    def _ref(self, value):
        return self._names[value.unique()]

    # -- nodes ----------------------------------------------------------------

    def _nodes_json(self, nodes):
        out = []
        for node in nodes:
            kind = node.kind()
            if kind == "prim::Constant":
                value = node.output()
                jit_type = value.type()
                if jit_type.kind() == "FunctionType" and not value.uses():
                    continue  # inlining leaves the Function constants of inlined calls behind, unused
                out.append(self._node_json(node, kind, (value, jit_type)))
            else:
                out.append(self._node_json(node, kind))
        return out

    def _node_json(self, node, kind, constant=None):
        """constant: (output value, its type) of a prim::Constant, read once by _nodes_json."""
        self.node_count += 1
        location = self._locator.locate(node)
        if kind in _REFUSED_KINDS:
            raise ConversionError(f"{kind} is {_REFUSED_KINDS[kind]}; programs cannot hold it"
                                  f"{_in_module(node)}", location_text(location))
        names = self._names
        out = {"kind": kind}
        overload, out_variant = _schema_facts(node, kind)
        if overload is not None:
            out["overload"] = overload
        out["inputs"] = [names[node.inputsAt(i).unique()] for i in range(node.inputsSize())]
        outputs = [constant[0]] if constant else _outputs(node)
        try:
            if constant:
                attrs = self._constant_attributes(node, constant[1])
                output_types = [self.type_str(constant[1])]
            else:
                attrs = self._attributes(node)
                output_types = [self.value_type(v) for v in outputs]
        except ConversionError as error:
            raise ConversionError(error.message + _in_module(node), error.where or location_text(location)) from None
        except Exception as error:  # a TorchScript object the bindings cannot read: refuse, never crash
            raise ConversionError(f"cannot read {kind} (output {_names(outputs)}){_in_module(node)}: "
                                  f"{type(error).__name__}: {error}", location_text(location)) from None
        blocks = [self._block_json(b) for b in _blocks(node, kind)]  # before outputs: blocks come first
        out["outputs"] = [self._define(v) for v in outputs]
        if out_variant:
            attrs = dict(attrs or {}, out_variant=True)
        if attrs:
            out["attrs"] = attrs
        if blocks:
            out["blocks"] = blocks
        out["output_types"] = output_types
        if location:
            out["source"] = location
        scope = node_scope(node)
        if scope:
            out["scope"] = scope
        if kind == "prim::GetAttr":
            self._track_getattr(node, out, location)
        return out

    def _block_json(self, block):
        inputs = [self._define(v) for v in _outputs(block.paramNode())]
        nodes = self._nodes_json(list(block.nodes()))
        returned = block.returnNode()
        return {"inputs": inputs, "nodes": nodes,
                "outputs": [self._ref(returned.inputsAt(i)) for i in range(returned.inputsSize())]}

    def _attributes(self, node):
        """The attributes of a node other than prim::Constant (_constant_attributes)."""
        return {name: node_attribute_json(node, name, self._constants) for name in node.attributeNames()}

    def _constant_attributes(self, node, jit_type):
        if not node.hasAttribute("value") and jit_type.kind() != "NoneType":
            # e.g. a Function constant (prim::Constant[name="g"]) feeding a call
            raise ConversionError(f"constant of TorchScript type {jit_type.annotation_str} "
                                  f"({jit_type.kind()}) cannot be represented in a program")
        value = _constant_value(node) if node.hasAttribute("value") else None
        return {"value": constant_json(value, jit_type, self._constants)}

    def _track_getattr(self, node, out, location):
        """Record the dotted path of attributes reached from self ("mlp.0.weight")."""
        parent = self._module_paths.get(node.input().unique())
        if parent is None:
            return
        name = out["attrs"]["name"]
        path = f"{parent}.{name}" if parent else name
        out["attrs"]["path"] = path
        if out["output_types"][0] == "Module":
            self._module_paths[node.output().unique()] = path
        if location is None:  # GetAttr has no source range: point at the first use instead
            users = node.output().uses()
            location = self._locator.locate(users[0].user) if users else None
        self.getattr_uses.append(GetAttrUse(parent, name, node.output().type().kind(), location))


# Node kinds that never own a block: every aten operator, and the prim nodes
# that make up most of a graph. Only these skip Node.blocks() (see the module
# docstring); any other kind is asked, so an unforeseen block owner is still walked.
_BLOCKLESS_PRIM_KINDS = frozenset({
    "prim::Constant", "prim::GetAttr", "prim::ListConstruct", "prim::ListUnpack", "prim::TupleConstruct",
    "prim::TupleUnpack", "prim::TupleIndex", "prim::DictConstruct", "prim::RaiseException",
    "prim::unchecked_cast", "prim::NumToTensor", "prim::device", "prim::dtype", "prim::isinstance",
    "prim::Uninitialized", "prim::min", "prim::max", "prim::layout", "prim::shape",
})


def _blocks(node, kind):
    if kind.startswith("aten::") or kind in _BLOCKLESS_PRIM_KINDS:
        return ()
    return list(node.blocks())


def _outputs(node):
    return [node.outputsAt(i) for i in range(node.outputsSize())]


def overload_name(node):
    """The overload TorchScript resolved an aten node to: "Tensor" for
    aten::add.Tensor, "" for the default overload; None for a node without a
    schema (prim:: ops), and for an out= variant (the host's schema table leaves
    out= variants out, scripts/gen_op_schemas.py; the node says attrs.out_variant
    instead, is_out_variant_node)."""
    return _schema_facts(node)[0]


def is_out_variant_node(node):
    """Whether an aten node calls an out= overload. Functional code reaches those only in its
    `out is not None` branch, which a program normally never takes; the host does not check such a
    node against its schema table, which leaves out= variants out (docs/program-format.md)."""
    return _schema_facts(node)[1]


_NO_SCHEMA = (None, False)


def _schema_facts(node, kind=None):
    """(overload name or None, is an out= variant) of an aten node, (None, False) for others.
    torch 1.13's Node.schema() returns the schema as text, "(no schema)" when there is none;
    torch._C.parse_schema reads it back. A graph has a few hundred distinct schemas over
    thousands of nodes, so each text is parsed once (_parsed_schema_facts)."""
    if not (kind or node.kind()).startswith("aten::"):
        return _NO_SCHEMA
    text = node.schema()
    if not text or text == "(no schema)":
        return _NO_SCHEMA
    return _parsed_schema_facts(text)


@functools.lru_cache(maxsize=4096)
def _parsed_schema_facts(text):
    try:
        schema = torch._C.parse_schema(text)
    except RuntimeError:  # a schema this torch cannot parse back: record nothing rather than guess
        return _NO_SCHEMA
    if _is_out_variant(schema):
        return (None, True)
    return (schema.overload_name, False)


def _is_out_variant(schema):
    """An out= overload ("out", "dtype_out", ...): a kwarg-only tensor argument it writes into."""
    return any(a.kwarg_only and a.alias_info is not None and a.alias_info.is_write for a in schema.arguments)


def _constant_value(node):
    # toIValue turns a 0-d tensor constant into a Python number: read tensors as tensors.
    return node.t("value") if node.kindOf("value") == "t" else node.output().toIValue()


# A value as TorchScript prints it: "%" and its debug name, up to the next space,
# comma, colon, bracket or parenthesis ("%x.2 : Tensor", "(%input.1, %5)").
_PRINTED_VALUE = re.compile(r"%([^\s,():\[\]]+)")


def _collect_debug_names(graph, names):
    """Every debug name of the graph, nested blocks included, read from the graph's printed
    form: one C++ call, about ten times faster than visiting every node's outputs through the
    bindings. Text that merely looks like a value (a string constant "%x") only reserves a name
    more, which is harmless: the set only decides which renamings are free."""
    names.update(_PRINTED_VALUE.findall(graph.str(False)))


def _in_module(node):
    """" in module 'layer1.0.conv1'" for messages, from the node's inlined call stack."""
    try:
        scope = node_scope(node)
    except Exception:  # the scope is a nicety; never let it hide the real message
        scope = ""
    return f" in module '{scope}'" if scope else ""


def _names(values):
    return ", ".join("%" + v.debugName() for v in values) or "none"
