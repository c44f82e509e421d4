"""The staff pages' shared fixture: a browser signed in to the dashboard."""
import pytest

from chalicelib.staff import sessions


@pytest.fixture
def signed_in(client, staff_headers, store, fake_clock):
    """Headers of a browser that signed in just now (sessions last 8 hours; tests move the clock)."""
    def headers():
        session_id, _ = sessions.sign_in(store, staff_headers["Authorization"].split()[1], fake_clock())
        return {"Cookie": f"{sessions.COOKIE}={session_id}"}
    return headers
