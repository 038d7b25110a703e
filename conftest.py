"""Doctest collection of the package: modules whose optional extra is missing are skipped."""
import importlib.util

collect_ignore = []
if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
    collect_ignore.append("zipfit/dask.py")
if importlib.util.find_spec("datasets") is None:
    collect_ignore.append("zipfit/hf.py")
