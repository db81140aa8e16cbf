"""Extensions loaded by the Rasa server itself (not the action server): the tracker store."""
