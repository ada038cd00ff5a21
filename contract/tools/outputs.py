"""Output files named on the command line, checked before any work is done.

A run of ``contract bench`` can take minutes; a ``--json`` or ``--plot`` path that
cannot be written must fail at once, in one line, not after the run.

>>> check_output("missing-folder/x.json", "--json")
Traceback (most recent call last):
...
contract.errors.ContractError: --json 'missing-folder/x.json': the folder 'missing-folder' does not exist
"""
import os
from typing import List

from contract.errors import ContractError


def check_output(path: str, option: str) -> str:
    """Raise ContractError unless ``path`` names a file that can be written; returns it.

    The file is opened for appending (and removed again if it did not exist), so
    permissions, read-only file systems and folders in the way all show up here.
    """
    if not path or path.endswith(("/", os.sep)) or os.path.isdir(path):
        raise ContractError(f"{option} {path!r} is a folder; name a file in it")
    folder = os.path.dirname(path)
    if folder and not os.path.isdir(folder):
        raise ContractError(f"{option} {path!r}: the folder {folder!r} does not exist")
    existed = os.path.exists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as err:
        raise ContractError(f"{option} {path!r} cannot be written: "
                            f"{err.strerror or err}") from None
    if not existed:
        os.remove(path)
    return path


def plot_formats() -> List[str]:
    """File extensions matplotlib can write; ContractError when matplotlib is missing."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise ContractError("plots need matplotlib: pip install 'contract[bench]'") from None
    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_plot(path: str, option: str) -> str:
    """:func:`check_output`, and the extension must be a format matplotlib writes.

    >>> check_plot("tree.unknownext", "--plot")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    contract.errors.ContractError: --plot 'tree.unknownext' has extension .unknownext; use one of ...
    """
    check_output(path, option)
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    formats = plot_formats()
    if extension not in formats:
        what = f"extension .{extension}" if extension else "no extension"
        raise ContractError(f"{option} {path!r} has {what}; use one of "
                            f"{', '.join('.' + f for f in formats)}")
    return path
