"""A Hypothesis state machine: reports, replays, scheduled runs, the close and
crashes in random orders, checked against a plain model of what was accepted.

Published totals (provisional after every scheduled run, final once closed)
must always equal the model's, and the final totals never change.

To add a rule (voiding, say): drive the system in a new ``@rule`` and record
the effect in ``self.model`` (``Model.exclude`` takes a report out of the
count); every check below compares against ``Model.tally`` and so applies to
it unchanged.
"""
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import boto3
import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, precondition, rule, \
    run_state_machine_as_test
from moto import mock_aws

from chalicelib import clock, tallying
from chalicelib.campaign_admin import save_campaign
from chalicelib.config import load_settings
from chalicelib.errors import CampaignClosed
from chalicelib.intake import submit_report
from chalicelib.schema import create_table
from chalicelib.storage import TallyStore
from chalicelib.totals import Tally
from tests.conftest import START, FakeClock, campaign_body

CAMPAIGN = "ua-47-22"
CLOSING_STEPS = ("latest_final", "all_reports", "publish_final", "mark_closed")
FOLDING_STEPS = ("get_provisional", "reports_received_between", "save_provisional")


class Crash(Exception):
    """The scheduled function died mid-run (a timeout, an out-of-memory kill)."""


@dataclass
class Model:
    """What was accepted, in the simplest terms: one entry per submission id."""
    accepted: dict = field(default_factory=dict)   # submission id -> (report_id, body, day)
    excluded: set = field(default_factory=set)     # submission ids no longer counted
    final: Tally | None = None

    def accept(self, submission_id, report_id, body, day):
        assert submission_id not in self.accepted
        self.accepted[submission_id] = (report_id, body, day)

    def exclude(self, submission_id):
        self.excluded.add(submission_id)

    def tally(self) -> Tally:
        tally = Tally()
        for submission_id, (_, body, day) in self.accepted.items():
            if submission_id in self.excluded:
                continue
            tally.reports += 1
            tally.actions.update({action: n for action, n in body["actions"].items() if n})
            tally.by_target.update(set(body["targets"]))
            tally.by_country[(body.get("country") or "ZZ").upper()] += 1
            tally.by_day[day] += 1
        return tally


reports = st.fixed_dictionaries({
    "actions": st.fixed_dictionaries({"letter": st.integers(0, 3), "email": st.integers(1, 3)},
                                     optional={"tweet": st.integers(0, 50)}),
    "targets": st.lists(st.sampled_from(["governor", "ambassador"]), min_size=1, max_size=2),
    "country": st.sampled_from(["MX", "VE", "es", ""]),
})


class TallyMachine(RuleBasedStateMachine):
    submitted = Bundle("submitted")

    def __init__(self):
        super().__init__()
        name = f"tally-{uuid.uuid4().hex[:8]}"
        create_table(boto3.client("dynamodb", region_name="us-east-1"), name)
        self.store = TallyStore(boto3.resource("dynamodb", region_name="us-east-1").Table(name))
        self.settings = replace(load_settings({"TABLE_NAME": name}), rate_limit_per_minute=0)
        self.clock = FakeClock(START)
        self._real_now, clock.now = clock.now, self.clock
        self.campaign, _ = save_campaign(self.store, CAMPAIGN, campaign_body(), self.clock(), 2)
        self.settle = timedelta(seconds=self.settings.settle_seconds)
        self.model = Model()

    def teardown(self):
        clock.now = self._real_now

    # -- supporters ---------------------------------------------------------------

    @rule(target=submitted, body=reports)
    def submit(self, body):
        body = {**body, "submission_id": str(uuid.uuid4())}
        try:
            receipt = submit_report(self.store, self.settings, CAMPAIGN, body)
        except CampaignClosed:
            assert not self.campaign.accepts_reports_at(self.clock())
            return multiple()
        assert receipt.created and self.campaign.accepts_reports_at(self.clock())
        self.model.accept(body["submission_id"], receipt.report.report_id, body,
                          self.clock().date().isoformat())
        return body

    @rule(body=submitted)
    def replay(self, body):
        receipt = submit_report(self.store, self.settings, CAMPAIGN, body)
        assert not receipt.created
        assert receipt.report.report_id == self.model.accepted[body["submission_id"]][0]

    # -- time and the scheduled job ---------------------------------------------------

    # Half the ticks stay within the settle time, where new reports are still
    # in the unsettled tail; half move them into the settled count.
    @rule(seconds=st.one_of(st.integers(1, 40), st.integers(41, 900)))
    def tick(self, seconds):
        self.clock.advance(seconds=seconds)
        self._run_and_check()

    @rule(offset_ms=st.integers(-2000, 1500))
    def near_the_deadline(self, offset_ms):
        moment = self.campaign.deadline + timedelta(milliseconds=offset_ms)
        if moment > self.clock():
            self.clock.set(moment)

    @rule(extra=st.integers(0, 120))
    def close(self, extra):
        self._move_to(self.campaign.closes_at + self.settle + timedelta(seconds=extra))
        self._run_and_check()
        assert self.store.get_campaign(CAMPAIGN).state == "closed"

    @precondition(lambda self: self.model.final is None)
    @rule(step=st.sampled_from(CLOSING_STEPS + FOLDING_STEPS), after=st.booleans())
    def crash_and_rerun(self, step, after):
        """A run dies before or after one storage step; the next run finishes the job."""
        if step in CLOSING_STEPS:
            self._move_to(self.campaign.closes_at + self.settle)
        else:
            self.clock.advance(seconds=5)
        real = getattr(self.store, step)

        def crashing(*args, **kwargs):
            if not after:
                raise Crash(step)
            result = real(*args, **kwargs)
            if step in ("all_reports", "reports_received_between"):
                list(result)
            raise Crash(step)

        setattr(self.store, step, crashing)
        try:
            tallying.run_tally(self.store, self.settings, self.clock())
        except Crash:
            pass
        finally:
            delattr(self.store, step)
        self.clock.advance(seconds=60)
        self._run_and_check()

    # -- checks -------------------------------------------------------------------------

    def _move_to(self, moment: datetime):
        if moment > self.clock():
            self.clock.set(moment)

    def _run_and_check(self):
        tallying.run_tally(self.store, self.settings, self.clock())
        campaign = self.store.get_campaign(CAMPAIGN)
        published = tallying.current_totals(self.store, campaign)
        assert published.tally == self.model.tally(), (published.tally, self.model.tally())
        if published.final:
            self.model.final = self.model.final or published.tally

    @invariant()
    def the_table_holds_each_accepted_report_once(self):
        stored = Counter(report.submission_id for report in self.store.all_reports(self.campaign))
        assert set(stored) == set(self.model.accepted) and set(stored.values()) <= {1}

    @invariant()
    def final_totals_never_change(self):
        if self.model.final is not None:
            assert self.store.latest_final(CAMPAIGN).tally == self.model.final
            assert self.store.latest_final(CAMPAIGN).version == 1


def test_published_totals_always_equal_the_model(aws_environment):
    with mock_aws():
        run_state_machine_as_test(TallyMachine, settings=settings(
            max_examples=20, stateful_step_count=20, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
