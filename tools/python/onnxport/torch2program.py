"""python3 -m onnxport.torch2program MODULE --input NAME=SPEC ... -o BUNDLE_DIR:
writes a PyTorch module as a program bundle (docs/torch2program.md); the
same tool as tools/torch2program/torch2program.py."""
import sys

from .torch2program_lib.bundle import write_bundle
from .torch2program_lib.cli import main
from .torch2program_lib.errors import ConversionError

__all__ = ["write_bundle", "ConversionError", "main"]

if __name__ == "__main__":
    sys.exit(main())
