"""Build the C engine (csrc/) and its Cython bridge (zipfit/_core.pyx).

The engine links the system zlib through its C API.  No -march=native:
wheels must run on any CPU of the target architecture.  Other CPUs than
x86-64 compile the engine's plain-C paths (deflate_size.c chooses them from
the compiler's target; cibuildwheel also passes -DDS_PORTABLE there).

The .pyx is turned into C when the extension is built, not when this file
is read: an sdist carries the .pyx and no generated _core.c, and Cython is
a build requirement (pyproject.toml).
"""
import os
import re
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.sdist import sdist
from setuptools.errors import PlatformError

C_SOURCES = [
    "csrc/zf_loop.c",
    "csrc/zf_zlib.c",
    "csrc/deflate_size.c",
    "csrc/engine_deflate.c",
    "csrc/lz4_size.c",
    "csrc/engine_lz4.c",
]
C_HEADERS = ["csrc/zf.h", "csrc/deflate_size.h", "csrc/lz4_size.h"]

ext = Extension(
    "zipfit._core",
    sources=["zipfit/_core.pyx", *C_SOURCES],
    depends=C_HEADERS,
    include_dirs=["csrc"],
    libraries=["z"],
    extra_compile_args=["-O3", "-fvisibility=hidden"],
)


class cythonize_build_ext(build_ext):
    """build_ext that turns the .pyx sources into C first (only when building)."""

    def run(self):
        if sys.platform == "win32":
            raise PlatformError(
                "zipfit does not build on Windows: its C engine needs GCC or Clang "
                "and links the system zlib, which Windows does not have (README.md, "
                "Install; under WSL it builds as on Linux)")
        from Cython.Build import cythonize

        built = {e.name: e for e in cythonize(
            self.extensions, compiler_directives={"language_level": "3"})}
        for e in self.extensions:
            e.sources = built[e.name].sources
        super().run()


class sdist_sources_only(sdist):
    """sdist without what setuptools generates into it.

    setuptools adds its egg-info directory and a setup.cfg recording
    egg_info's tag options (all empty here).  A build from the sdist makes
    its own metadata, so the sdist holds only the project's files and the
    PKG-INFO that the sdist format asks for.
    """

    def make_release_tree(self, base_dir, files):
        egg_info = self.get_finalized_command("egg_info").egg_info
        files = [f for f in files if Path(f).parts[0] != Path(egg_info).name]
        super().make_release_tree(base_dir, files)
        cfg = os.path.join(base_dir, "setup.cfg")
        if "setup.cfg" not in files and os.path.exists(cfg):
            os.remove(cfg)


_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(([^)\s]+)\)")


def long_description(readme=None):
    """README.md as the package page shows it.

    The page has no files beside it, so a relative link or image there would
    be broken: each names its file instead (the sdist and the repository have
    it).  Absolute links and anchors stay.  README.md itself keeps its
    relative links, which work in the repository.
    """
    if readme is None:
        readme = (Path(__file__).resolve().parent / "README.md").read_text(encoding="utf-8")

    def local(m):
        image, label, target = m.groups()
        if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|#", target):
            return m.group(0)
        if image:
            return f"*(image: {label}, `{target}` in the source distribution)*"
        if label.strip("`") == target:
            return f"`{target}`"
        return f"{label} (`{target}`)"

    return _LINK.sub(local, readme)


if __name__ == "__main__":
    setup(
        ext_modules=[ext],
        cmdclass={"build_ext": cythonize_build_ext, "sdist": sdist_sources_only},
        long_description=long_description(),
        long_description_content_type="text/markdown",
    )
