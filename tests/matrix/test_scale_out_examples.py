"""The scale-out examples of docs/matrix-scale-out.md stay in step: the
Kubernetes Indexed Job (examples/matrix-k8s/indexed-job.yaml) and the GitHub
Actions matrix (examples/matrix-ci/github-actions.yml) run N shards with
--shard I/N for the same N their merge joins, and every option of
scripts/matrix-slurm.sh is in the docs. Run with /usr/bin/python3 (Debian's
python3-yaml)."""
import os
import re
import unittest

import yaml

SOURCE = os.environ.get("ONNXPORT_SOURCE", os.path.join(os.path.dirname(__file__), "..", ".."))


def read(*parts):
    with open(os.path.join(SOURCE, *parts)) as f:
        return f.read()


class KubernetesIndexedJob(unittest.TestCase):
    def setUp(self):
        self.shards, self.merge = yaml.safe_load_all(read("examples", "matrix-k8s", "indexed-job.yaml"))

    def test_shards_are_an_indexed_job_whose_index_is_the_shard(self):
        spec = self.shards["spec"]
        self.assertEqual(self.shards["kind"], "Job")
        self.assertEqual(spec["completionMode"], "Indexed")
        n = spec["completions"]
        self.assertEqual(spec["parallelism"], n)
        command = " ".join(spec["template"]["spec"]["containers"][0]["args"])
        self.assertIn('--shard "$JOB_COMPLETION_INDEX/%d"' % n, command)
        self.assertIn('-o "results/shard-$JOB_COMPLETION_INDEX"', command)
        self.assertEqual(spec["template"]["spec"]["restartPolicy"], "Never")

    def test_merge_joins_exactly_the_n_shards(self):
        n = self.shards["spec"]["completions"]
        command = self.merge["spec"]["template"]["spec"]["containers"][0]["command"]
        self.assertEqual(command[:3], ["onnxport", "matrix", "merge"])
        parts = [word for word in command if word.startswith("results/shard-")]
        self.assertEqual(parts, ["results/shard-%d" % i for i in range(n)])

    def test_run_script_applies_both_documents(self):
        script = read("examples", "matrix-k8s", "run.sh")
        self.assertIn("condition=complete", script)
        self.assertIn("condition=failed", script)


class GitHubActionsMatrix(unittest.TestCase):
    def setUp(self):
        self.workflow = yaml.safe_load(read("examples", "matrix-ci", "github-actions.yml"))

    def test_shards_and_merge_agree_on_n(self):
        shard_job = self.workflow["jobs"]["shard"]
        indexes = shard_job["strategy"]["matrix"]["shard"]
        self.assertFalse(shard_job["strategy"]["fail-fast"])
        n = len(indexes)
        self.assertEqual(indexes, list(range(n)))
        runs = " ".join(step.get("run", "") for step in shard_job["steps"])
        self.assertIn("--shard ${{ matrix.shard }}/%d" % n, runs)
        merge = self.workflow["jobs"]["merge"]
        self.assertEqual(merge["needs"], "shard")
        self.assertEqual(merge["if"], "always()")
        merge_run = " ".join(step.get("run", "") for step in merge["steps"])
        parts = re.findall(r"out/shard-\d+", merge_run)
        self.assertEqual(parts, ["out/shard-%d" % i for i in range(n)])


class SlurmScriptOptionsInDocs(unittest.TestCase):
    def test_every_option_is_documented(self):
        script = read("scripts", "matrix-slurm.sh")
        docs = read("docs", "matrix-scale-out.md")
        # The option patterns of the argument loop: "    -o|--out) ..."
        options = set()
        for pattern in re.findall(r"^\s+((?:-[-\w]+\|?)+)\)", script, re.M):
            options.update(o for o in pattern.split("|") if o not in ("-h", "--help", "--"))
        self.assertGreaterEqual(len(options), 6, options)
        missing = [o for o in sorted(options) if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o), docs)]
        self.assertEqual(missing, [], "options of scripts/matrix-slurm.sh not in docs/matrix-scale-out.md")


if __name__ == "__main__":
    unittest.main()
