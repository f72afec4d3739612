"""safetensors files written without the safetensors package: layout and round trip."""
import json
import os
import struct
import unittest

import torch

from frontend_helpers import BundleTestCase
from torch2program_lib.errors import ConversionError
from torch2program_lib import tensors as tensors_lib
from torch2program_lib.tensors import read_safetensors, write_safetensors

ALL_DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int8, torch.int16, torch.int32,
              torch.int64, torch.uint8, torch.bool]


def sample(dtype, shape):
    if dtype == torch.bool:
        return torch.rand(shape) > 0.5
    if dtype.is_floating_point:
        return torch.randn(shape).to(dtype)
    return torch.randint(0, 100, shape).to(dtype)


class SafetensorsTest(BundleTestCase):
    def setUp(self):
        super().setUp()
        # Odd sizes first, so alignment only holds if the writer reorders the data.
        self.tensors = {f"t.{dtype}".replace("torch.", ""): sample(dtype, (3, 1) if i % 2 else (5,))
                        for i, dtype in enumerate(reversed(ALL_DTYPES))}
        self.tensors["scalar"] = torch.tensor(2.5, dtype=torch.float64)
        self.tensors["empty"] = torch.zeros(0, 4)
        self.path = os.path.join(self.tmp, "t.safetensors")
        write_safetensors(self.path, self.tensors)

    def test_round_trip_every_dtype(self):
        back = read_safetensors(self.path)
        self.assertEqual(list(back), list(self.tensors))  # header keeps the caller's order
        for name, tensor in self.tensors.items():
            self.assertEqual(back[name].dtype, tensor.dtype, name)
            self.assertTrue(torch.equal(back[name], tensor), name)

    def test_layout(self):
        with open(self.path, "rb") as f:
            data = f.read()
        (head_len,) = struct.unpack("<Q", data[:8])
        self.assertEqual(head_len % 8, 0)
        header = json.loads(data[8:8 + head_len])
        spans = sorted((info["data_offsets"], info["dtype"]) for info in header.values())
        sizes = {"F64": 8, "I64": 8, "F32": 4, "I32": 4, "F16": 2, "BF16": 2, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
        position = 0
        for (begin, end), dtype in spans:
            self.assertEqual(begin, position, "hole or overlap in the data")
            self.assertEqual(begin % sizes[dtype], 0, f"{dtype} tensor at unaligned offset {begin}")
            position = end
        self.assertEqual(8 + head_len + position, len(data))
        self.assertEqual(header["t.bool"]["dtype"], "BOOL")
        self.assertEqual(header["scalar"]["shape"], [])

    def test_unsupported_dtype(self):
        with self.assertRaisesRegex(ConversionError, "tensor 'c' has dtype torch.complex64"):
            write_safetensors(os.path.join(self.tmp, "c.safetensors"), {"c": torch.zeros(2, dtype=torch.complex64)})


class LargeTensorTest(BundleTestCase):
    """Tensors larger than the writer's piece (tensors._WRITE_PIECE_BYTES) are written in
    several write() calls: the file must hold exactly their bytes, in order."""

    def test_bytes_of_tensors_larger_than_a_piece(self):
        piece = tensors_lib._WRITE_PIECE_BYTES
        tensors = {"odd": torch.randn(piece // 4 * 3 + 7),  # three pieces and a bit
                   "exact": torch.randint(0, 1000, (piece // 8 * 2,)),  # exactly two pieces
                   "strided": torch.randn(513, 257).t(),  # not contiguous: copied first
                   "small": torch.arange(5, dtype=torch.int16)}
        path = os.path.join(self.tmp, "large.safetensors")
        write_safetensors(path, tensors)
        with open(path, "rb") as f:
            data = f.read()
        (head_len,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + head_len])
        base = 8 + head_len
        for name, tensor in tensors.items():
            begin, end = header[name]["data_offsets"]
            self.assertEqual(data[base + begin:base + end], tensor.contiguous().numpy().tobytes(), name)
        self.assertEqual(base + max(info["data_offsets"][1] for info in header.values()), len(data))


if __name__ == "__main__":
    unittest.main()
