"""A pause at a chosen point of a real run, for the tests that stop it with a signal there (test_interrupted_ingest,
test_worker_stop): with this folder on PYTHONPATH, every Python process of the run imports this module first.

PIX_LIVRET_PAUSE_AT="save_certifications:2" makes the 2nd call of pipeline.ingest.save_certifications (in any one process)
write PIX_LIVRET_PAUSE_FILE, then sleep: the establishment's transaction is open, one establishment committed before
it. The hook is set once pipeline.ingest is imported, so that processes that never import it (Prefect's server) pay
nothing.
"""
import importlib.abc
import importlib.util
import os
import sys
import time

SPEC = os.environ.get("PIX_LIVRET_PAUSE_AT")


def _hook(module) -> None:
    name, nth = SPEC.split(":")
    original, calls = getattr(module, name), []

    def paused(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == int(nth):
            with open(os.environ["PIX_LIVRET_PAUSE_FILE"], "w") as mark:
                mark.write(str(os.getpid()))
            time.sleep(300)
        return result

    setattr(module, name, paused)


class _AfterImport(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != "pipeline.ingest":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _hook(module)

        spec.loader.exec_module = exec_module
        return spec


if SPEC:
    sys.meta_path.insert(0, _AfterImport())
