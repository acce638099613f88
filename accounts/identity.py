"""Identity documents: which numbers are possible for a client, checked with python-stdnum.

stdnum's `cn.ric.validate` also looks the region code up in its own table with validity years; a
genuine ID carries the code of the place and year it was *issued*, and codes are created, merged and
renamed, so that look-up would refuse real people. We use stdnum for the check digit and the birth
date, and check only the province part of the region code (stable since 1988).
"""

import datetime
import re
from dataclasses import dataclass

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .errors import AccountsError, ApplicationError

# GB/T 2260 provinces, plus 71 Taiwan, 81 Hong Kong, 82 Macau (also used by residence permits), 83 Taiwan
# residence permits.
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
}  # fmt: skip
MAX_AGE_YEARS = 130  # no living person is older


class IdType:
    RESIDENT_ID = "resident_id"
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    HMT_RESIDENCE = "hmt_residence"
    FOREIGN_PR = "foreign_pr"
    USCC = "uscc"


@dataclass(frozen=True)
class ResidentIdFacts:
    number: str
    birth_date: datetime.date
    gender: str  # "M" / "F"


def _refuse(field: str, zh: str, en: str) -> ApplicationError:
    return ApplicationError(AccountsError.ID_INVALID, fields={field: [zh]}, reason_zh=zh, reason_en=en)


def resident_id_check(number: str, *, today: datetime.date, field: str = "id_number") -> ResidentIdFacts:
    """An 18-digit resident ID (GB 11643): format, check digit, a real past birth date, a possible age."""
    compact = ric.compact(number or "")
    if len(compact) != 18 or not compact[:17].isdigit() or not (compact[17].isdigit() or compact[17] == "X"):
        raise _refuse(
            field,
            "居民身份证号码应为18位（最后一位可为X）。",
            "A resident ID number has 18 characters (the last may be X).",
        )
    if compact[:2] not in PROVINCE_CODES:
        raise _refuse(field, "身份证号码的地区码无效。", "The region code of the ID number is not valid.")
    if compact[17] != ric.calc_check_digit(compact):
        raise _refuse(
            field, "身份证号码校验位错误，请核对。", "The check digit of the ID number is wrong; please check it."
        )
    try:
        birth = ric.get_birth_date(compact)
    except StdnumError:
        raise _refuse(
            field, "身份证号码中的出生日期不存在。", "The birth date in the ID number does not exist."
        ) from None
    if birth > today:
        raise _refuse(field, "身份证号码中的出生日期在未来。", "The birth date in the ID number is in the future.")
    if age_on(birth, today) > MAX_AGE_YEARS:
        raise _refuse(
            field,
            "身份证号码中的出生日期不可能（年龄超过130岁）。",
            "The birth date in the ID number gives an impossible age (over 130).",
        )
    gender = "M" if int(compact[16]) % 2 == 1 else "F"
    return ResidentIdFacts(number=compact, birth_date=birth, gender=gender)


def credit_code_check(number: str, *, field: str = "id_number") -> str:
    """An 18-character unified social credit code (GB 32100): alphabet and mod-31 check digit.

    stdnum's `validate` also demands eight leading digits, which refuses genuine codes issued by
    authorities whose code is a letter (e.g. `Y`), so only its check digit is used.
    """
    compact = uscc.compact(number or "")
    if not re.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}", compact):
        raise _refuse(
            field,
            "统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。",
            "A unified social credit code has 18 digits or capital letters (no I, O, Z, S, V).",
        )
    if compact[-1] != uscc.calc_check_digit(compact):
        raise _refuse(
            field,
            "统一社会信用代码校验位错误，请核对。",
            "The check digit of the credit code is wrong; please check it.",
        )
    return compact


_FORMATS = {
    IdType.PASSPORT: (
        r"[A-Z0-9]{5,17}",
        "护照号码应为5至17位字母或数字。",
        "A passport number has 5 to 17 letters or digits.",
    ),
    IdType.HK_MACAO_PERMIT: (
        r"[HM][0-9]{8,10}",
        "港澳居民来往内地通行证号码应为H或M开头加8至10位数字。",
        "An HK/Macau permit number is H or M followed by 8 to 10 digits.",
    ),
    IdType.TAIWAN_PERMIT: (
        r"[0-9]{8}([0-9]{2})?",
        "台湾居民来往大陆通行证号码应为8或10位数字。",
        "A Taiwan permit number has 8 or 10 digits.",
    ),
    IdType.FOREIGN_PR: (
        r"([A-Z]{3}[0-9]{12}|9[0-9]{17})",
        "外国人永久居留身份证号码格式不正确。",
        "The foreigner permanent residence card number is not in a valid format.",
    ),
}


def id_number_check(id_type: str, number: str, *, today: datetime.date, field: str = "id_number") -> str:
    """Normalise and check any accepted identity document number; returns the normalised number."""
    number = "".join((number or "").split()).upper()
    if not number:
        raise _refuse(field, "请填写证件号码。", "Enter the ID number.")
    if id_type in (IdType.RESIDENT_ID, IdType.HMT_RESIDENCE):
        return resident_id_check(number, today=today, field=field).number
    if id_type == IdType.USCC:
        return credit_code_check(number, field=field)
    if id_type in _FORMATS:
        pattern, zh, en = _FORMATS[id_type]
        if not re.fullmatch(pattern, number):
            raise _refuse(field, zh, en)
        return number
    raise _refuse("id_type", "不支持的证件类型。", "Unsupported ID type.")


def age_on(birth: datetime.date, day: datetime.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
