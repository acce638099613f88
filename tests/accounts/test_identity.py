"""ID numbers: genuine ones are never refused, impossible ones always are."""

import datetime

import pytest
from stdnum.cn import ric

from accounts.errors import ApplicationError
from accounts.identity import IdType, credit_code_check, id_number_check, resident_id_check

TODAY = datetime.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        ("11010519491231002X", datetime.date(1949, 12, 31), "F"),  # the GB 11643 example, X check digit
        ("360426199101010071", datetime.date(1991, 1, 1), "M"),
        # Shenzhen Longgang (440307) exists since 1993: IDs issued there to people born earlier are genuine,
        # though stdnum's own place look-up refuses them.
        ("440307197505010015", datetime.date(1975, 5, 1), "M"),
        ("33011019800101123X", datetime.date(1980, 1, 1), "M"),  # Hangzhou Yuhang district (2001)
    ],
)
def test_genuine_resident_ids_are_accepted(number, birth, gender):
    facts = resident_id_check(number, today=TODAY)
    assert facts.birth_date == birth
    assert facts.gender == gender


def test_stdnum_alone_would_refuse_a_genuine_id_issued_after_a_region_change():
    assert not ric.is_valid("440307197505010015")
    assert resident_id_check("440307197505010015", today=TODAY).number == "440307197505010015"


def test_lowercase_x_and_spaces_are_normalised():
    assert id_number_check(IdType.RESIDENT_ID, " 110105 19491231 002x ", today=TODAY) == "11010519491231002X"


def _with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验位错误"),
        ("11010519491231002", "18位"),
        ("1101051949123100AX", "18位"),
        (_with_check_digit("99010519900101001"), "地区码"),
        (_with_check_digit("11010520300101001"), "在未来"),  # born 2030
        (_with_check_digit("11010520261122001"), "在未来"),  # born tomorrow
        (_with_check_digit("11010518800101001"), "不可能"),  # 146 years old
        (_with_check_digit("11010519900230001"), "不存在"),  # 30 February
    ],
)
def test_impossible_resident_ids_are_refused_with_the_reason(number, reason):
    with pytest.raises(ApplicationError) as excinfo:
        resident_id_check(number, today=TODAY)
    assert excinfo.value.code == "id_invalid"
    assert reason in excinfo.value.fields["id_number"][0]
    assert excinfo.value.rule_in("zh") == "证券公司开立客户账户规范 第六条"


# Published codes of well-known companies (Tencent, Huawei, PetroChina, Alibaba).
@pytest.mark.parametrize(
    "code", ["9144030071526726XG", "914403001922038216", "91110000802100433B", "91330100799655058B"]
)
def test_real_credit_codes_are_accepted(code):
    assert credit_code_check(code) == code


def test_credit_code_issued_by_a_letter_authority_is_accepted():
    from stdnum.cn import uscc

    base = "Y1110000MA00000AB"
    code = base + uscc.calc_check_digit(base + "0")
    assert not uscc.is_valid(code)  # stdnum insists on eight leading digits
    assert credit_code_check(code) == code


@pytest.mark.parametrize("code", ["9144030071526726XA", "914403001922038", "9144030O71526726XG"])
def test_bad_credit_codes_are_refused(code):
    with pytest.raises(ApplicationError) as excinfo:
        credit_code_check(code)
    assert excinfo.value.code == "id_invalid"


@pytest.mark.parametrize(
    ("id_type", "number", "ok"),
    [
        (IdType.PASSPORT, "E12345678", True),
        (IdType.PASSPORT, "E1", False),
        (IdType.HK_MACAO_PERMIT, "H12345678", True),
        (IdType.HK_MACAO_PERMIT, "X12345678", False),
        (IdType.TAIWAN_PERMIT, "12345678", True),
        (IdType.FOREIGN_PR, "USA110079123456", True),
        (IdType.FOREIGN_PR, "USA1100", False),
    ],
)
def test_other_documents_get_format_checks(id_type, number, ok):
    if ok:
        assert id_number_check(id_type, number, today=TODAY) == number
    else:
        with pytest.raises(ApplicationError):
            id_number_check(id_type, number, today=TODAY)
