"""The ``oneplan`` command line: one module per area, all on one Typer app."""

from __future__ import annotations

from oneplan.cli import audit as _audit  # noqa: F401  (each registers its commands)
from oneplan.cli import evaluation as _evaluation  # noqa: F401
from oneplan.cli import export as _export  # noqa: F401
from oneplan.cli import keys as _keys  # noqa: F401
from oneplan.cli import plans as _plans  # noqa: F401
from oneplan.cli import privacy as _privacy  # noqa: F401
from oneplan.cli import schema as _schema  # noqa: F401
from oneplan.cli import serve as _serve  # noqa: F401
from oneplan.cli import staff as _staff  # noqa: F401
from oneplan.cli import views as _views  # noqa: F401
from oneplan.cli.common import app, database_url

__all__ = ["app", "database_url", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
