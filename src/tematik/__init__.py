"""tematik: mixed-methods qualitative coding from the terminal.

The package root stays light: ``import tematik`` loads neither spaCy nor pandas.
"""

from tematik.errors import CodebookError, Conflict, InputError, NotFound, TematikError
from tematik.models import Coding, Document, Participant, Suggestion, Turn

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "CodebookError",
    "Coding",
    "Conflict",
    "Document",
    "InputError",
    "NotFound",
    "Participant",
    "Suggestion",
    "TematikError",
    "Turn",
]
