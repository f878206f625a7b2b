"""The text of the page a teaser entry links to (fetch_full_article), fetched with the feed's limits.

A hostile feed cannot aim these requests at the host: the page and every redirect must resolve to a
public address or stay on the feed's own origin (httpget.Reach.for_page_of), checked again at each
connect; only a few pages are fetched per feed per fetch (the rest on later fetches), a few at a time
across all feeds (PAGE_CONCURRENCY), so pages that hang cost one deadline per batch, not one each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from triage.model import Article
from triage.sources.base import Rejected
from triage.sources.httpget import FetchError, Reach, get

__all__ = ["FULL_TEXT_PER_FETCH", "PAGE_CONCURRENCY", "with_full_texts"]

log = logging.getLogger(__name__)

# Linked pages fetched per feed per fetch: a feed of a thousand teasers is not a thousand requests.
FULL_TEXT_PER_FETCH = 20
# Linked pages fetched at the same time, across all feeds.
PAGE_CONCURRENCY = 4


async def _full_text(client: Any, link: str, feed_url: str, opts: dict[str, Any]) -> str:
    """Main text of a linked article page (trafilatura), or "" when it cannot be had. The page and every
    redirect must be on a public address or the feed's own origin (a feed cannot aim us at the host)."""
    from triage.sources.decode import decode_bytes
    from triage.sources.readers.html import extract_html

    try:
        gate = opts.get("page_gate")
        async with gate if gate is not None else contextlib.nullcontext():
            resp = await get(client, link, {}, timeout=opts["timeout"], max_bytes=opts["max_bytes"],
                             reach=Reach.for_page_of(feed_url, local=bool(opts.get("local_pages"))))
        html, _enc = decode_bytes(resp.body)
    except (FetchError, Rejected) as exc:
        log.info("full text of %s not fetched: %s", link, exc)
        return ""
    text = (await asyncio.to_thread(extract_html, html, url=link)).get("text", "")
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


async def with_full_texts(client: Any, url: str, fresh: list[Article], parsed: Any, spooled: list[Article],
                          opts: dict[str, Any]) -> list[Article]:
    """Teaser entries given the text of the page they link to (a few per fetch; kept ones reused)."""
    from triage.sources.base import make_article
    from triage.sources.readers.feedfile import teaser_links

    teasers = teaser_links(parsed)
    known = {a.url: a for a in spooled}
    budget = FULL_TEXT_PER_FETCH
    wanted: dict[str, Any] = {}  # link -> the text it will have (a kept one, or a page to fetch)
    for a in fresh:
        if a.url in teasers and len(a.text) < 1200 and a.url not in wanted:
            prev = known.get(a.url)
            if prev is not None and len(prev.text) > len(a.text):
                wanted[a.url] = prev.text
            elif budget > 0:
                budget -= 1
                wanted[a.url] = _full_text(client, a.url, url, opts)
    fetching = [link for link, v in wanted.items() if not isinstance(v, str)]
    for link, text in zip(fetching, await asyncio.gather(*(wanted[link] for link in fetching)), strict=True):
        wanted[link] = text
    out = []
    for a in fresh:
        full = wanted.get(a.url, "") if a.url in teasers and len(a.text) < 1200 else ""
        if len(full) > len(a.text):
            a = make_article(title=a.title, text=full, path=a.path, source=a.source, url=a.url,
                             published=a.published, author=a.author, received=a.received, article_id=a.id)
        out.append(a)
    return out
