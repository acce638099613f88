"""How personal data is shown to roles without the reveal permission."""


def mask_id_number(value: str) -> str:
    """`110101199003070012` → `1101**********0012`: region and check part visible, birth date hidden."""
    if not value:
        return value
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """`+8613812345678` / `13812345678` → `138****5678`."""
    if not value:
        return value
    digits = value[-11:] if value.startswith("+86") else value
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_address(value: str) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    if not value:
        return value
    return value[:6] + "****" if len(value) > 6 else value[:2] + "****"


def mask_name(value: str) -> str:
    """`张三丰` → `张**`."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)
