"""The latest conversations' trackers, kept in memory between two messages.

Rasa rebuilds a conversation from the database on every message: it reads every event of the
session and replays them one by one, so a message costs more the longer the conversation is
(at turn 50, most of a message's time). The tracker the previous message left behind is the
same object, so it is kept here and handed back, if nothing changed it in the database since.

Knows nothing of SQL: the tracker store says what "nothing changed" means (the id of the
newest stored event) and asks for an entry back with `take`, which removes it. A tracker is
only ever in one place: either here, unused, or in the hands of the one message that took it.
A message that fails half-way therefore never leaves a half-updated tracker behind.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, Hashable, Optional, TypeVar

Tracker = TypeVar("Tracker")


@dataclass
class Entry(Generic[Tracker]):
    """A tracker as it was stored: its events up to `stored_events` are in the database, and
    `latest_event_id` was the id of the newest of them."""

    tracker: Tracker
    stored_events: int
    latest_event_id: Optional[int]


class TrackerCache(Generic[Tracker]):
    """Least recently used out first, at most `max_events` events in all (0: keep none).

    Bounded by events rather than conversations because memory grows with them: about
    1.2 KB per event here (a 50-turn conversation is ~370 events, ~460 KB).
    """

    def __init__(self, max_events: int) -> None:
        self.max_events = max(0, max_events)
        self.events = 0
        self._entries: "OrderedDict[Hashable, Entry[Tracker]]" = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, key: Hashable) -> Optional[Entry[Tracker]]:
        """Removes and returns the conversation's entry, if there is one."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.events -= entry.stored_events
        return entry

    def put(self, key: Hashable, entry: Entry[Tracker]) -> None:
        self.take(key)
        if entry.stored_events > self.max_events:
            return
        self._entries[key] = entry
        self.events += entry.stored_events
        while self.events > self.max_events:
            _, oldest = self._entries.popitem(last=False)
            self.events -= oldest.stored_events

    def forget(self, key: Hashable) -> None:
        self.take(key)
