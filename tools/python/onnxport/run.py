"""python3 -m onnxport.run BUNDLE_DIR [--inputs FILE] [--onnx MODEL] ...: the
installed host's `onnxport run` (docs/index.md): the reference interpreter on
a bundle and, with --onnx, the model in ONNX Runtime on the same inputs,
compared. onnxport.save_inputs() writes the --inputs file."""
import subprocess
import sys

from ._errors import OnnxportError
from ._host import find_onnxport


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        exe = find_onnxport()
    except OnnxportError as error:
        print(f"onnxport.run: error: {error}", file=sys.stderr)
        return 2
    return subprocess.run([exe, "run", *argv]).returncode


if __name__ == "__main__":
    sys.exit(main())
