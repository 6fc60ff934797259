"""Errors that a user can act on.

Faces (the CLI, the web app) turn a :class:`SocialsightError` into one clear line and a
non-zero exit instead of a traceback; anything else is a bug.
"""


class SocialsightError(Exception):
    """An expected failure explained to the user in one line (bad input, missing setup)."""


class NotInitialisedError(SocialsightError):
    """The data directory has not been created with ``socialsight init``."""


class InputError(SocialsightError):
    """An input file or argument cannot be used (missing, unreadable, malformed)."""
