"""The generic engine of the re-integration product catalogue: it knows no product."""

__version__ = "0.1.0"

from .api import Engine  # noqa: E402
from .catalogue import load_catalogue  # noqa: E402
from .errors import CatalogueError  # noqa: E402

__all__ = ["Engine", "load_catalogue", "CatalogueError", "__version__"]
