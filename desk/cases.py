"""What the desk does to requests beyond the store's own methods: assign, notes, history, search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import insert, select, update

from intake.records import StoredRequest, utcnow
from intake.request_store import reference_hash
from intake.schema import audit_table, notes_table, requests_table
from intake.store import SqlIntakeStore

FILTERS = ("all", "new", "handled", "mine")


@dataclass(frozen=True)
class Note:
    author: str
    at: datetime
    text: str


def _request_id(store: SqlIntakeStore, reference: str) -> Optional[int]:
    with store.engine.connect() as connection:
        return connection.execute(select(requests_table.c.id).where(
            requests_table.c.reference == reference)).scalar_one_or_none()


def inbox(store: SqlIntakeStore, *, view: str = "all", username: str = "", query: str = "") -> list[StoredRequest]:
    """Requests for the inbox: urgent first, then newest; a filter and a search (reference, name or
    email). The search runs on the decrypted records: the database holds only ciphertext."""
    status = view if view in ("new", "handled") else None
    found = store.list(status=status, limit=None)
    if view == "mine":
        found = [request for request in found if request.assigned_to == username]
    needle = query.strip().casefold()
    if needle:
        compact = needle.replace("-", "")
        found = [request for request in found
                 if compact in request.reference.casefold().replace("-", "")
                 or needle in request.full_name.casefold()
                 or needle in (request.email or "").casefold()]
    return found


def assign(store: SqlIntakeStore, reference: str, username: Optional[str], actor: str) -> None:
    with store._begin() as connection:
        connection.execute(update(requests_table).where(requests_table.c.reference == reference)
                           .values(assigned_to=username or None))
        store._audit(connection, "assign", "desk", 1, None, actor=actor, target=reference_hash(reference))


def add_note(store: SqlIntakeStore, reference: str, text: str, actor: str) -> None:
    request_id = _request_id(store, reference)
    if request_id is None:
        raise LookupError(reference)
    with store._begin() as connection:
        connection.execute(insert(notes_table).values(request_id=request_id, author=actor, at=utcnow(),
                                                      text=store.cipher.encrypt(text)))
        store._audit(connection, "note", "desk", 1, None, actor=actor, target=reference_hash(reference))


def notes(store: SqlIntakeStore, reference: str) -> list[Note]:
    request_id = _request_id(store, reference)
    if request_id is None:
        return []
    with store.engine.connect() as connection:
        rows = connection.execute(select(notes_table).where(notes_table.c.request_id == request_id)
                                  .order_by(notes_table.c.id)).mappings().all()
    return [Note(row["author"], row["at"], store._open(row["text"]) or "") for row in rows]


def history(store: SqlIntakeStore, reference: str) -> list[dict]:
    """The audit lines about one request (views, assignments, notes, handled...), oldest first."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(audit_table).where(audit_table.c.target == reference_hash(reference))
                                  .order_by(audit_table.c.id)).mappings().all()
    return [dict(row) for row in rows]
