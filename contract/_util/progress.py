"""Progress reporting for long runs (sliced contractions): rich, else tqdm, else nothing.

Both libraries are optional and imported only when a bar is shown.
"""


class _NoBar:
    def __enter__(self):
        return lambda n=1: None

    def __exit__(self, *exc):
        return False


class _RichBar:
    def __init__(self, total, description):
        from rich.progress import Progress
        self.progress = Progress(transient=False)
        self.total, self.description = total, description

    def __enter__(self):
        self.progress.start()
        task = self.progress.add_task(self.description, total=self.total)
        return lambda n=1: self.progress.advance(task, n)

    def __exit__(self, *exc):
        self.progress.stop()
        return False


class _TqdmBar:
    def __init__(self, total, description):
        from tqdm import tqdm
        self.bar = tqdm(total=total, desc=description)

    def __enter__(self):
        return self.bar.update

    def __exit__(self, *exc):
        self.bar.close()
        return False


class _Callback:
    def __init__(self, total, callback):
        self.total, self.callback, self.done = total, callback, 0

    def __enter__(self):
        def advance(n=1):
            self.done += n
            self.callback(self.done, self.total)
        return advance

    def __exit__(self, *exc):
        return False


def progress_bar(total, enabled, description="slices"):
    """A context giving ``advance(n)``: rich, else tqdm, else nothing.

    ``enabled``: True, False, ``None`` (a bar only when stderr is a terminal)
    or a callable ``enabled(done, total)`` called as slices finish.

    >>> with progress_bar(3, lambda done, total: print(f"{done}/{total}")) as advance:
    ...     advance(2)
    2/3
    """
    import sys
    if callable(enabled):
        return _Callback(total, enabled)
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return _NoBar()
    for bar in (_RichBar, _TqdmBar):
        try:
            return bar(total, description)
        except ImportError:
            continue
    return _NoBar()


__all__ = ["progress_bar"]
