"""The "module" tree of program.json and the tensors of weights.safetensors.

Each module: {"type", "attributes", "parameters", "buffers", "parameter_shapes",
"children"} (empty parts left out; parameter_shapes holds the shapes of the
parameters and of the buffers, so the loader can check weights.safetensors). Attributes are the
module's non-tensor state that JSON can hold (training, eps, momentum, strings,
None, numbers, lists and tuples of those); a parameter, buffer or child that is
None is an attribute with value null, as TorchScript sees it. A plain tensor
attribute (neither parameter nor buffer) is listed with the buffers; a list of
tensors (nn.LSTM's _flat_weights) is an attribute whose items are
{"tensor_ref": "<dotted name in weights.safetensors>"}.

A parameter registered under two names (a tied weight: `head.weight = emb.weight`)
is stored once, under the first name; `tied` maps the others to it
(program.json "tied_weights", docs/program-format.md).
"""
import torch

from .errors import ConversionError
from .packed_params import packed_params_json, packed_params_kind
from .source import location_text
from .values import NOT_REPRESENTABLE, python_value_json


class ModuleTree:
    """Builds the tree of an eager nn.Module and collects its tensors by dotted name."""

    def __init__(self, module):
        self.weights = {}
        self.tied = {}  # dotted name -> dotted name it is stored under (the same Parameter)
        self._parameter_names = {}  # id(parameter) -> the dotted name it was first stored under
        self._weight_names = {}  # id(tensor) -> dotted name, to refer to a weight from a list
        self._modules = {}  # dotted path -> (module, tree node)
        self.tree = self._module_json(module, "")

    def _module_json(self, module, path):
        node = {"type": _type_name(module), "attributes": {"training": bool(module.training)}}
        self._modules[path] = (module, node)
        for name, param in module._parameters.items():
            self._add_tensor(node, path, name, param, "parameters")
        for name, buf in module._buffers.items():
            self._add_tensor(node, path, name, buf, "buffers")
        for name, value in _instance_attributes(module):
            if not name.startswith("_") and not _declares(node, name) and name not in module._modules:
                self._add_plain_attribute(node, path, name, value)
        children = {}
        for name, child in module._modules.items():
            if child is None:
                node["attributes"][name] = None
            else:
                children[name] = self._module_json(child, _join(path, name))
        if children:
            node["children"] = children
        return node

    def _add_tensor(self, node, path, name, tensor, kind):
        if tensor is None:
            node["attributes"][name] = None
            return
        node.setdefault(kind, []).append(name)
        node.setdefault("parameter_shapes", {})[name] = list(tensor.shape)  # buffers' too
        if kind == "parameters":
            first = self._parameter_names.setdefault(id(tensor), _join(path, name))
            if first != _join(path, name):
                self.tied[_join(path, name)] = first
                return
        self.weights[_join(path, name)] = tensor.detach()
        self._weight_names.setdefault(id(tensor), _join(path, name))

    def _add_plain_attribute(self, node, path, name, value):
        """Returns False when the value cannot be written (skipped unless the graph uses it)."""
        if isinstance(value, torch.nn.Module):
            return True  # children are handled from _modules
        if isinstance(value, torch.Tensor):
            self._add_tensor(node, path, name, value, "buffers")
            return True
        if packed_params_kind(value) is not None:  # quantized conv / linear weights
            node["attributes"][name] = packed_params_json(
                value, lambda part, tensor: self._new_weight(_join(path, f"{name}.{part}"), tensor))
            return True
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
            node["attributes"][name] = [self._tensor_ref(path, f"{name}.{i}", v) for i, v in enumerate(value)]
            return True
        json_value = python_value_json(value)
        if json_value is NOT_REPRESENTABLE:
            return False
        node["attributes"][name] = json_value
        return True

    def _new_weight(self, dotted, tensor):
        """Stores a tensor made here (unpacked quantized weights) under `dotted`: a
        temporary, so it is not looked up by id() as the module's own tensors are."""
        if dotted in self.weights:
            raise ConversionError(f"two tensors would be stored as '{dotted}' in weights.safetensors")
        self.weights[dotted] = tensor.detach()
        return {"tensor_ref": dotted}

    def _tensor_ref(self, path, name, tensor):
        """{"tensor_ref": dotted name in weights.safetensors}: the parameter or buffer this
        tensor is (nn.LSTM's _flat_weights lists its own parameters), else a new entry."""
        if id(tensor) not in self._weight_names:
            self._weight_names[id(tensor)] = _join(path, name)
            self.weights[_join(path, name)] = tensor.detach()
        return {"tensor_ref": self._weight_names[id(tensor)]}

    def require(self, use, scripted_root=None):
        """Makes sure a prim::GetAttr of the graph resolves in the tree.

        Attributes outside __dict__ (class attributes, private names) are fetched
        from the eager module, then from the scripted one; a value the tree cannot
        hold is an error naming the attribute and where the graph reads it.
        """
        module, node = self._modules.get(use.module_path, (None, None))
        if node is None or _declares(node, use.name):
            return
        value = getattr(module, use.name, _MISSING)
        if value is _MISSING and scripted_root is not None:
            value = _scripted_attribute(scripted_root, use.module_path, use.name)
        where = location_text(use.location) or f"module attribute {_join(use.module_path, use.name)}"
        if value is _MISSING:
            raise ConversionError(f"the graph reads attribute '{use.name}' of module "
                                  f"'{use.module_path or 'self'}', which the module does not have", where)
        if not self._add_plain_attribute(node, use.module_path, use.name, value):
            raise ConversionError(f"module attribute '{_join(use.module_path, use.name)}' holds a "
                                  f"{type(value).__name__}, which a program cannot represent", where)


_MISSING = object()


def _type_name(module):
    """"Linear", also for a module the caller scripted already (its class is RecursiveScriptModule)."""
    if isinstance(module, torch.jit.ScriptModule):
        return getattr(module, "original_name", type(module).__name__)
    return type(module).__name__


def _instance_attributes(module):
    """(name, value) of the module's own attributes. A ScriptModule keeps them in its C++ object."""
    if isinstance(module, torch.jit.ScriptModule):
        return torch._C._jit_debug_module_iterators(module._c)["named_attributes"]
    return vars(module).items()


def _declares(node, name):
    return (name in node.get("attributes", {}) or name in node.get("parameters", [])
            or name in node.get("buffers", []) or name in node.get("children", {}))


def _scripted_attribute(root, path, name):
    module = root
    for part in filter(None, path.split(".")):
        module = getattr(module, part, None)
        if module is None:
            return _MISSING
    return getattr(module, name, _MISSING)


def _join(path, name):
    return f"{path}.{name}" if path else name
