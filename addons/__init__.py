"""Extensions loaded by the Rasa server itself (not the action server): the tracker store,
the REST and Slack channels, and custom actions that fail soft.

Rasa imports this package at start-up because endpoints.yml and credentials.yml name
modules inside it; importing it installs the fail-soft custom actions
(addons/resilient_actions.py), so that no configuration can leave them out.
"""
from addons.resilient_actions import install

install()
