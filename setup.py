"""Build the C engine (csrc/) and its Cython bridge (zipfit/_core.pyx).

The engine links the system zlib through its C API.  No -march=native:
wheels must run on any CPU of the target architecture.
"""
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

C_SOURCES = [
    "csrc/zf_loop.c",
    "csrc/zf_zlib.c",
    "csrc/deflate_size.c",
    "csrc/engine_deflate.c",
    "csrc/lz4_size.c",
    "csrc/engine_lz4.c",
]

extra = [] if sys.platform == "win32" else ["-O3", "-fvisibility=hidden"]

ext = Extension(
    "zipfit._core",
    sources=["zipfit/_core.pyx", *C_SOURCES],
    include_dirs=["csrc"],
    libraries=["z"],
    extra_compile_args=extra,
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(ext_modules=cythonize([ext], compiler_directives={"language_level": "3"}))
