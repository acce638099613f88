"""Ports through which accounts uses the client file (客户档案) without importing archive.

Imports point one way (accounts ← archive ← …): archive fills these in from `ArchiveConfig.ready()`, and the
change-request service calls them. See docs/decisions/0010-change-request-documents.md.
"""

from collections.abc import Callable
from dataclasses import dataclass

# Client-file document kinds the change-request rules speak of. archive.models.DocumentKind holds the same
# values; ArchiveConfig.ready() refuses to start if one is missing there.
ID_FRONT = "id_front"  # 身份证件正面 (name, number; the photo page of a passport)
ID_BACK = "id_back"  # 身份证件反面 (validity, issuing authority)
BUSINESS_LICENCE = "business_licence"  # 营业执照 (institution name, credit code, legal representative)
LEGAL_REP_ID = "legal_rep_id"  # 法定代表人身份证件
AGENT_AUTHORISATION = "agent_authorisation"  # 代理人授权书
AGENT_ID = "agent_id"  # 代理人身份证件
NOTARISED_POA = "notarised_poa"  # 公证委托书
ACCOUNT_APPLICATION_SIGNED = "account_application_signed"  # 已签署证券账户业务申请表
OTHER = "other"

# What a clerk may give as supporting documents of a change (uploaded evidence, never generated papers).
CHANGE_DOCUMENT_KINDS = (
    ID_FRONT,
    ID_BACK,
    BUSINESS_LICENCE,
    LEGAL_REP_ID,
    AGENT_AUTHORISATION,
    AGENT_ID,
    NOTARISED_POA,
    ACCOUNT_APPLICATION_SIGNED,
    OTHER,
)

# How the change pages name them (the client file's own labels live in archive.models.DocumentKind).
CHANGE_DOCUMENT_LABELS = {
    ID_FRONT: "证件正面",
    ID_BACK: "证件反面",
    BUSINESS_LICENCE: "营业执照",
    LEGAL_REP_ID: "法定代表人身份证件",
    AGENT_AUTHORISATION: "代理人授权书",
    AGENT_ID: "代理人身份证件",
    NOTARISED_POA: "公证委托书",
    ACCOUNT_APPLICATION_SIGNED: "证券账户业务申请表",
    OTHER: "其他",
}


@dataclass(frozen=True)
class DocumentUpload:
    """One file the clerk hands in with a change request, stored in the client file with the request."""

    kind: str
    filename: str
    content: bytes


# document_kinds_for(client_id, ids) -> {id: kind} for the ids that exist AND belong to that client.
DocumentKindsFor = Callable[[int, list[int]], dict[int, str]]
# document_ingest(actor=, client=, upload=) -> document id; raises ApplicationError for a refused file.
DocumentIngest = Callable[..., int]

_ports: dict[str, Callable] = {}


def client_file_register(*, kinds_for: DocumentKindsFor, ingest: DocumentIngest) -> None:
    _ports["kinds_for"] = kinds_for
    _ports["ingest"] = ingest


def _port(name: str) -> Callable:
    try:
        return _ports[name]
    except KeyError:  # archive is an installed app in every configuration; this is a wiring bug
        raise RuntimeError("the client file port is not registered (is the archive app installed?)") from None


def document_kinds_for(client_id: int, ids: list[int]) -> dict[int, str]:
    return _port("kinds_for")(client_id, ids)


def document_ingest(*, actor, client, upload: DocumentUpload) -> int:
    return _port("ingest")(actor=actor, client=client, upload=upload)
