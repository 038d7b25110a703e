"""Shared fixtures: hypothesis profiles and real text that every Python has."""
import os
import pathlib
import random
import sysconfig

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("expensive", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("ZIPFIT_HYPOTHESIS", "ci" if os.environ.get("CI") else "default"))


def _stdlib_texts():
    """Paragraphs of code and prose from the standard library's own files."""
    root = pathlib.Path(sysconfig.get_paths()["stdlib"])
    files = sorted(root.glob("*.py"))[:60]
    code, prose = [], []
    for f in files:
        src = f.read_text(encoding="utf-8", errors="replace")
        for block in src.split("\n\n"):
            block = block.strip("\n")
            if len(block) < 40:
                continue
            (prose if block.lstrip().startswith(('"""', "#")) else code).append(block)
    return code, prose


@pytest.fixture(scope="session")
def corpus():
    """A mixed pool of ~0.1-2 KB code and prose snippets (deterministic)."""
    code, prose = _stdlib_texts()
    rng = random.Random(1234)
    pool = [t for t in code + prose if len(t) < 2048]
    rng.shuffle(pool)
    return pool


@pytest.fixture(scope="session")
def small_task(corpus):
    """80 sources and 12 targets drawn from the corpus, plus odd cases."""
    sources = corpus[:80] + ["", "\x00\x00 nul \x00", "héllo wörld ✓ 日本語", "a" * 70000]
    targets = corpus[200:212]
    return sources, targets


@pytest.fixture(scope="session")
def dask_scheduler():
    """The address of a process-based Dask LocalCluster shared by the tests."""
    distributed = pytest.importorskip("distributed", reason="needs zipfit[dask]")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster:
        yield cluster.scheduler_address
