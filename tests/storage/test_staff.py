"""The storage contract, staff credentials: tokens and dashboard sessions. Run on moto and on DynamoDB
Local (``backend``, tests/storage/conftest.py)."""
from datetime import timedelta

from chalicelib.storage import StaffToken
from tests.conftest import START


def test_staff_token_round_trip(backend):
    token = StaffToken("ab" * 32, "ops", START, START + timedelta(days=1))
    backend.put_staff_token(token)
    assert backend.get_staff_token("ab" * 32) == token
    assert backend.get_staff_token("cd" * 32) is None


def test_staff_sessions_and_token_listing(backend):
    from chalicelib.storage import StaffSession
    token = StaffToken("ab" * 32, "ops", START)
    backend.put_staff_token(token)
    assert backend.staff_tokens() == [token]
    session = StaffSession("cd" * 32, token.token_hash, START, START + timedelta(hours=8))
    backend.put_staff_session(session)
    assert backend.get_staff_session("cd" * 32) == session
    backend.end_staff_session("cd" * 32, START + timedelta(hours=1))
    assert backend.get_staff_session("cd" * 32).expires_at == START + timedelta(hours=1)
    assert backend.get_staff_session("ef" * 32) is None
