"""Talking to a running assistant over the REST webhook, as a partner system would."""
from __future__ import annotations

import json
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List


def post_json(url: str, payload: Any, timeout: float = 30) -> Any:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


@dataclass
class Chat:
    """One conversation: `say` sends a message as this sender and returns the bot's replies."""

    rasa_url: str
    sender: str = field(default_factory=lambda: f"test-{uuid.uuid4().hex[:12]}")
    history: List[Dict[str, Any]] = field(default_factory=list)

    def say(self, text: str, metadata: Dict[str, Any] | None = None) -> List[Dict[str, Any]]:
        payload: Dict[str, Any] = {"sender": self.sender, "message": text}
        if metadata is not None:
            payload["metadata"] = metadata
        replies = post_json(f"{self.rasa_url}/webhooks/rest/webhook", payload)
        self.history.append({"user": text, "bot": replies})
        return replies

    def text(self, message: str, metadata: Dict[str, Any] | None = None) -> str:
        """All reply texts of one message joined, for assertions on what a person reads."""
        return "\n".join(reply.get("text", "") for reply in self.say(message, metadata))

    @staticmethod
    def buttons(replies: List[Dict[str, Any]]) -> List[str]:
        return [button["title"] for reply in replies for button in reply.get("buttons", [])]
