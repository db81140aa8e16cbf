"""Rasa's response generator, with the firm's details filled into every reply.

domain.yml's replies name the firm's details as placeholders ({firm_phone},
{emergency_phone}, {privacy_url}, ...); their values live in firm.yml. Rasa fills a reply's
placeholders from the conversation's slots and from the arguments of the one call that asks
for it, so each action used to pass the details itself. Here they are added to every
reply in one place, whoever asks for it: an `utter_` action in a rule, a custom action, or
the Rasa server's own apology when the action server or the lock store fails.

endpoints.yml selects it with ``nlg: type: rasa_server.nlg.FirmDetailsNLG``.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from firm import response_variables


class FirmDetailsNLG(TemplatedNaturalLanguageGenerator):
    """domain.yml's responses; placeholders filled from the slots, the firm's details, and
    the caller's own values, in that order (a later one wins)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.firm_details: Dict[Text, str] = response_variables()

    async def generate(self, utter_action: Text, tracker: DialogueStateTracker,
                       output_channel: Text, **kwargs: Any) -> Optional[Dict[Text, Any]]:
        return await super().generate(utter_action, tracker, output_channel,
                                      **{**self.firm_details, **kwargs})
