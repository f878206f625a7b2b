"""One batch rule and one failure rule for the analysis: a batch is bounded by documents and by
characters (spaCy pads a batch to its longest text); a story that raises fails alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..model import Analysis, Article

__all__ = ["BULK_CHARS", "LIVE", "BatchLimit", "Chunk", "Item", "Outcome", "batches", "isolated", "size_of"]

Item = tuple[Article, "int | None"]
Outcome = tuple[str, "Analysis | None", str]  # (article id, its analysis or None, why it failed)
Chunk = Callable[[Sequence[Item]], list[Analysis]]


@dataclass(frozen=True)
class BatchLimit:
    """How much one batch may hold: documents and characters (one story longer than that goes alone)."""

    docs: int
    chars: int

    def fits(self, docs: int, chars: int) -> bool:
        """True when a batch of `docs` stories and `chars` characters is within the limit."""
        return docs <= self.docs and chars <= self.chars


# The TUI: the story under the cursor waits for at most one small batch.
LIVE = BatchLimit(4, 16_000)
BULK_CHARS = 30_000  # batch jobs: `analysis.batch_size` stories, this many characters


def size_of(article: Article) -> int:
    """A story's size for the batch rule."""
    return len(article.text or "") + len(article.title or "")


def batches(items: Iterable[Item], limit: BatchLimit) -> Iterator[list[Item]]:
    """Consecutive chunks of `items` within `limit`."""
    chunk: list[Item] = []
    size = 0
    for item in items:
        n = size_of(item[0])
        if chunk and not limit.fits(len(chunk) + 1, size + n):
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += n
    if chunk:
        yield chunk


def isolated(analyze: Chunk, items: Sequence[Item]) -> list[Outcome]:
    """Outcomes of a batch; a batch that raises is run again one story at a time, so one bad story
    costs only itself."""
    try:
        return [(a.id, r, "") for (a, _), r in zip(items, analyze(items), strict=True)]
    except Exception as exc:  # noqa: BLE001 - one at a time below
        if len(items) == 1:
            return [(items[0][0].id, None, _why(exc))]
    out: list[Outcome] = []
    for item in items:
        try:
            out.append((item[0].id, analyze([item])[0], ""))
        except Exception as exc:  # noqa: BLE001 - this story's problem, not the batch's
            out.append((item[0].id, None, _why(exc)))
    return out


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"
