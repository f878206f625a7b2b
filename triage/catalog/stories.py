"""Which story an arriving article belongs to: its own id, an alias kept from an earlier run, the only
article of a file re-read under a new headline, or an earlier story from the same source that it
nearly repeats (an agency resend). A mixin of Catalog; the latest version is the story's current one."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from triage.model import Article

__all__ = ["StoryPlacement", "arrival", "same_version", "vkey", "wire_rank"]


class StoryPlacement:
    """Stories and their versions for Catalog (it holds _versions, _vpaths, _story_of, _arts, ...)."""

    def _place(self, articles: list[Article], touched: dict[str, None]
               ) -> tuple[list[tuple[str, Article]], list[Article]]:
        """The story of each incoming article when it is known (its id, an alias, or the only article of
        a file re-read under a new headline); the others are returned as fresh. A re-read file's
        versions that it no longer holds are dropped."""
        by_path: dict[str, list[Article]] = {}
        for art in articles:
            by_path.setdefault(art.path, []).append(art)
        placed: list[tuple[str, Article]] = []
        fresh: list[Article] = []
        for path, arts in by_path.items():
            held = self._vpaths.get(path, set()) if path else set()
            now = {vkey(a) for a in arts}
            gone = sorted((s, k) for s, k in held if k not in now)
            rewritten = gone[0][0] if (len(held) == 1 and len(arts) == 1 and gone) else None
            for story, key in gone:
                self._versions.get(story, {}).pop(key, None)
                held.discard((story, key))
                touched[story] = None
            for art in arts:
                story = self._story_of.get(art.id) or (art.id if art.id in self._versions else None)
                if story is None and rewritten is not None and rewritten != art.id:
                    story = rewritten
                    self._alias(art.id, story)
                if story is None:
                    fresh.append(art)
                else:
                    placed.append((story, art))
        return placed, fresh

    def _earlier_same_source(self, art: Article, tk: str, pending: dict[str, list[str]]) -> str | None:
        """The story `art` is a later version of: one from the same source whose current text it nearly
        repeats (or repeats) and that arrived before it. Looks only at its own near-duplicates."""
        if tk.startswith("id:"):
            return None
        keys = {tk, *self._adj.get(tk, ())}
        candidates: set[str] = set()
        for k in keys:
            candidates |= self._tk_ids.get(k, set())
            candidates.update(pending.get(k, ()))
        mine = arrival(art)
        for story in sorted(candidates):
            cur = self._arts.get(story)
            if cur is None:
                versions = self._versions.get(story)
                cur = next(iter(versions.values())) if versions else None
            if cur is None or cur.source != art.source or story == art.id:
                continue
            if (cur.received or "") <= mine:
                return story
        return None

    def _alias(self, article_id: str, story: str) -> None:
        if self._story_of.get(article_id) != story:
            self._story_of[article_id] = story
            self.new_aliases.append((article_id, story))

    def set_aliases(self, aliases: Mapping[str, str]) -> None:
        """Known article id -> story id links (kept by the caller across runs)."""
        with self._lock:
            self._story_of.update(aliases)

    def story_of(self, article_id: str) -> str:
        """The story (list row id) an article id belongs to."""
        return self._story_of.get(article_id, article_id)

    def aliases_of(self, story: str) -> list[str]:
        """Every article id that is (or was) a version of this story, the story's own id first."""
        with self._lock:
            return [story, *sorted(a for a, s in self._story_of.items() if s == story and a != story)]

    def take_aliases(self) -> list[tuple[str, str]]:
        """The article id -> story links made since the last call (for the caller to keep)."""
        with self._lock:
            out, self.new_aliases = self.new_aliases, []
            return out

    def versions(self, story: str) -> list[Article]:
        """The versions of a story present in the inbox, oldest first."""
        with self._lock:
            return sorted(self._versions.get(story, {}).values(), key=arrival)

    def _current_of(self, story: str) -> Article | None:
        versions = list(self._versions.get(story, {}).values())
        if not versions:
            return None
        latest = max(versions, key=lambda a: (wire_rank(a.version), arrival(a), a.content_hash))
        first = min((a.received for a in versions if a.received), default=latest.received)
        several = len({a.content_hash for a in versions}) > 1 or latest.id != story
        updated = latest.updated or several
        when = latest.updated_at or (arrival(latest) if several else "")
        if latest.id == story and latest.received == first and latest.updated == updated \
                and latest.updated_at == when:
            return latest
        return replace(latest, id=story, received=first, updated=updated, updated_at=when if updated else "")


_ORDINAL = re.compile(r"(\d+)\s*(?:st|nd|rd|th)?", re.IGNORECASE)
_REWRITE = re.compile(r"writethru|write-thru|rewrite|corrected|correction|update|sub", re.IGNORECASE)


def wire_rank(version: str) -> tuple[int, int]:
    """How late an agency version is, for ordering: "3" > "2"; ANPA take keys "2ndLd" > "1stLd" and a
    writethru or correction above the take it rewrites; no version is the first. A version that arrives
    out of order (3 before 2) therefore never gives way to an older one."""
    if not version:
        return (0, 0)
    m = _ORDINAL.search(version)
    return (int(m.group(1)) if m else 0, 1 if _REWRITE.search(version) else 0)


def vkey(art: Article) -> str:
    return f"{art.path}\x00{art.id}"


def arrival(art: Article) -> str:
    """When this version arrived: an update's own time, else when the story was first seen."""
    return art.updated_at or art.received or ""


def same_version(a: Article, b: Article) -> bool:
    return (a.content_hash == b.content_hash and a.text == b.text and a.title == b.title and a.path == b.path
            and a.updated == b.updated and a.updated_at == b.updated_at and a.received == b.received)


