"""The served Rasa server without TensorFlow (rasa_server/engine/training_imports.py): no
component uses it, and importing it took 425 of the server's 812 MB."""
from __future__ import annotations

from pathlib import Path

from ops.stack import Stack
from tests.chat import Chat


def mapped_files(pid: int) -> set:
    return {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if len(line.split()) >= 6}


def test_the_rasa_server_answers_a_whole_conversation_without_loading_tensorflow(stack: Stack) -> None:
    chat = Chat(stack.rasa_url)
    assert "member" in chat.text("is serbia a member of interpol?").lower()
    assert "Do you agree" in chat.text("I would like a consultation")
    server = next(service for service in stack.services if service.name == "rasa server")
    libraries = mapped_files(server.process.pid)
    assert any("onnxruntime" in path for path in libraries), "the check reads the wrong process"
    assert not [path for path in libraries if "tensorflow" in path]
