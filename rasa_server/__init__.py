"""Everything that runs inside the Rasa server (never in the action server).

By kind, as config.yml, endpoints.yml and credentials.yml name them:

* ``channels/``: the ways in (REST webhook, socket.io widget, Slack app);
* ``stores/``: where conversations and their locks live (tracker store, its in-memory cache,
  the Redis lock store);
* ``nlu/``: NLU components (the multilingual sentence embedding, country names and the reply language, the intent classifier, the rule
  that answers an unsure maybe-urgent message as urgent);
* ``policies/``: the dialogue policy;
* ``engine/`` and ``action_calls/``: replacements for Rasa internals (the graph runner, the
  calls to the action server, training's imports deferred), installed only by ``rasa_server.patches.install``;
* ``nlg.py``: the response generator that fills the firm's details into every reply.

Importing this package changes nothing in Rasa: the server's entry point
(``python -m rasa_server run ...``, rasa_server/__main__.py) checks the installed versions
and installs the patches, explicitly.
"""
