"""The one exception type of the onnxport package."""


class OnnxportError(Exception):
    """An export that could not be done. The message is the first diagnostic:
    the argument and what was expected for bad arguments (raised before any
    work), else the host's first error line. `report` holds report.json as a
    dict when the host wrote one, `output` the host's console output."""

    def __init__(self, message, report=None, output=""):
        super().__init__(message)
        self.report = report
        self.output = output
