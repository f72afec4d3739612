"""Tensor dtypes and safetensors files (written and read without the safetensors package).

A safetensors file is an 8-byte little-endian header length, a JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}} padded with spaces
to a multiple of 8 bytes, then the raw little-endian tensor bytes.
"""
import json
import os
import struct

import numpy
import torch

from .errors import ConversionError

# torch dtype -> (program dtype name, safetensors dtype name)
_DTYPES = {
    torch.float32: ("float32", "F32"),
    torch.float64: ("float64", "F64"),
    torch.float16: ("float16", "F16"),
    torch.bfloat16: ("bfloat16", "BF16"),
    torch.int8: ("int8", "I8"),
    torch.int16: ("int16", "I16"),
    torch.int32: ("int32", "I32"),
    torch.int64: ("int64", "I64"),
    torch.uint8: ("uint8", "U8"),
    torch.bool: ("bool", "BOOL"),
}
_FROM_NAME = {names[0]: dtype for dtype, names in _DTYPES.items()}
_FROM_SAFETENSORS = {names[1]: dtype for dtype, names in _DTYPES.items()}

# c10::ScalarType codes: how TorchScript stores a dtype (e.g. `x.to(torch.float64)`).
SCALAR_TYPE_CODES = {
    torch.uint8: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.int64: 4,
    torch.float16: 5, torch.float32: 6, torch.float64: 7, torch.complex32: 8,
    torch.complex64: 9, torch.complex128: 10, torch.bool: 11, torch.bfloat16: 15,
    # quantized dtypes: a program names them in quantize_per_tensor / quantize_per_channel
    # (docs/architecture.md §4b); no tensor of a bundle has one.
    torch.qint8: 12, torch.quint8: 13, torch.qint32: 14,
}


def dtype_name(dtype, what="tensor"):
    """"float32" for torch.float32; ConversionError for dtypes bundles cannot hold."""
    if dtype not in _DTYPES:
        raise ConversionError(f"{what} has dtype {dtype}, which program bundles do not support "
                              f"(supported: {', '.join(n for n, _ in _DTYPES.values())})")
    return _DTYPES[dtype][0]


def dtype_from_name(name):
    """torch dtype for a program dtype name ("float32") or a short torch name ("float", "long")."""
    aliases = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
               "int": "int32", "short": "int16", "byte": "uint8", "char": "int8",
               "f32": "float32", "f64": "float64", "f16": "float16", "bf16": "bfloat16",
               "i64": "int64", "i32": "int32", "i16": "int16", "i8": "int8", "u8": "uint8"}
    key = aliases.get(name, name)
    if key not in _FROM_NAME:
        raise ConversionError(f"unknown dtype '{name}' (use one of {', '.join(sorted(_FROM_NAME))})")
    return _FROM_NAME[key]


def _ordered_for_alignment(tensors):
    """Largest element size first, so every tensor starts at a multiple of its element size
    (safetensors allows no padding between tensors) and C++ can read it in place."""
    return sorted(tensors.items(), key=lambda item: -item[1].element_size())


def _byte_view(tensor, what):
    """A flat byte view of `tensor`'s data in row-major order: no copy when the tensor is
    already contiguous on the CPU (the weights of a model usually are)."""
    dtype_name(tensor.dtype, what)  # refuses complex, quantized, ...
    t = tensor.detach().cpu().contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: same bits as int16
        t = t.view(torch.int16)
    return memoryview(t.numpy().reshape(-1).view(numpy.uint8))


_WRITE_PIECE_BYTES = 128 << 10


def write_safetensors(path, tensors):
    """Writes {name: torch.Tensor} to `path` atomically (temporary file, then rename).
    Each tensor's bytes go straight from its storage to the file (no copy of the
    whole set in memory: a model's weights would otherwise be held twice)."""
    header = {name: None for name in tensors}  # the header lists tensors in the caller's order
    views, offset = [], 0
    for name, tensor in _ordered_for_alignment(tensors):
        view = _byte_view(tensor, f"tensor '{name}'")
        header[name] = {"dtype": _DTYPES[tensor.dtype][1], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + view.nbytes]}
        views.append(view)
        offset += view.nbytes
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(struct.pack("<Q", len(head)))
            f.write(head)
            for view in views:
                # In pieces: on this project's machine one write() of a whole 9 MB tensor
                # cost 3-6x the wall and CPU time of the same bytes in 128 KB writes (the
                # piece size of cp); bench/README.md, "torch2program".
                for start in range(0, view.nbytes, _WRITE_PIECE_BYTES):
                    f.write(view[start:start + _WRITE_PIECE_BYTES])
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def read_safetensors(path):
    """{name: torch.Tensor} from a safetensors file (used by tests and --check)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ConversionError(f"{path}: file too short for a safetensors header")
    (head_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + head_len])
    base = 8 + head_len
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = _FROM_SAFETENSORS[info["dtype"]]
        raw = bytearray(data[base + begin:base + end])
        if dtype == torch.bfloat16:
            flat = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16) if raw else torch.empty(0, dtype=dtype)
        else:
            flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        out[name] = flat.reshape(info["shape"])
    return out
