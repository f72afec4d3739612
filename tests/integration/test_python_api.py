"""The Python package end to end, installed: `cmake --install` to a temporary
prefix, then python_day.py imports onnxport from there (PYTHONPATH =
<prefix>/lib/python3.X/dist-packages, the folder Debian's python3 searches
for that prefix) and does an ML engineer's day with it."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from onnxport_testlib import SOURCE, OnnxportTestCase

BUILD = os.environ.get("ONNXPORT_BUILD_DIR", os.path.join(SOURCE, "build"))
NODE_MODULES = os.path.join(SOURCE, "node_modules")
HERE = os.path.dirname(os.path.abspath(__file__))


class PythonPackageInstalled(OnnxportTestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(os.path.join(NODE_MODULES, "onnxruntime-node", "package.json")):
            print("SKIP: npm onnxruntime-node is not installed in %s (run scripts/setup.sh)" % SOURCE)
            sys.exit(77)
        cls.tmp = tempfile.mkdtemp(prefix="onnxport-python-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        proc = subprocess.run(["cmake", "--install", BUILD, "--prefix", cls.prefix], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=600)
        if proc.returncode != 0:
            raise AssertionError("cmake --install failed:\n" + proc.stdout[-3000:])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def env(self, site):
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "ONNXPORT_EXE", "ONNXPORT_ORT_RUNNER", "ONNXPORT_PLUGIN_PATH")}
        env["PYTHONPATH"] = site
        env["ONNXPORT_NODE_MODULES"] = NODE_MODULES
        env["PATH"] = "/usr/bin:/bin"  # no other onnxport to fall back on
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def test_the_package_is_where_debian_python_finds_it(self):
        sites = glob.glob(os.path.join(self.prefix, "lib", "python3.*", "dist-packages", "onnxport", "__init__.py"))
        self.assertEqual(len(sites), 1, sites)
        # /usr/bin/python3 searches <prefix>/lib/python3.X/dist-packages for /usr/local and /usr.
        minor = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version_info.minor)"],
                               stdout=subprocess.PIPE, text=True).stdout.strip()
        self.assertIn("python3.%s" % minor, sites[0])
        searched = subprocess.run(["/usr/bin/python3", "-c", "import sys; print('\\n'.join(sys.path))"],
                                  stdout=subprocess.PIPE, text=True).stdout.split()
        self.assertIn("/usr/local/lib/python3.%s/dist-packages" % minor, searched)

    def test_an_ml_engineers_day(self):
        site = glob.glob(os.path.join(self.prefix, "lib", "python3.*", "dist-packages"))[0]
        work = os.path.join(self.tmp, "day")
        os.makedirs(work)
        proc = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "python_day.py"), work],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
                              env=self.env(site), cwd=work)
        print(proc.stdout)
        self.assertEqual(proc.returncode, 0, proc.stdout[-4000:])
        self.assertIn("python day: all ok", proc.stdout)
        # It used the installed host, not the build tree's.
        import_check = subprocess.run(["/usr/bin/python3", "-c", "import onnxport; print(onnxport.find_onnxport())"],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                      env=self.env(site), cwd=work)
        self.assertEqual(import_check.stdout.strip(), os.path.join(self.prefix, "bin", "onnxport"))


if __name__ == "__main__":
    unittest.main()
