"""Builds the rapport Python package: setuptools drives CMake to build the _rapport extension.

The metadata is in pyproject.toml. Environment:
  RAPPORT_CMAKE_BUILD_DIR     the CMake build directory (default: <build_temp>/cmake, reused by later builds)
  RAPPORT_CMAKE_ARGS          more CMake configure arguments (e.g. -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  RAPPORT_PYTHON_BUILD_BASE   setuptools' build directory (default: build-python, beside the CMake trees)
  CMAKE_BUILD_PARALLEL_LEVEL  parallel compile jobs (CMake's own variable)
"""

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


def _version() -> str:
    return re.search(r"project\(rapport VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text()).group(1)


class CMakeBuild(build_ext):
    """Configures and builds the _rapport target with CMake, then copies the extension and the
    generated stub into the package being built."""

    def build_extension(self, ext: Extension) -> None:
        build_dir = pathlib.Path(os.environ.get("RAPPORT_CMAKE_BUILD_DIR") or pathlib.Path(self.build_temp) / "cmake")
        build_dir = build_dir.resolve()
        configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir)]
        if not (build_dir / "CMakeCache.txt").exists() and shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        configure += [
            "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}",
            f"-DPYTHON_EXECUTABLE={sys.executable}",
            "-DRAPPORT_BUILD_PYTHON=ON",
            "-DRAPPORT_BUILD_TESTS=OFF",
            "-DRAPPORT_BUILD_BENCHMARKS=OFF",
            "-DRAPPORT_BUILD_CLI=OFF",
            "-DRAPPORT_BUILD_EXAMPLES=OFF",
            "-DRAPPORT_INSTALL=OFF",
        ] + shlex.split(os.environ.get("RAPPORT_CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "_rapport"], check=True)

        built = build_dir / "bindings" / "rapport"
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built / target.name, target)
        shutil.copyfile(built / "__init__.pyi", target.parent / "__init__.pyi")


setup(
    version=_version(),
    ext_modules=[Extension("rapport._rapport", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": os.environ.get("RAPPORT_PYTHON_BUILD_BASE", "build-python")}},
)
