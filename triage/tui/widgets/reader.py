"""The reading pane: the summary panel (key sentences, entity chips, key terms) over the full text."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from triage.model import Analysis, Article, Decision, DecisionEvent
from triage.tui.safe import plain

__all__ = ["KIND_LABELS", "MAX_DISPLAY_CHARS", "ArticleText", "SummaryPanel"]

# Longer texts are cut for display (the whole text stays in the article and in search).
MAX_DISPLAY_CHARS = 200_000

KIND_LABELS = {
    "people": "People",
    "places": "Places",
    "organisations": "Orgs",
    "groups": "Groups",
    "dates": "Dates",
    "numbers": "Numbers",
    "other": "Other",
}
DECISION_LABELS = {Decision.FOLLOW_UP: "follow-up", Decision.ARCHIVE: "archived", Decision.FLAG: "flagged"}


class SummaryPanel(Static):
    """Key sentences of the article and the people, places and organisations it names."""

    DEFAULT_CSS = """
    SummaryPanel { padding: 0 1; }
    """

    def show(self, article: Article | None, analysis: Analysis | None, *, status: str = "",
             event: DecisionEvent | None = None) -> None:
        """Render the summary of `article` (or a status line while it is being analysed)."""
        out = Text()
        if article is None:
            self.update(Text("No article selected.", style="italic"))
            return
        if event is not None and (event.decision is not None or event.note):
            label = DECISION_LABELS.get(event.decision, "undecided") if event.decision else "undecided"
            out.append(f"● {label}", style="bold")
            if event.note:
                out.append("  note: ", style="bold")
                out.append(plain(event.note, one_line=True))
            out.append("\n")
        if analysis is None:
            out.append(status or "Analysing…", style="italic")
            self.update(out)
            return
        if not analysis.summary:
            out.append("No summary: the article has no sentences to choose from.", style="italic")
        for sentence in analysis.summary:
            out.append("• ", style="bold")
            out.append(plain(sentence, one_line=True))
            out.append("\n")
        if analysis.entities_available:
            for kind, label in KIND_LABELS.items():
                ents = analysis.entities.get(kind, ())
                if not ents or kind in ("dates", "numbers", "other"):
                    continue
                out.append(f"{label}: ", style="bold")
                for i, ent in enumerate(ents[:6]):
                    if i:
                        out.append(" · ")
                    out.append(plain(ent.text, one_line=True), style="underline")
                    if ent.count > 1:
                        out.append(f" {ent.count}", style="dim")
                out.append("\n")
        else:
            out.append(f"Entities unavailable: no trained spaCy model ({plain(analysis.model)}).\n", style="italic")
        if analysis.key_terms:
            out.append("Terms: ", style="bold")
            out.append(", ".join(plain(t, one_line=True) for t in analysis.key_terms[:8]), style="dim")
        out.rstrip()
        self.update(out)


def article_text(article: Article, analysis: Analysis | None, highlight: str = "bold underline") -> Text:
    """Title, meta line and full text, with the summary sentences highlighted."""
    out = Text()
    out.append(plain(article.title, one_line=True) or "(untitled)", style="bold")
    out.append("\n")
    meta = [m for m in (article.source, article.published[:10] if article.published else "", article.url) if m]
    if article.updated:
        meta.insert(0, "UPDATED")
    if meta:
        out.append(plain(" · ".join(meta), one_line=True), style="dim")
        out.append("\n")
    out.append("\n")
    body = article.text
    cut = len(body) > MAX_DISPLAY_CHARS
    shown = body[:MAX_DISPLAY_CHARS] if cut else body
    cleaned = plain(shown)
    body_text = Text(cleaned)
    if analysis is not None and len(cleaned) == len(shown):
        for s, e in analysis.spans:
            if e <= len(shown):
                body_text.stylize(highlight, s, e)
    elif analysis is not None:
        # Offsets no longer line up after stripping: highlight by searching the sentences instead.
        for sentence in analysis.summary:
            wanted = plain(sentence)
            i = cleaned.find(wanted)
            if i >= 0:
                body_text.stylize(highlight, i, i + len(wanted))
    out.append_text(body_text)
    if not body.strip():
        out.append("(This article has no text.)", style="italic")
    if cut:
        out.append(f"\n\n… {len(body) - MAX_DISPLAY_CHARS:,} more characters not shown.", style="italic")
    return out


class ArticleText(VerticalScroll, can_focus=True):
    """The full text of the article, scrollable, summary sentences highlighted."""

    DEFAULT_CSS = """
    ArticleText { padding: 0 1; }
    ArticleText > Static { width: 1fr; }
    """

    BINDINGS = [("j", "scroll_down", "Down"), ("k", "scroll_up", "Up"), ("space", "page_down", "Page down")]

    def compose(self):
        yield Static(id="article-body")

    def show(self, article: Article | None, analysis: Analysis | None) -> None:
        """Render an article's full text (scrolled to the top)."""
        body = self.query_one("#article-body", Static)
        if article is None:
            body.update(Text(""))
        else:
            body.update(article_text(article, analysis))
        self.scroll_home(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)
