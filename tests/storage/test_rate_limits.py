"""The storage contract, rate-limit counters. Run on moto and on DynamoDB Local (``backend``,
tests/storage/conftest.py)."""
from datetime import timedelta

from tests.conftest import START


def test_rate_window_counts_below_the_limit_and_expires(backend, campaign):
    window = START.replace(second=0)
    expires = window + timedelta(minutes=2)
    admitted = [backend.count_report_in_window("ua-47-22", "client", window, below=2, expires_at=expires)
                for _ in range(3)]
    assert admitted == [True, True, False]
    assert backend.reports_in_window("ua-47-22", "client", window, now=window) == 2
    assert backend.reports_in_window("ua-47-22", "client", window, now=expires) == 0      # expired
    assert backend.reports_in_window("ua-47-22", "other", window, now=window) == 0
