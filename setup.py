"""The one build step pyproject.toml cannot declare: the wheel carries the top-level spec folders as hwsim/_specs/.

devices/, workloads/ and schemas/ sit at the repository's top level, where the design puts them and a user looks.
setuptools' package data only copies files from inside a package's folder, so build_py copies these three
folders (their YAML and JSON files) into the built package; hwsim.io.paths then finds them with importlib.resources
in an installed wheel, and at the top level in a checkout (editable install or PYTHONPATH). Everything else about
the build is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# folder -> file patterns it ships; keep in step with MANIFEST.in (the sdist) and hwsim/paths.py (the reader)
SPEC_FOLDERS = {"devices": ("*.yaml",), "workloads": ("**/*.yaml",), "schemas": ("*.json",)}
INSTALLED_SPECS = Path("hwsim", "_specs")


class BuildPyWithSpecs(build_py):
    """build_py, plus the top-level spec folders copied to hwsim/_specs/ of the build (not in an editable install,
    which reads the checkout's own folders)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, patterns in SPEC_FOLDERS.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    target = Path(self.build_lib, INSTALLED_SPECS, source.relative_to(ROOT))
                    self.mkpath(str(target.parent))
                    self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildPyWithSpecs})
