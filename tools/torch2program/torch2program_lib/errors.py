"""The one error type torch2program raises for things it cannot convert."""


class ConversionError(Exception):
    """A module, input or graph construct that cannot be written as a program bundle.

    `where` is a source location ("model.py:24: if x.sum():") or a place in the
    module ("module attribute mlp.0.cache") when one is known; the CLI prints
    it after the message and exits non-zero.
    """

    def __init__(self, message, where=""):
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self):
        return f"{self.message} (at {self.where})" if self.where else self.message
