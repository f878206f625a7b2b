"""The desk: several editors on one store. Takes, hand-offs, presence and watches as one editor sees
them (`Desk`), and the shift's handover report (`handover`)."""

from triage.desk.desk import Desk, DeskPoll, MyOwn, WatchCount

__all__ = ["Desk", "DeskPoll", "MyOwn", "WatchCount"]
