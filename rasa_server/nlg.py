"""Rasa's response generator, in the conversation's language, with the firm's details filled in.

domain.yml's replies are English and name the firm's details as placeholders ({firm_phone},
{emergency_phone}, {privacy_url}, ...) whose values live in firm.yml. Here every reply,
whoever asks for it (an `utter_` action in a rule, a custom action, or the Rasa server's own
apology when an action or the lock store fails), is put in the language of the `reply_language`
slot (i18n/responses.py: the translation beside the English, or the English with one line
saying so) and then filled from the slots, the firm's details and the caller's own values, in
that order (a later one wins).

endpoints.yml selects it with ``nlg: type: rasa_server.nlg.FirmDetailsNLG``.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional, Text

from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from firm import get_settings, response_variables
from i18n import get_catalog
from i18n.responses import translate_response

LANGUAGE_SLOT = "reply_language"


class FirmDetailsNLG(TemplatedNaturalLanguageGenerator):
    """domain.yml's responses in the conversation's language, placeholders filled."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 domain: Optional[Domain] = None) -> None:
        super().__init__((domain or Domain.empty()).responses)
        self.firm_details: Dict[Text, str] = response_variables()
        self.catalog = get_catalog()
        conversation = get_settings().conversation
        self.languages = conversation.languages
        self.default_language = conversation.default_language

    def generate_from_slots(self, utter_action: Text, filled_slots: Dict[Text, Any],
                            output_channel: Text, **kwargs: Any) -> Optional[Dict[Text, Any]]:
        chosen = self._random_response_for(utter_action, output_channel, filled_slots)
        if chosen is None:
            return None
        index = next(i for i, variation in enumerate(self.responses[utter_action]) if variation is chosen)
        # An action may name the language (the session start, before the slot is set).
        language = kwargs.get(LANGUAGE_SLOT) or (filled_slots or {}).get(LANGUAGE_SLOT) or self.default_language
        if language not in self.languages:
            language = self.default_language
        response = translate_response(self.catalog, copy.deepcopy(chosen), utter_action, index,
                                      language, self.languages)
        return self._fill_response(response, filled_slots, **{**self.firm_details, **kwargs})
