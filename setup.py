"""Build hook: ship the protocol library (protocols/*.accord) inside the package as accord/library/.

Everything else about the package is declared in pyproject.toml. The specs stay in protocols/ in
the repository (that is where people read and edit them); a built wheel carries a copy, read by
`accord init` through accord.library. An editable install reads protocols/ directly.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithLibrary(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "accord" / "library"
        self.mkpath(str(target))
        for spec in sorted((HERE / "protocols").glob("*.accord")):
            self.copy_file(str(spec), str(target / spec.name))


setup(cmdclass={"build_py": BuildPyWithLibrary})
