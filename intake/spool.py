"""A small on-disk queue for requests that could not be written to the database.

Why: "nothing is lost". If the database is unreachable when a person completes the
form, their request is written here (one JSON file per conversation, written
atomically, readable only by this user) and the person still gets a reference. The
outbox worker moves spooled requests into the database once it is back. Erasure and
retention apply here too, so the spool never keeps what the database would not.

Each file is a Fernet token (intake.crypto) of the JSON: the spool on disk is encrypted like
the database. A file this key cannot open is kept, untouched, for the right key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Optional

from intake.crypto import DataCipher, DataKeyError, cipher_from_environment, is_token

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1


@dataclass(frozen=True)
class SpooledRequest:
    """One request waiting in the spool."""

    path: Path
    reference: str
    received_at: datetime
    request: dict[str, Any]


def _file_name(conversation_id: str) -> str:
    """One file per conversation, named by a hash so no personal data is in file names."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:40] + ".json"


class Spool:
    """Durable JSON files in ``directory``; safe for one writer per conversation."""

    def __init__(self, directory: Path, cipher: Optional[DataCipher] = None) -> None:
        self.directory = Path(directory)
        self.cipher = cipher or cipher_from_environment()

    def _ensure_directory(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.directory, 0o700)
        except OSError:
            pass

    def put(self, reference: str, received_at: datetime, request: dict[str, Any]) -> Path:
        """Write a request durably (temp file, fsync, rename) and return its path."""
        self._ensure_directory()
        target = self.directory / _file_name(str(request["conversation_id"]))
        payload = {"format": FORMAT_VERSION, "reference": reference,
                   "received_at": received_at.isoformat(), "request": request}
        self._write(target, payload)
        return target

    def _write(self, target: Path, payload: dict[str, Any]) -> None:
        sealed = self.cipher.encrypt_bytes(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
        handle, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.directory)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(sealed)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temp_name, 0o600)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def reencrypt(self, new: "Spool") -> int:
        """Rewrite every spool file under ``new``'s key (key rotation); returns how many."""
        count = 0
        for item in list(self.items()):
            new._write(item.path, {"format": FORMAT_VERSION, "reference": item.reference,
                                   "received_at": item.received_at.isoformat(), "request": item.request})
            count += 1
        return count

    def find(self, conversation_id: str) -> Optional[SpooledRequest]:
        """The spooled request of this conversation, if any."""
        return self._read(self.directory / _file_name(conversation_id))

    def items(self) -> Iterator[SpooledRequest]:
        """Every readable spooled request, oldest file first."""
        if not self.directory.is_dir():
            return
        paths = sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in paths:
            item = self._read(path)
            if item is not None:
                yield item

    def count(self) -> int:
        """How many requests are waiting."""
        return sum(1 for _ in self.items())

    def remove(self, item: SpooledRequest) -> None:
        """Forget a spooled request (after it reached the database, or was erased)."""
        item.path.unlink(missing_ok=True)

    def erase(self, *, conversation_id: Optional[str] = None, reference: Optional[str] = None,
              email: Optional[str] = None) -> int:
        """Delete spooled requests matching any of the given keys; returns how many."""
        erased = 0
        for item in list(self.items()):
            stored_email = (item.request.get("email") or "").casefold()
            if ((conversation_id is not None and item.request.get("conversation_id") == conversation_id)
                    or (reference is not None and item.reference == reference)
                    or (email is not None and stored_email and stored_email == email.casefold())):
                self.remove(item)
                erased += 1
        return erased

    def purge_received_before(self, cutoff: datetime) -> int:
        """Delete spooled requests received before ``cutoff`` (retention)."""
        purged = 0
        for item in list(self.items()):
            if item.received_at < cutoff:
                self.remove(item)
                purged += 1
        return purged

    def _read(self, path: Path) -> Optional[SpooledRequest]:
        try:
            raw = path.read_bytes()
            payload = json.loads(self.cipher.decrypt_bytes(raw) if is_token(raw) else raw.decode("utf-8"))
            return SpooledRequest(path=path, reference=payload["reference"],
                                  received_at=datetime.fromisoformat(payload["received_at"]),
                                  request=payload["request"])
        except FileNotFoundError:
            return None
        except DataKeyError as error:
            logger.error("Spool file %s is not opened by this data key and is kept for the right key: %s",
                         path, error)
            return None
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.error("Unreadable spool file %s kept for inspection: %s", path, error)
            return None
