"""triage: keyboard-driven terminal news triage."""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """`triage.__version__`, read from the installed package's metadata when first asked for (importing
    importlib.metadata costs ~30 ms of every start otherwise)."""
    if name != "__version__":
        raise AttributeError(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("triage")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"
