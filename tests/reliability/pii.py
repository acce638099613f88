"""PII scanner: no full resident ID number or phone of a test client in a response to a role that may not
see them in clear (accounts.reveal_personal_data)."""

REVEAL_PERM = "accounts.reveal_personal_data"


def secrets_of(clients) -> set[str]:
    found = set()
    for client in clients:
        for value in (client.id_number, getattr(client, "phone", "")):
            if value and len(value) >= 8:
                found.add(str(value))
    return found


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def leaks(body: bytes, secrets: set[str]) -> list[str]:
    text = body.decode("utf-8", "replace")
    return sorted(s for s in secrets if s in text)


def may_reveal(user) -> bool:
    return user is not None and user.has_perm(REVEAL_PERM)
