#!/usr/bin/python3
"""torch2program: writes a PyTorch module as an onnxport program bundle.

    /usr/bin/python3 tools/torch2program/torch2program.py torchvision.models:resnet18 \\
        --input x=1x3x224x224 -o build/bundles/resnet18
    /usr/bin/python3 tools/torch2program/torch2program.py torch.nn:TransformerEncoderLayer \\
        --kwargs '{"d_model": 64, "nhead": 4, "batch_first": true}' --input src=2x10x64 \\
        --dynamic src:0=batch -o out/encoder

From Python (with tools/torch2program on PYTHONPATH):

    from torch2program import write_bundle
    write_bundle(module, (x,), "out/model", dynamic_shapes={"x": {0: "batch"}})

The bundle format is docs/program-format.md; what this tool writes and how is
docs/torch2program.md. Exit status: 0 written, 1 the module cannot be converted
(the message names the construct and the source line), 2 bad command line.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from torch2program_lib.bundle import write_bundle  # noqa: E402  (re-exported API)
from torch2program_lib.cli import main  # noqa: E402
from torch2program_lib.errors import ConversionError  # noqa: E402

__all__ = ["write_bundle", "ConversionError", "main"]


if __name__ == "__main__":
    sys.exit(main())
