"""The staff credentials with arbitrary text: ``authenticate`` and ``session_staff`` directly,
and the ``staff_token`` and ``staff_session`` authorizers through Chalice's test client.
Only a valid credential gets in; anything else is Unauthorized (401 in the error shape),
never another exception, never a 5xx, and a malformed one is not looked up."""
import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import Unauthorized
from chalicelib.staff import sessions
from chalicelib.staff.auth import authenticate, issue_token, well_formed
from tests.conftest import START

FIXTURES_REUSED = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Text a header can carry (no line breaks), and any text at all for the functions themselves.
HEADER_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=300)
CREDENTIAL_LIKE = st.one_of(
    st.text(max_size=300),                                              # surrogates, controls, anything
    st.builds(lambda scheme, token: f"{scheme} {token}", st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", ""]),
              st.text(max_size=600)),
    st.builds(lambda token: f"{sessions.COOKIE}={token}", st.text(max_size=600)),
    st.builds(lambda n: f"{sessions.COOKIE}=" + "s" * n, st.integers(0, 8000)),
    st.builds(lambda cookies: "; ".join(cookies), st.lists(st.text(max_size=40), max_size=30)),
)


@pytest.fixture
def lookups(store):
    """The staff-credential lookups the store is asked for from now on."""
    asked = []
    for name in ("get_staff_token", "get_staff_session"):
        original = getattr(store, name)

        def recorded(key, _original=original, _name=name):
            asked.append(_name)
            return _original(key)
        setattr(store, name, recorded)
    return asked


@FIXTURES_REUSED
@given(header=CREDENTIAL_LIKE)
def test_authenticate_refuses_anything_but_a_valid_token(store, lookups, header):
    lookups.clear()
    with pytest.raises(Unauthorized):
        authenticate(store, header, START)
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not well_formed(token.strip()):
        assert lookups == []


@FIXTURES_REUSED
@given(header=CREDENTIAL_LIKE)
def test_session_staff_refuses_anything_but_a_valid_session(store, lookups, header):
    lookups.clear()
    with pytest.raises(Unauthorized):
        sessions.session_staff(store, header, START)
    if not well_formed(sessions._cookie(header, sessions.COOKIE)):
        assert lookups == []


@FIXTURES_REUSED
@given(noise=st.lists(st.text(st.characters(blacklist_characters=";"), max_size=40), max_size=10))
def test_a_valid_session_is_found_among_any_other_cookies(store, noise):
    token = issue_token(store, "tests", START - timedelta(days=1))
    session_id, _ = sessions.sign_in(store, token, START)
    cookies = [*noise[:5], f"{sessions.COOKIE}={session_id}", *noise[5:]]
    cookies = [c for c in cookies if not c.strip().startswith(f"{sessions.COOKIE}=") or session_id in c]
    assert sessions.session_staff(store, "; ".join(cookies), START).label == "tests"


def test_issuing_refuses_a_token_that_could_never_be_presented(store):
    for token in ("short", "t" * 513, "ü" * 30, "tab\tinside-the-token-here", "space inside the token here"):
        with pytest.raises(ValueError):
            issue_token(store, "tests", START, token=token)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HEADER_TEXT, route=st.sampled_from([("/staff/campaigns/ua-47-22/totals", "Authorization"),
                                                 ("/staff/erasures", "Authorization"),
                                                 ("/staff/dashboard", "Cookie"),
                                                 ("/staff/dashboard/ua-47-22", "Cookie"),
                                                 ("/staff/logout", "Cookie")]))
def test_the_authorizers_answer_401_to_any_header_value(client, campaign, value, route):
    path, header = route
    method = "POST" if path in ("/staff/erasures", "/staff/logout") else "GET"
    response = client.http.request(method, path, headers={header: value, "Content-Type": "application/json"},
                                   body=b"{}" if method == "POST" else b"")

    assert response.status_code == 401, (response.status_code, response.body[:300])
    assert json.loads(response.body) == Unauthorized().body()
