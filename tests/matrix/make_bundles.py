"""Writes the program bundles of tests/matrix/MATRIX.json that are not
committed: a few control-flow patterns (tests/control_flow) and small corpus
models (tests/corpus), each with torch2program exactly as those tests write
them, into WORK/bundles/NAME. The built-in examples (examples/seed*) are
linked as WORK/examples.

    /usr/bin/python3 tests/matrix/make_bundles.py WORK

A bundle is rewritten only when its stamp (a hash of the sources that define
it and of torch2program) changed, so the matrix tests convert once per build.
"""
import hashlib
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CONTROL_FLOW = os.path.join(REPO, "tests", "control_flow")
CORPUS = os.path.join(REPO, "tests", "corpus")
TOOL = os.path.join(REPO, "tools", "torch2program")

# Keep in step with docs/matrix.md ("The project's matrix"); each adds 15 cells.
CONTROL_FLOW_CASES = ["if_sum_gt_zero", "while_on_data", "buffer_counter"]
CORPUS_MODELS = ["embedding_mlp", "conv1d", "batchnorm1d", "pixel_shuffle"]


def sources_hash(name, files):
    digest = hashlib.sha256(name.encode())
    paths = list(files)
    for root, _, names in os.walk(TOOL):
        paths += [os.path.join(root, n) for n in names if n.endswith(".py")]
    for path in sorted(paths):
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def fresh(bundle, key):
    stamp = os.path.join(bundle, "matrix-stamp.json")
    if not os.path.exists(stamp):
        return False
    with open(stamp) as f:
        return json.load(f).get("key") == key


def stamp(bundle, key):
    with open(os.path.join(bundle, "matrix-stamp.json"), "w") as f:
        json.dump({"key": key}, f)


def control_flow_bundles(out):
    files = [os.path.join(CONTROL_FLOW, n) for n in os.listdir(CONTROL_FLOW) if n.endswith(".py")]
    todo = [n for n in CONTROL_FLOW_CASES if not fresh(os.path.join(out, n), sources_hash(n, files))]
    if not todo:
        return
    sys.path.insert(0, CONTROL_FLOW)
    import torch
    torch.set_num_threads(1)  # the machine's cores are shared; the modules are tiny
    from cflib import load_cases, write_bundle
    cases = load_cases()
    for name in todo:
        case = cases[name]
        torch.manual_seed(0)  # as run_case.py: the first path input is the bundle's example
        module = case.factory()
        module.eval()
        paths = case.paths()
        bundle = os.path.join(out, name)
        shutil.rmtree(bundle, ignore_errors=True)
        write_bundle(module, paths[0], bundle, dynamic_shapes=case.dynamic)
        stamp(bundle, sources_hash(name, files))
        print("wrote", bundle)


def corpus_bundles(out):
    files = [os.path.join(CORPUS, "models.py")]
    todo = [n for n in CORPUS_MODELS if not fresh(os.path.join(out, n), sources_hash(n, files))]
    if not todo:
        return
    sys.path.insert(0, CORPUS)
    sys.path.insert(0, TOOL)
    from models import MODELS
    from torch2program import write_bundle
    by_name = {m.name: m for m in MODELS}
    for name in todo:
        model = by_name[name]
        module, args = model.build()
        bundle = os.path.join(out, name)
        shutil.rmtree(bundle, ignore_errors=True)
        write_bundle(module, args, bundle, dynamic_shapes=model.dynamic_shapes, name=model.name)
        stamp(bundle, sources_hash(name, files))
        print("wrote", bundle)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_bundles.py WORK")
    work = os.path.abspath(sys.argv[1])
    out = os.path.join(work, "bundles")
    os.makedirs(out, exist_ok=True)
    control_flow_bundles(out)
    corpus_bundles(out)
    examples = os.path.join(work, "examples")
    if not os.path.islink(examples):
        if os.path.exists(examples):
            shutil.rmtree(examples)
        os.symlink(os.path.join(REPO, "examples"), examples)


if __name__ == "__main__":
    main()
