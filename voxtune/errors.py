"""Exceptions meant for people, not for tracebacks.

The CLI prints a `VoxtuneError` as one line and exits with status 2; anything else is a
bug and keeps its traceback.
"""


class VoxtuneError(Exception):
    """A problem the user can fix; the message names the file or value and what to do."""


class ConfigError(VoxtuneError):
    """A config file or a `key=value` override that cannot be applied."""


class InputError(VoxtuneError):
    """Input data (a file, a folder, a layout) that cannot be used as given."""


class ClipRejected(VoxtuneError):
    """One clip or source file set aside; the batch goes on.

    `reason` is a short stable code (for counting in reports), the message says why in words.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
