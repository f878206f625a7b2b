"""Every key of the TUI in one table: the screens' BINDINGS, the help screen, the command palette and
the README's key table are all generated from `KEYS`.

A key means one thing everywhere: its action has the same name (and arguments) on every screen
that binds it (`escape` is `back`, `q` is `quit`: leave where you are), which a test checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from triage.model import Decision

__all__ = ["KEYS", "SCREENS", "Key", "bindings", "help_groups", "key_names", "palette_entries",
           "readme_key_table"]

MAIN, LIST, TEXT, REVIEW, ARTICLE = "main", "list", "text", "review", "article"
DESK_DIALOGS = ("hand", "mine", "watches", "handover", "ask")  # the desk's screens (issue 26)
SCREENS = ("app", MAIN, LIST, TEXT, REVIEW, ARTICLE, "help", "note", "pick", "problems", "message", "quit",
           *DESK_DIALOGS)
DECIDING = (MAIN, REVIEW, ARTICLE)
DIALOGS = ("help", "note", "pick", "problems", "message", "quit", *DESK_DIALOGS)
_LISTS = ("hand", "mine", "watches", "handover")  # desk screens that move with j / k


@dataclass(frozen=True)
class Key:
    """One action and its keys: where it is bound, what the footer, help and palette call it."""

    action: str  # the action's name: screens bind it to their own `action_<name>`
    keys: str  # Textual key names, comma-separated; the first is the one help names
    label: str  # the footer's (and palette's) words
    group: str  # the help screen's group ("" : not in the help screen)
    screens: tuple[str, ...]
    args: tuple[str, ...] = ()
    help: str = ""  # what it does, for the help screen and the palette
    show: tuple[str, ...] = ()  # screens whose footer shows it
    footer: str = ""  # a footer group's name: keys of one group share one footer entry
    palette: bool = False
    joint: str = ""  # help lines with the same joint are one line (keys together, this row's help)
    rank: int = 9  # the main screen's footer order (at 80 columns the first ones show)

    @property
    def binding_action(self) -> str:
        """The action as Textual's Binding wants it: `decide('flag')`."""
        if not self.args:
            return self.action
        return f"{self.action}({', '.join(repr(a) for a in self.args)})"


_VIEW_HELP = "views: inbox, follow-up, flagged, archived, all"
_VIEWS = (("inbox", "Inbox"), ("follow-up", "Follow-up"), ("flagged", "Flagged"), ("archived", "Archived"),
          ("all", "All"))
_EVERY = (REVIEW, ARTICLE, *DIALOGS)

KEYS: tuple[Key, ...] = (
    # -- moving ----------------------------------------------------------------------------------
    Key("down", "j,down", "Down", "Move", (LIST, TEXT, REVIEW, ARTICLE, "help", *_LISTS),
        help="next / previous story", joint="move"),
    Key("up", "k,up", "Up", "Move", (LIST, TEXT, REVIEW, ARTICLE, "help", *_LISTS), joint="move"),
    Key("top", "g,home", "Top", "Move", (LIST, REVIEW), help="top / bottom", joint="ends"),
    Key("bottom", "G,end", "Bottom", "Move", (LIST, REVIEW), joint="ends"),
    Key("page_down", "pagedown,ctrl+d", "Page down", "Move", (LIST,), help="page the list", joint="page"),
    Key("page_up", "pageup,ctrl+u", "Page up", "Move", (LIST,), joint="page"),
    Key("open", "enter", "Read", "Move", (MAIN, REVIEW), help="read the story",
        show=(MAIN,), rank=5),
    Key("zoom", "z", "Read full screen", "Move", (MAIN,), help="full-screen text on / off", palette=True),
    Key("page_text", "space", "Page down", "Move", (MAIN, TEXT), help="page down the text", show=(TEXT,)),
    Key("tab", "tab", "Text", "", (MAIN,), help="into the text and back"),
    Key("back", "escape", "Back", "Move", (MAIN, TEXT, *_EVERY), help="back to the list",
        show=(TEXT, REVIEW, ARTICLE)),
    # -- deciding --------------------------------------------------------------------------------
    # f a x decide, F A X decide with a note: the keys are the list's marks (triage.model.Decision).
    *(Key("decide", d.mark.lower(), d.verb, "Decide", DECIDING, (d.value,), "follow up, archive, flag",
          show=DECIDING, palette=True, joint="decide", rank=0) for d in Decision),
    *(Key("decide_note", d.mark, f"{d.verb}, with a note", "Decide", (MAIN,), (d.value,),
          "the same, with a note: why", show=(MAIN,), footer="+note", palette=True, joint="note", rank=1)
      for d in Decision),
    Key("clear", "backspace,delete", "Clear", "Decide", (REVIEW, ARTICLE), help="clear the decision (review)",
        show=(REVIEW, ARTICLE)),
    Key("undo", "u", "Undo", "Decide", DECIDING, help="undo your own last act", show=DECIDING,
        palette=True, rank=2),
    Key("note", "n", "Note", "Decide", (MAIN,), help="note on this story", show=(MAIN,), palette=True,
        rank=3),
    Key("select", "v", "Select", "Decide", (LIST,), help="select; f a x act on all"),
    Key("select_down", "J,shift+down", "Select down", "Decide", (LIST,), help="extend the selection",
        joint="extend"),
    Key("select_up", "K,shift+up", "Select up", "Decide", (LIST,), joint="extend"),
    # -- finding ---------------------------------------------------------------------------------
    Key("search", "slash", "Search", "Find", (MAIN, REVIEW),
        help="search; filters: urgency:1-2",
        show=(MAIN, REVIEW), palette=True, rank=6),
    Key("entity_filter", "e", "Entity", "Find", (MAIN,), help="filter by a name in it", palette=True),
    Key("source_filter", "S", "Source", "Find", (MAIN, REVIEW),
        help="source, provider, language…", show=(REVIEW,), palette=True),
    *(Key("view", str(i), label, "Find", (MAIN,), (name,), _VIEW_HELP, palette=True, joint="views")
      for i, (name, label) in enumerate(_VIEWS, 1)),
    Key("sort", "s", "Sort", "Find", (MAIN, REVIEW), help="next sort order",
        show=(REVIEW,), palette=True),
    Key("reverse_sort", "R", "Reverse sort", "Review", (REVIEW,), help="reverse the sort", show=(REVIEW,)),
    Key("filter_decision", "d", "Decision", "Review", (REVIEW,), help="next decision filter", show=(REVIEW,)),
    Key("filter_days", "t", "Today/7d/30d/all", "Review", (REVIEW,), help="next time range", show=(REVIEW,)),
    Key("filter_user", "U", "User", "Review", (REVIEW,), help="filter by user", show=(REVIEW,)),
    Key("filter_range", "T", "Date range", "Review", (REVIEW,), help="filter by dates", show=(REVIEW,)),
    Key("reset_filters", "0", "Reset filters", "Review", (REVIEW,), help="reset the filters", show=(REVIEW,)),
    Key("reload", "ctrl+r", "Reload", "Review", (REVIEW,), help="read the decisions again"),
    # -- the desk (several editors, one store) ----------------------------------------------------
    Key("take", "h", "Take / give back", "Decide", (MAIN,), help="take or give back; hand on",
        palette=True, joint="hold"),
    Key("hand", "H", "Hand on, with a note", "Decide", (MAIN,),
        help="hand it to a colleague or the desk, with a note", palette=True, joint="hold"),
    Key("mine", "m", "Mine: taken by or handed to me", "More", (MAIN,),
        help="mine, watches, handover", palette=True, joint="desk"),
    Key("watches", "W", "Watches and unread counts", "More", (MAIN,),
        help="watches and their unread stories", palette=True, joint="desk"),
    Key("handover", "D", "Handover of the shift", "More", (MAIN,),
        help="the shift's handover (8 h)", palette=True, joint="desk"),
    Key("add_watch", "plus", "Add watch", "", ("watches",), help="add a watch (desk or mine)",
        show=("watches",)),
    Key("remove_watch", "minus", "Remove watch", "", ("watches",), help="remove the watch",
        show=("watches",)),
    Key("yes", "y", "Yes", "", ("ask",), help="decide anyway (when asked)", show=("ask",)),
    # -- more ------------------------------------------------------------------------------------
    Key("copy_url", "c", "Copy URL", "More", (MAIN,), help="copy the URL", palette=True),
    Key("open_url", "o", "Open URL", "More", (MAIN,), help="open the URL", palette=True),
    Key("review", "r", "Review", "More", (MAIN,), help="review past decisions", show=(MAIN,), palette=True,
        rank=7),
    Key("problems", "p", "Problems", "More", (MAIN, "problems"), help="problems reading files", palette=True),
    Key("retry", "w", "Write again", "", ("quit",), help="try to save again now", show=("quit",)),
    Key("help", "question_mark", "Help", "More", (MAIN, REVIEW, ARTICLE, "help"), help="this help",
        show=(MAIN,), palette=True, rank=4),
    Key("quit", "q", "Quit", "More", ("app", REVIEW, ARTICLE, "help", "problems", "message", "quit"),
        help="quit", show=("quit",)),
    Key("quit", "ctrl+q", "Quit", "", ("app",), show=("app",)),
    Key("quit", "ctrl+c", "Quit", "", ("app",)),
)

# Footer groups (Binding.Group), one object per name so the footer shows them together.
_GROUPS: dict[str, Binding.Group] = {}


def _group(name: str) -> Binding.Group | None:
    if not name:
        return None
    if name not in _GROUPS:
        _GROUPS[name] = Binding.Group(name)
    return _GROUPS[name]


def _entries(screen: str) -> Iterator[Key]:
    return (k for k in KEYS if screen in k.screens)


def bindings(screen: str) -> list[BindingType]:
    """The BINDINGS of one screen (or widget: "list", "text"; the app: "app"), in the table's order;
    on the deciding screens the decision keys share a footer group."""
    out: list[BindingType] = []
    entries = list(_entries(screen))
    if screen == MAIN:  # deciding first, then help, reading, search, review
        entries.sort(key=lambda k: k.rank)
    for k in entries:
        group = k.footer
        if not group and k.action == "decide" and screen != MAIN:
            group = "decide "
        out.append(Binding(k.keys, k.binding_action, k.label, show=screen in k.show, group=_group(group)))
    return out


_SHOWN = {"down": "↓", "up": "↑", "question_mark": "?", "slash": "/", "escape": "esc", "pagedown": "PgDn",
          "pageup": "PgUp", "home": "Home", "end": "End", "shift+down": "shift+↓", "shift+up": "shift+↑",
          "delete": "del", "plus": "+", "minus": "-"}


def key_names(keys: str) -> str:
    """Textual key names as a person reads them: "j,down" -> "j ↓"."""
    return " ".join(_SHOWN.get(k, k) for k in keys.split(","))


HelpGroups = list[tuple[str, list[tuple[str, str]]]]


def help_groups(screens: tuple[str, ...] = ("app", MAIN, LIST, TEXT)) -> HelpGroups:
    """(group, [(keys, what)]) for the help screen: the keys bound on `screens`, the rows of a joint
    on one line ("f a x"; "j k ↓ ↑"; "1 … 5"), groups in the table's order."""
    groups: dict[str, list[tuple[str, str]]] = {}
    joints: dict[str, tuple[str, list[str], list[str]]] = {}  # joint -> (group, first keys, arrows)
    for k in KEYS:
        if not k.group or k.group == "Review" or not set(k.screens) & set(screens):
            continue
        rows = groups.setdefault(k.group, [])
        names = key_names(k.keys).split(" ")
        if not k.joint:
            rows.append((" ".join(names), k.help or k.label.lower()))
            continue
        if k.joint not in joints:
            joints[k.joint] = (k.group, [], [])
            rows.append((k.joint, k.help or k.label.lower()))  # keys filled in below
        joints[k.joint][1].append(names[0])
        joints[k.joint][2].extend(n for n in names[1:] if n in ("↓", "↑"))
    for joint, (group, firsts, arrows) in joints.items():
        keys = f"{firsts[0]} … {firsts[-1]}" if len(firsts) > 3 else " ".join(firsts + arrows)
        groups[group] = [(keys, what) if name == joint else (name, what) for name, what in groups[group]]
    groups.setdefault("More", []).append(("ctrl+p", "every action, by name"))
    return list(groups.items())


def palette_entries() -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(title, help, action, args) of the main screen's actions the command palette offers."""
    out = []
    for k in KEYS:
        if k.palette:
            what = k.label if k.joint else k.help or k.label
            out.append((k.label, f"{what[:1].upper()}{what[1:]} (key {key_names(k.keys.split(',')[0])})",
                        k.action, k.args))
    return out


def readme_key_table() -> str:
    """The README's key table (markdown): every key, what it does, where it is bound."""
    lines = ["| Key | Action | Where |", "| --- | --- | --- |"]
    where_names = {"app": "everywhere", MAIN: "main", LIST: "list", TEXT: "text", REVIEW: "review",
                   ARTICLE: "review article"}
    for k in KEYS:
        where = ", ".join(dict.fromkeys(where_names.get(s, "dialogs") for s in k.screens))
        keys = " ".join(f"`{name}`" for name in key_names(k.keys).split(" "))
        what = k.label if not k.help or k.joint or k.help == k.label.lower() else f"{k.label}: {k.help}"
        lines.append(f"| {keys} | {what.replace('|', '/')} | {where} |")
    return "\n".join(lines) + "\n"
