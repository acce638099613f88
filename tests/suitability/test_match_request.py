"""The match API's fast request check agrees with MatchRequestSerializer on everything it accepts."""

from hypothesis import given, settings
from hypothesis import strategies as st

from suitability.serializers import MatchRequestSerializer, match_request_fast

KEYS = ["client_id", "product_code", "risk", "horizon", "variety", "record", "other"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.sampled_from(["R1", "R3", "R5", "R6", "short", "medium", "long", "fund", "stock", "r3", " R3", ""]),
    st.sampled_from(["BENCH-FUND", " F1", "F1 ", "F\x001", "\ud800", "基金A", "\t", "1", "true", "false"]),
    st.text(max_size=6),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=7),
    st.lists(st.integers(), max_size=2),
    st.text(max_size=3),
)


@settings(max_examples=1500, deadline=None)
@given(BODIES)
def test_fast_check_accepts_only_what_the_serializer_accepts_with_the_same_result(body):
    fast = match_request_fast(body)
    if fast is None:
        return
    serializer = MatchRequestSerializer(data=body)
    assert serializer.is_valid(), (body, serializer.errors)
    assert fast == dict(serializer.validated_data)


def test_plain_requests_take_the_fast_path():
    assert match_request_fast({"client_id": 7, "product_code": "BENCH-FUND"}) == {
        "client_id": 7,
        "product_code": "BENCH-FUND",
        "record": True,
    }
    assert match_request_fast(
        {"client_id": 7, "risk": "R3", "horizon": "long", "variety": "fund", "record": False}
    ) == {
        "client_id": 7,
        "risk": "R3",
        "horizon": "long",
        "variety": "fund",
        "record": False,
    }
    # anything unusual goes to the serializer
    for body in ({"client_id": "7"}, {"client_id": 7, "product_code": " F"}, {"client_id": 7, "risk": "R9"}, [1]):
        assert match_request_fast(body) is None
