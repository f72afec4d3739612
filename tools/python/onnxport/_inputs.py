"""save_inputs: the inputs file `onnxport run --inputs` reads (safetensors,
one tensor per input name)."""
import os

from ._errors import OnnxportError


def save_inputs(path, inputs, names=None):
    """Writes `inputs` to the safetensors file `path`, atomically.

    inputs: {name: tensor} (forward's parameter names, e.g. {"x": x}), or a
    tuple/list of tensors in forward's order, named by `names` or, when
    `names` is None, "input.0", "input.1", ... which `onnxport run` takes in
    the program's input order. Tensors are torch tensors (or anything
    torch.as_tensor takes, such as numpy arrays)."""
    import torch

    from .torch2program_lib.tensors import write_safetensors

    if isinstance(inputs, dict):
        if names is not None:
            raise OnnxportError("save_inputs: names= is only for a tuple of inputs; a dict names its tensors")
        named = dict(inputs)
    elif isinstance(inputs, (tuple, list)):
        if names is None:
            names = [f"input.{i}" for i in range(len(inputs))]
        names = list(names)
        if len(names) != len(inputs):
            raise OnnxportError(f"save_inputs: {len(names)} names for {len(inputs)} inputs")
        named = dict(zip(names, inputs))
    else:
        raise OnnxportError(f"save_inputs: inputs must be a dict {{name: tensor}} or a tuple of tensors, "
                            f"got {type(inputs).__name__}")
    tensors = {}
    for name, value in named.items():
        if not isinstance(name, str) or not name:
            raise OnnxportError(f"save_inputs: input names must be non-empty strings, got {name!r}")
        try:
            tensors[name] = torch.as_tensor(value).detach().contiguous()
        except (TypeError, ValueError, RuntimeError) as error:
            raise OnnxportError(f"save_inputs: input {name!r} is not a tensor: {error}") from None
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    write_safetensors(path, tensors)
    return path
