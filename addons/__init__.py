"""Extensions loaded by the Rasa server itself (not the action server): the tracker store,
the REST and Slack channels, custom actions that fail soft, and a cheaper graph runner.

Rasa imports this package at start-up because endpoints.yml and credentials.yml name
modules inside it, before it loads the model; importing it installs the fail-soft custom
actions (addons/resilient_actions.py) and the graph runner (addons/graph_runner.py), so
that no configuration can leave them out.
"""
from addons import graph_runner, resilient_actions

resilient_actions.install()
graph_runner.install()
