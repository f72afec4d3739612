"""Stand-in for the expecttest package, which torch.testing._internal imports but
Debian does not ship; the OpInfo database needs nothing more from it."""
import unittest

TestCase = unittest.TestCase
ACCEPT = False
