"""Where the onnxport executable is, and running it."""
import os
import shutil
import subprocess

from ._errors import OnnxportError

# <root>/lib/python3.X/dist-packages/onnxport/_host.py -> <root>/bin/onnxport,
# in an installation and in a build tree alike (the build tree mirrors it).
_ROOT_FROM_PACKAGE = 4


def find_onnxport():
    """The onnxport executable: $ONNXPORT_EXE, else <prefix>/bin/onnxport of
    the installation (or build tree) this package belongs to, else the one on
    PATH. Raises OnnxportError when there is none."""
    explicit = os.environ.get("ONNXPORT_EXE")
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        raise OnnxportError(f"ONNXPORT_EXE={explicit} is not an executable file")
    package_dir = os.path.dirname(os.path.realpath(__file__))
    root = package_dir
    for _ in range(_ROOT_FROM_PACKAGE):
        root = os.path.dirname(root)
    beside = os.path.join(root, "bin", "onnxport")
    if os.path.isfile(beside) and os.access(beside, os.X_OK):
        return beside
    on_path = shutil.which("onnxport")
    if on_path:
        return on_path
    raise OnnxportError(f"the onnxport executable was not found (looked in {os.path.dirname(beside)} and on PATH); "
                        "install onnxport (cmake --install) or set ONNXPORT_EXE")


def run_onnxport(args, timeout=None):
    """Runs `onnxport ARGS`; returns the CompletedProcess (text, stdout and stderr captured)."""
    return subprocess.run([find_onnxport(), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout)
