"""Custom actions of the intake assistant.

Each module holds the thin Rasa wrappers for one part of the conversation; the work itself
is done by plain functions in `kb` (facts) and `intake` (the consultation request), which
can be tested without a server.
"""
