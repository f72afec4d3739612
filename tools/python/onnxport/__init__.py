"""onnxport from Python: one call exports a PyTorch module to ONNX.

    import onnxport
    result = onnxport.export(model, (x,), "model.onnx", input_names=["x"], output_names=["y"],
                             dynamic_shapes={"x": {0: "batch"}}, verify=True)
    result.strategy, result.sound, result.report, result.verification

export() writes the module as a program bundle (torch2program) in a temporary
folder and runs the installed `onnxport export` on it, so the C++ host stays
the one implementation. `python3 -m onnxport.torch2program` writes a bundle,
`python3 -m onnxport.run` runs `onnxport run`, and save_inputs() writes the
inputs file `onnxport run --inputs` reads. docs/python.md has the details.
"""
from ._errors import OnnxportError
from ._export import ExportResult, export
from ._host import find_onnxport
from ._inputs import save_inputs

__all__ = ["export", "ExportResult", "OnnxportError", "save_inputs", "find_onnxport"]
