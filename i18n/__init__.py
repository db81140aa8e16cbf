"""The languages the assistant speaks: which are enabled, their translations, and the lookup.

Plain Python, no Rasa: the Rasa server's NLG, the custom actions, the knowledge answers and the
widget page all read translations through here. English texts stay where they always were
(knowledge/interpol.yml, domain.yml, firm.yml, locales/en.yml); each other language has one file
beside them, locales/<code>.yml, every entry marked `review: draft` until a lawyer signs it off.
"""

from i18n.catalog import Catalog, get_catalog

__all__ = ["Catalog", "get_catalog"]
