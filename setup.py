"""The build step pyproject.toml cannot say: compile the message catalogs.

`qa_engine/locale/LANG/LC_MESSAGES/messages.po` are the sources (committed); the wheel carries the
compiled `messages.mo` beside each, written here into the build directory (Babel is a dependency
and a build requirement). Everything else is in pyproject.toml."""

from __future__ import annotations

import io
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_catalogs(build_py):  # noqa: N801 - setuptools' naming
    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        source = Path(__file__).resolve().parent / "qa_engine" / "locale"
        # an editable install reads the source tree: the .mo go there (`make` writes them too)
        target = source if self.editable_mode else Path(self.build_lib) / "qa_engine" / "locale"
        for po in sorted(source.glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as f:
                catalog = read_po(f, locale=po.parent.parent.name)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)
            mo = target / po.relative_to(source).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            mo.write_bytes(buffer.getvalue())


setup(cmdclass={"build_py": build_py_with_catalogs})
