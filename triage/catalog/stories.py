"""Which story an arriving article belongs to: its own id, an alias kept from an earlier run, the only
article of a file re-read under a new headline, or an earlier story from the same source that it
nearly repeats (an agency resend). The story's current version is its latest by the agency's version,
then by arrival."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from triage.catalog.groups import Groups
from triage.model import Article
from triage.sources.readers.versions import version_rank

__all__ = ["Stories", "arrival", "same_version", "vkey"]


class Stories:
    """Stories and their versions: which versions each story has, from which files, under which ids.
    The catalog holds the lock around every call."""

    def __init__(self, articles: Mapping[str, Article], groups: Groups) -> None:
        self._arts = articles  # the catalog's current versions by story id (read only here)
        self._groups = groups
        self._story_of: dict[str, str] = {}  # article id -> story id (kept across runs by the caller)
        self.clear()

    def clear(self) -> None:
        self._versions: dict[str, dict[str, Article]] = {}  # story id -> version key -> article as read
        self._vpaths: dict[str, set[tuple[str, str]]] = {}  # file path -> (story, version key)
        self.new_aliases: list[tuple[str, str]] = []  # links made since the caller last took them

    def place(self, articles: list[Article], touched: dict[str, None]
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
                known = self._story_of.get(art.id) or (art.id if art.id in self._versions else None)
                if known is None and rewritten is not None and rewritten != art.id:
                    known = rewritten
                    self.alias(art.id, known)
                if known is None:
                    fresh.append(art)
                else:
                    placed.append((known, art))
        return placed, fresh

    def drop_path(self, path: str, touched: dict[str, None]) -> None:
        """A file went: its versions go, and the stories they belonged to are looked at again."""
        for story, key in sorted(self._vpaths.pop(path, set())):
            if self._versions.get(story, {}).pop(key, None) is not None:
                touched[story] = None

    def keep(self, story: str, art: Article) -> bool:
        """Keep `art` as a version of `story`; False when that very version was kept already."""
        key = vkey(art)
        versions = self._versions.setdefault(story, {})
        old = versions.get(key)
        if old is not None and old.content_hash == art.content_hash and old.text == art.text \
                and old.title == art.title and old.updated_at == art.updated_at:
            return False
        versions[key] = art
        if art.path:
            self._vpaths.setdefault(art.path, set()).add((story, key))
        return True

    def forget(self, story: str) -> None:
        self._versions.pop(story, None)

    def earlier_same_source(self, art: Article, tk: str, pending: dict[str, list[str]]) -> str | None:
        """The story `art` is a later version of: one from the same source whose current text it nearly
        repeats (or repeats) and that arrived before it. Looks only at its own near-duplicates."""
        if tk.startswith("id:"):
            return None
        candidates = self._groups.candidates(tk, pending)
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

    def alias(self, article_id: str, story: str) -> None:
        if self._story_of.get(article_id) != story:
            self._story_of[article_id] = story
            self.new_aliases.append((article_id, story))

    def set_aliases(self, aliases: Mapping[str, str]) -> None:
        """Known article id -> story id links (kept by the caller across runs)."""
        self._story_of.update(aliases)

    def story_of(self, article_id: str) -> str:
        """The story (list row id) an article id belongs to."""
        return self._story_of.get(article_id, article_id)

    def aliases_of(self, story: str) -> list[str]:
        """Every article id that is (or was) a version of this story, the story's own id first."""
        return [story, *sorted(a for a, s in self._story_of.items() if s == story and a != story)]

    def take_aliases(self) -> list[tuple[str, str]]:
        """The article id -> story links made since the last call (for the caller to keep)."""
        out, self.new_aliases = self.new_aliases, []
        return out

    def versions(self, story: str) -> list[Article]:
        """The versions of a story present in the inbox, oldest first."""
        return sorted(self._versions.get(story, {}).values(), key=arrival)

    def current_of(self, story: str) -> Article | None:
        versions = list(self._versions.get(story, {}).values())
        if not versions:
            return None
        # The agency's order first (a late "2" never replaces "3"; a kill beats the copy it stops),
        # then arrival; the publication time is not used: a resend may carry the original one.
        latest = max(versions, key=lambda a: (version_rank(a)[:-1], arrival(a), a.content_hash))
        first = min((a.received for a in versions if a.received), default=latest.received)
        several = len({a.content_hash for a in versions}) > 1 or latest.id != story
        updated = latest.updated or several
        when = latest.updated_at or (arrival(latest) if several else "")
        if latest.id == story and latest.received == first and latest.updated == updated \
                and latest.updated_at == when:
            return latest
        return replace(latest, id=story, received=first, updated=updated, updated_at=when if updated else "")


def vkey(art: Article) -> str:
    return f"{art.path}\x00{art.id}"


def arrival(art: Article) -> str:
    """When this version arrived: an update's own time, else when the story was first seen."""
    return art.updated_at or art.received or ""


def same_version(a: Article, b: Article) -> bool:
    return (a.content_hash == b.content_hash and a.text == b.text and a.title == b.title and a.path == b.path
            and a.updated == b.updated and a.updated_at == b.updated_at and a.received == b.received)


