"""Completeness checklist of a client's file: which document kinds each application type requires.

An application type is channel (SPEC §3 art. 5) × client kind × with or without an agent. The onboarding
review (资料审核) asks archive.selectors.client_file_checklist for the present/missing list; this module is
data only, so the rules are read in one place.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import DocumentKind


class Channel(models.TextChoices):
    COUNTER = "counter", _("现场开户")
    WITNESSED = "witnessed", _("见证开户")
    ONLINE = "online", _("网上开户")


INDIVIDUAL = "individual"
INSTITUTION = "institution"

# Every opening: the client's identity, the signed disclosure and agreements (art. 6–7), and the written
# suitability result (art. 8).
_SIGNED = (DocumentKind.RISK_DISCLOSURE_SIGNED, DocumentKind.AGREEMENT_SIGNED, DocumentKind.QUESTIONNAIRE_RESULT)

_BY_CLIENT_KIND: dict[str, tuple[str, ...]] = {
    INDIVIDUAL: (DocumentKind.ID_FRONT, DocumentKind.ID_BACK, DocumentKind.PHOTO, *_SIGNED),
    # An institution always acts through an authorised agent (经办人) with an authorisation letter.
    INSTITUTION: (
        DocumentKind.BUSINESS_LICENCE,
        DocumentKind.LEGAL_REP_ID,
        DocumentKind.AGENT_AUTHORISATION,
        DocumentKind.AGENT_ID,
        *_SIGNED,
    ),
}

# An agent opening for an individual shows their own ID and the authorisation, which must be notarised
# (SPEC §3 art. 6).
_INDIVIDUAL_AGENT = (DocumentKind.AGENT_ID, DocumentKind.AGENT_AUTHORISATION, DocumentKind.NOTARISED_POA)

_BY_CHANNEL: dict[str, tuple[str, ...]] = {
    Channel.COUNTER: (),
    Channel.WITNESSED: (DocumentKind.WITNESS_RECORD,),  # art. 17: who witnessed, how
    Channel.ONLINE: (DocumentKind.DIGITAL_CERTIFICATE,),  # serial, issuer, validity at signing
}


def required_kinds(*, client_kind: str, channel: str, has_agent: bool) -> list[str]:
    """The document kinds an application of this type needs, in the order the checklist shows them.

    `has_agent` only matters for individuals: an institution always has its authorised agent.
    Raises ValueError for an unknown client kind or channel.
    """
    if client_kind not in _BY_CLIENT_KIND:
        raise ValueError(f"unknown client kind: {client_kind}")
    if channel not in _BY_CHANNEL:
        raise ValueError(f"unknown channel: {channel}")
    kinds: list[str] = list(_BY_CLIENT_KIND[client_kind])
    if client_kind == INDIVIDUAL and has_agent:
        kinds += _INDIVIDUAL_AGENT
    kinds += _BY_CHANNEL[channel]
    seen: set[str] = set()
    return [str(k) for k in kinds if not (k in seen or seen.add(k))]
