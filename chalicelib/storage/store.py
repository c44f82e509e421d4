"""The storage layer's one entry point: everything Action Tally keeps, behind
methods named in the campaign's own words, one concept per module."""
from chalicelib.storage.audit import AuditStorage
from chalicelib.storage.campaigns import CampaignStorage
from chalicelib.storage.cases import CaseStorage
from chalicelib.storage.erasures import ErasureStorage
from chalicelib.storage.outcomes import OutcomeStorage
from chalicelib.storage.recent import Recent
from chalicelib.storage.reports import ReportStorage
from chalicelib.storage.staff import StaffStorage
from chalicelib.storage.table import Table
from chalicelib.storage.tallies import TallyStorage
from chalicelib.storage.totals import TotalsStorage


class TallyStore(CampaignStorage, CaseStorage, OutcomeStorage, ReportStorage, AuditStorage, TotalsStorage,
                 StaffStorage, ErasureStorage, TallyStorage):
    """DynamoDB-backed storage. ``table`` is a boto3 ``Table`` resource.

    A store also remembers what it read a moment ago (campaigns, provisional totals, the
    receipts of reports it recorded): one store per process, so per Lambda container.
    """

    def __init__(self, table):
        self._table = Table(table)
        self._recent = {"campaigns": Recent(256), "whole_campaigns": Recent(64), "provisional": Recent(256),
                        "receipts": Recent(10_000)}

    @property
    def client(self):
        """The low-level DynamoDB client (for tools that create the table, and fault-injecting tests)."""
        return self._table.client
