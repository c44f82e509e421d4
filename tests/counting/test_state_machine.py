"""A Hypothesis state machine: reports of both shapes (v1's actions and targets, v2's
per-target counts), for one person or a group (some flagged by the abuse checks or for
staff review of a large group), replays, scheduled runs, the close, voids,
reinstatements, deadlines moved (later, earlier, refused), outcomes recorded, offline
tallies staff enter (open or closed, again, voided, their re-publication crashing) and
crashes in random orders, and the table's stream delivered to the
fold as Lambda may deliver it (over three shards, in batches, again, split, a handler
dying before or after its write, a batch lost for good and the rebuild that repairs
it), checked against a plain model of what was accepted: reports, people, actions, and
what reached each official.

Final totals must always equal the model's; provisional totals too, whenever every
stream record so far has been folded and no batch was lost since the last rebuild's
cut. A published final version never changes: a void or a reinstatement after the
close publishes the next version, as late reports and offline tallies do (version 1 counts
no late report; each later one those that came by its recount; once their window has
settled, all).

To add a rule: drive the system in a new ``@rule`` and record the effect in
``self.model``; every check below compares against ``Model.tally`` and so
applies to it unchanged.
"""
import hashlib
import json
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import boto3
import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from moto import mock_aws

from chalicelib.counting import folding, offline, reinstating, tallying, voiding
from chalicelib.counting.intake import submit_report
from chalicelib.domain import clock
from chalicelib.domain.errors import (
    CampaignClosed,
    Conflict,
    ReportAlreadyReinstated,
    ReportNotFlagged,
    ValidationFailed,
)
from chalicelib.domain.outcome import OUTCOME_STATUSES, Outcome
from chalicelib.domain.tallies import parse_tally
from chalicelib.domain.totals import Tally
from chalicelib.runtime.config import load_settings
from chalicelib.staff.campaign_admin import save_campaign
from chalicelib.domain.campaign import CLOSED
from chalicelib.storage import AlreadyExcluded, TallyStore, count_change
from chalicelib.storage.schema import create_table
from tests.conftest import FORM_TOKEN_SECRET, START, FakeClock, campaign_body, form_token
from tools.stream_poller import StreamPoller

CAMPAIGN = "ua-47-22"
CLOSING_STEPS = ("latest_final", "all_reports", "publish_final", "mark_closed")
REBUILDING_STEPS = ("get_provisional", "stored_reports", "complete_rebuild")
FOLD_STEPS = ("fold_unread", "fold_read")
AMENDING_STEPS = ("latest_final", "get_provisional", "all_reports", "publish_final", "mark_publication_due",
                  "mark_late_settled")
LATE_DAYS = 14   # the LATE_REPORT_DAYS default: the campaign sets none
SHARDS = 3


class Crash(Exception):
    """The scheduled function died mid-run (a timeout, an out-of-memory kill)."""


@dataclass
class Model:
    """What was accepted, in the simplest terms: one entry per submission id."""
    accepted: dict = field(default_factory=dict)   # submission id -> (report_id, body, day)
    excluded: set = field(default_factory=set)     # submission ids voided: no longer counted
    flagged: set = field(default_factory=set)      # accepted, failed an abuse check: not counted (yet)
    reinstated: set = field(default_factory=set)   # once flagged, counted since staff reinstated them
    late: dict = field(default_factory=dict)       # late submission id -> final versions published before it
    finals: list = field(default_factory=list)     # each published final version's tally, in order

    def accept(self, submission_id, report_id, body, day, flagged=False, late_at=None):
        assert submission_id not in self.accepted
        self.accepted[submission_id] = (report_id, body, day)
        if flagged:
            self.flagged.add(submission_id)
        if late_at is not None:
            self.late[submission_id] = late_at

    def exclude(self, submission_id):
        assert submission_id in self.accepted and submission_id not in self.excluded | self.flagged
        self.excluded.add(submission_id)

    def reinstate(self, submission_id):
        assert submission_id in self.flagged
        self.flagged.remove(submission_id)
        self.reinstated.add(submission_id)

    def tally(self, late_until=None, late=True) -> Tally:
        """What is counted; ``late`` False: no late report (version 1), ``late_until``: only
        the late reports that came before that final version was published."""
        tally = Tally()
        for submission_id, (_, body, day) in self.accepted.items():
            if submission_id in self.excluded | self.flagged:
                continue
            came = self.late.get(submission_id)
            if came is not None and (not late or (late_until is not None and came >= late_until)):
                continue
            if "per_target" in body:
                reached = {target: {action: n for action, n in counts.items() if n}
                           for target, counts in body["per_target"].items()}
                reached = {target: counts for target, counts in reached.items() if counts}
            else:
                targets = set(body["targets"])
                # A v1 report naming several officials cannot be split among them.
                reached = {targets.pop() if len(targets) == 1 else "unattributed":
                           {action: n for action, n in body["actions"].items() if n}}
            tally.reports += 1
            tally.people += body.get("participants", 1)
            for target, counts in reached.items():
                tally.actions.update(counts)
                tally.by_target_action.update({f"{target}.{action}": n for action, n in counts.items()})
            tally.by_target.update(set(reached) if "per_target" in body else set(body["targets"]))
            tally.by_country[(body.get("country") or "ZZ").upper()] += 1
            tally.by_day[day] += 1
            if came is not None:
                tally.late_reports += 1
                tally.late_actions += sum(sum(counts.values()) for counts in reached.values())
                tally.late_people += body.get("participants", 1)
        return tally


GROUP_REVIEW_THRESHOLD = 50   # the default: above it, a group's report without a contact is flagged
counts = st.fixed_dictionaries({"letter": st.integers(0, 3), "email": st.integers(1, 3)},
                               optional={"tweet": st.integers(0, 50), "call": st.just(0)})
countries = st.sampled_from(["MX", "VE", "es", ""])
# People a report speaks for: mostly one (left out), sometimes a group, now and then one large
# enough for staff review, with or without a contact kept with consent.
contacts = st.sampled_from([{}, {"contact_email": "group@example.org", "consent": True}, {"consent": True}])
groups = st.one_of(st.just({}), st.fixed_dictionaries({"participants": st.integers(1, 12)}),
                   st.builds(lambda n, contact: {"participants": n, **contact}, st.integers(40, 120), contacts))
v1_reports = st.fixed_dictionaries({
    "actions": counts,
    "targets": st.lists(st.sampled_from(["governor", "ambassador"]), min_size=1, max_size=2),
    "country": countries,
})
v2_reports = st.fixed_dictionaries({
    # a target with only zero counts is left out of the totals, as if not named
    "per_target": st.dictionaries(st.sampled_from(["governor", "ambassador"]),
                                  st.one_of(counts, st.just({"letter": 0})), min_size=1).filter(
        lambda per_target: any(any(counts.values()) for counts in per_target.values())),
    "country": countries,
})
reports = st.builds(lambda body, group: {**body, **group}, st.one_of(v1_reports, v2_reports), groups)
# An offline tally staff enter: a v2 report's counts, for up to a school's worth of people.
tallies = st.builds(lambda body, participants: {**body, "participants": participants,
                                                "source": "Group letter-writing evening"},
                    v2_reports, st.integers(1, 600))


class TallyMachine(RuleBasedStateMachine):
    submitted = Bundle("submitted")
    flagged = Bundle("flagged")   # also in ``submitted``
    entered = Bundle("entered")   # offline tallies staff entered

    def __init__(self):
        super().__init__()
        name = f"tally-{uuid.uuid4().hex[:8]}"
        create_table(boto3.client("dynamodb", region_name="us-east-1"), name)
        self.store = TallyStore(boto3.resource("dynamodb", region_name="us-east-1").Table(name))
        self.settings = replace(load_settings({"TABLE_NAME": name, "FORM_TOKEN_SECRET": FORM_TOKEN_SECRET}),
                                rate_limit_per_minute=0)
        self.clock = FakeClock(START)
        self._real_now, clock.now = clock.now, self.clock
        self.campaign, _ = save_campaign(self.store, CAMPAIGN, campaign_body(), self.clock(), 2)
        self.settle = timedelta(seconds=self.settings.settle_seconds)
        self.model = Model()
        self.poller = StreamPoller(name)
        self.shards = [[] for _ in range(SHARDS)]   # each virtual shard's records, in order
        self.folded_upto = [0] * SHARDS              # how many of them a batch has been handled for
        self.lost_since = None                       # a batch lost for good at this instant (fake clock)

    def teardown(self):
        clock.now = self._real_now

    # -- supporters ---------------------------------------------------------------

    @rule(target=submitted, body=reports)
    def submit(self, body):
        return self._submit({**body, "form_token": form_token()}, genuine=True)

    # A group too large to count unseen, without a contact: stored flagged large_group, in both
    # bundles (staff may reinstate it, and count its people).
    @rule(targets=(submitted, flagged), body=reports, participants=st.integers(51, 500))
    def submit_large_group(self, body, participants):
        body = {key: value for key, value in body.items() if key not in ("contact_email", "consent")}
        return self._submit({**body, "participants": participants, "form_token": form_token()}, genuine=True)

    # Without the form's token (a bot, or a page kept open across a key change): accepted,
    # stored flagged, not counted unless reinstated.
    @rule(targets=(submitted, flagged), body=reports)
    def submit_flagged(self, body):
        return self._submit(body, genuine=False)

    # After the deadline, for actions before it: taken late within the late days, else refused.
    @rule(target=submitted, body=reports)
    def submit_late(self, body):
        return self._submit({**body, "form_token": form_token(), "acted_before_deadline": True}, genuine=True)

    def _submit(self, body, genuine):
        body = {**body, "submission_id": str(uuid.uuid4())}
        now = self.clock()
        late = not self.campaign.accepts_reports_at(now)
        try:
            receipt = submit_report(self.store, self.settings, CAMPAIGN, body)
        except CampaignClosed:
            assert not (self.campaign.accepts_reports_at(now) or (
                body.get("acted_before_deadline") and self.campaign.takes_late_reports_at(now, LATE_DAYS)))
            return multiple()
        assert receipt.created and receipt.report.late is late
        assert self.campaign.accepts_reports_at(now) or self.campaign.takes_late_reports_at(now, LATE_DAYS)
        contact = body.get("consent") and body.get("contact_email")
        large = body.get("participants", 1) > GROUP_REVIEW_THRESHOLD and not contact
        flagged = not genuine or large
        assert (receipt.report.excluded == "flagged") is flagged
        if genuine and large:
            assert receipt.report.flag_reason == "large_group"
        self.model.accept(body["submission_id"], receipt.report.report_id, body,
                          self.clock().date().isoformat(), flagged=flagged,
                          late_at=len(self.store.final_versions(CAMPAIGN)) if late else None)
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

    @rule(fraction=st.floats(0, 1.1))
    def into_the_late_days(self, fraction):
        """Somewhere in the days late reports are taken (or just past them), the job runs."""
        self._move_to(self.campaign.closes_at + timedelta(days=LATE_DAYS * fraction))
        self._run_and_check()

    @precondition(lambda self: self.model.finals)
    @rule(step=st.sampled_from(AMENDING_STEPS), after=st.booleans(), settled=st.booleans())
    def crash_amending_and_rerun(self, step, after, settled):
        """A run dies before or after a step of publishing late reports (in the window, or at its
        end); the next run finishes the job."""
        if settled:
            self._move_to(self.campaign.late_reports_end(LATE_DAYS) + self.settle)
        else:
            self.clock.advance(seconds=self.settings.late_publication_seconds)
        self._deliver_everything()
        with self._crashing(step, after):
            tallying.run_tally(self.store, self.settings, self.clock())
        self.clock.advance(seconds=60)
        self._run_and_check()

    @precondition(lambda self: not self.model.finals)
    @rule(step=st.sampled_from(CLOSING_STEPS + REBUILDING_STEPS), after=st.booleans())
    def crash_and_rerun(self, step, after):
        """A run dies before or after one storage step; the next run finishes the job."""
        if step in CLOSING_STEPS:
            self._move_to(self.campaign.closes_at + self.settle)
        else:
            self.clock.advance(seconds=5)
        with self._crashing(step, after):
            tallying.run_tally(self.store, self.settings, self.clock())
        self.clock.advance(seconds=60)
        self._run_and_check()

    # -- the stream ----------------------------------------------------------------------

    @rule(shard=st.integers(0, SHARDS - 1), size=st.integers(1, 4))
    def deliver(self, shard, size):
        """The next batch of one shard, as Lambda sends it the first time."""
        self._read_stream()
        records = self.shards[shard][self.folded_upto[shard]:self.folded_upto[shard] + size]
        if records:
            self._fold(shard, records)
            self.folded_upto[shard] += len(records)
        self._check_provisional()

    @rule(shard=st.integers(0, SHARDS - 1), back=st.integers(1, 4), size=st.integers(1, 6))
    def redeliver(self, shard, back, size):
        """A batch delivered again, from before what was handled (a retry, or its bisected half)."""
        self._read_stream()
        start = max(0, self.folded_upto[shard] - back)
        records = self.shards[shard][start:start + size]
        if records:
            self._fold(shard, records)
            self.folded_upto[shard] = max(self.folded_upto[shard], start + len(records))
        self._check_provisional()

    @rule(shard=st.integers(0, SHARDS - 1), size=st.integers(1, 4), step=st.sampled_from(FOLD_STEPS),
          after=st.booleans())
    def die_mid_batch(self, shard, size, step, after):
        """The fold dies before or after its write; the batch is not handled, so it comes again."""
        self._read_stream()
        records = self.shards[shard][self.folded_upto[shard]:self.folded_upto[shard] + size]
        if records:
            with self._crashing(step, after):
                self._fold(shard, records)
        self._check_provisional()

    @rule()
    def deliver_everything(self):
        """Every shard's pending batches, shards interleaved."""
        self._deliver_everything()
        self._check_provisional()

    @precondition(lambda self: not self.model.finals)
    @rule(shard=st.integers(0, SHARDS - 1), size=st.integers(1, 3))
    def lose_a_batch(self, shard, size):
        """Lambda gives up on a batch (its retries spent): its records are never folded."""
        self._read_stream()
        records = self.shards[shard][self.folded_upto[shard]:self.folded_upto[shard] + size]
        if any(count_change(record) for record in records):
            self.lost_since = self.clock()
        self.folded_upto[shard] += len(records)

    @precondition(lambda self: not self.model.finals)
    @rule()
    def rebuild(self):
        """Staff ask for the provisional totals to be counted again (the scheduled job completes it)."""
        folding.request_rebuild(self.store, CAMPAIGN, self.clock(), self.settle)
        self.clock.advance(seconds=1)

    # -- staff ---------------------------------------------------------------------------

    @rule(body=submitted, by_report_id=st.booleans())
    def void(self, body, by_report_id):
        """Staff void a report, open or closed; voiding it twice is refused and changes nothing."""
        self._void(body, by_report_id)
        self._run_and_check()

    @rule(body=st.one_of(flagged, flagged, submitted), by_report_id=st.booleans(), republish=st.booleans())
    def reinstate(self, body, by_report_id, republish):
        """Staff count a flagged report, open or closed (from the API, ``republish`` False, the
        scheduled job re-publishes); only a flagged report, and only once."""
        self._reinstate(body, by_report_id, republish)
        self._run_and_check()

    @precondition(lambda self: self.model.finals)
    @rule(body=st.one_of(flagged, submitted),
          step=st.sampled_from(("publish_final", "record_published", "mark_published")),
          after=st.booleans(), decision=st.sampled_from(("void", "reinstate")))
    def decide_after_close_and_crash(self, body, step, after, decision):
        """A void or a reinstatement after the close whose re-publication dies half-way;
        the next scheduled run publishes."""
        with self._crashing(step, after):
            if decision == "void":
                self._void(body, by_report_id=False)
            else:
                self._reinstate(body, by_report_id=False, republish=True)
        self.clock.advance(seconds=60)
        self._run_and_check()

    @rule(hours=st.integers(-72, 120), seconds=st.integers(0, 59))
    def move_the_deadline(self, hours, seconds):
        """Staff move the deadline, later or earlier, as PUT does: refused in the past or too soon
        (nothing changes), and once the campaign has closed (never reopened); otherwise the intake
        and the close follow the new one (``self.campaign``, which every check reads)."""
        now = self.clock()
        moves = self._deadline_moves()
        deadline = self.campaign.deadline + timedelta(hours=hours, seconds=seconds)
        body = campaign_body(deadline=clock.format_public(deadline))
        try:
            moved, _ = save_campaign(self.store, CAMPAIGN, body, now, 2, by="staff")
        except Conflict:
            assert not self.campaign.accepts_reports_at(now) and self._deadline_moves() == moves
            return
        except ValidationFailed as error:
            assert set(error.fields) == {"deadline"} and (deadline <= now or deadline < self.campaign.deadline)
            assert self._deadline_moves() == moves
            return
        assert self.campaign.accepts_reports_at(now) and moved.deadline == deadline
        self.campaign = moved
        expected = moves + Counter([clock.format_public(deadline)] if hours or seconds else [])
        assert self._deadline_moves() == expected

    def _deadline_moves(self) -> Counter:
        """The new deadlines the audit trail records (entries of one instant have no order)."""
        return Counter(e.details["new_deadline"] for e in self.store.audit_entries(CAMPAIGN)
                       if e.action == "deadline_moved")

    @rule(status=st.sampled_from(OUTCOME_STATUSES))
    def record_an_outcome(self, status):
        """Staff record how the case ended, open or closed: no count changes (every check below)."""
        previous = self.store.get_outcome(CAMPAIGN)
        outcome = replace(Outcome(status, "", self.clock().date()), recorded_by="staff", recorded_at=self.clock())
        assert self.store.record_outcome(CAMPAIGN, outcome, previous).revision == (previous.revision + 1
                                                                                   if previous else 1)
        self._run_and_check()
        assert self.store.get_outcome(CAMPAIGN).announced   # no topic: the run marks it said

    # -- offline tallies -------------------------------------------------------------

    @rule(target=entered, body=tallies, republish=st.booleans())
    def enter_tally(self, body, republish):
        """Staff enter an offline tally, open or closed (from the API, ``republish`` False: the
        scheduled job re-publishes a closed campaign's totals); it counts like a report."""
        body = {**body, "tally_id": str(uuid.uuid4()), "acted_on": self.clock().date().isoformat()}
        result = self._enter(body, republish)
        ((report, created),) = result.tallies
        assert created and report.excluded is None and report.offline is not None
        self.model.accept(body["tally_id"], report.report_id, body, self.clock().date().isoformat())
        self._run_and_check()
        return body

    @rule(body=entered, republish=st.booleans())
    def enter_tally_again(self, body, republish):
        """The same tally sent again (a retry, a double click): stored and counted once."""
        count = self.store.get_campaign(CAMPAIGN).offline_count
        ((report, created),) = self._enter({**body, "participants": 1}, republish).tallies
        assert not created and report.report_id == self.model.accepted[body["tally_id"]][0]
        assert self.store.get_campaign(CAMPAIGN).offline_count == count
        self._run_and_check()

    @rule(body=entered)
    def void_tally(self, body):
        """Staff void an offline tally through the void flow, open or closed."""
        self._void({"submission_id": body["tally_id"]}, by_report_id=False)
        entry = next(e for e in self.store.tally_entries(CAMPAIGN) if e.tally_id == body["tally_id"])
        assert not entry.counted
        self._run_and_check()

    @precondition(lambda self: self.model.finals)
    @rule(target=entered, body=tallies, step=st.sampled_from(("publish_final", "record_published", "mark_published")),
          after=st.booleans())
    def enter_tally_after_close_and_crash(self, body, step, after):
        """A tally after the close whose re-publication dies half-way; the next run publishes."""
        body = {**body, "tally_id": str(uuid.uuid4()), "acted_on": self.clock().date().isoformat()}
        with self._crashing(step, after):
            try:
                self._enter(body, republish=True)
            finally:   # the crashing steps all come after the tally's own transaction
                stored = self.store.get_report(self.campaign, body["tally_id"])
                self.model.accept(body["tally_id"], stored.report_id, body, self.clock().date().isoformat())
        self.clock.advance(seconds=60)
        self._run_and_check()
        return body

    def _enter(self, body, republish):
        return offline.enter_tallies(self.store, CAMPAIGN, lambda campaign: [parse_tally(
            body, campaign, self.settings.max_count_per_action, self.clock())], entered_by="staff",
            now=self.clock(), republish=republish)

    def _void(self, body, by_report_id):
        submission_id = body["submission_id"]
        reference = self.model.accepted[submission_id][0] if by_report_id else submission_id
        try:
            voiding.void_report(self.store, CAMPAIGN, reference, reason="counted twice", by="staff",
                                now=self.clock())
        except AlreadyExcluded:
            assert submission_id in self.model.excluded | self.model.flagged
            return
        except Crash:   # the crashing steps all come after the void's own transaction
            self.model.exclude(submission_id)
            raise
        self.model.exclude(submission_id)

    def _reinstate(self, body, by_report_id, republish):
        submission_id = body["submission_id"]
        reference = self.model.accepted[submission_id][0] if by_report_id else submission_id
        try:
            reinstating.reinstate_report(self.store, CAMPAIGN, reference, reason="a person after all", by="staff",
                                         now=self.clock(), republish=republish)
        except ReportAlreadyReinstated:
            assert submission_id in self.model.reinstated and submission_id not in self.model.excluded
            return
        except ReportNotFlagged:
            assert submission_id not in self.model.flagged
            assert submission_id in self.model.excluded or submission_id not in self.model.reinstated
            return
        except Crash:   # the crashing steps all come after the reinstatement's own transaction
            self.model.reinstate(submission_id)
            raise
        self.model.reinstate(submission_id)

    # -- checks -------------------------------------------------------------------------

    @contextmanager
    def _crashing(self, step, after):
        """Within the block, the store's ``step`` dies before or after doing its work."""
        real = getattr(self.store, step)

        def crashing(*args, **kwargs):
            if not after:
                raise Crash(step)
            result = real(*args, **kwargs)
            if step in ("all_reports", "stored_reports"):
                list(result)
            raise Crash(step)

        setattr(self.store, step, crashing)
        try:
            yield
        except Crash:
            pass
        finally:
            delattr(self.store, step)

    def _move_to(self, moment: datetime):
        if moment > self.clock():
            self.clock.set(moment)

    def _read_stream(self):
        for shard_id, event in self.poller.batches():
            for record in event["Records"]:
                key = json.dumps(record["dynamodb"]["Keys"], sort_keys=True).encode()
                self.shards[int(hashlib.sha256(key).hexdigest(), 16) % SHARDS].append(record)
            self.poller.handled(shard_id)

    def _fold(self, shard, records):
        event = {"Records": records, "shardId": f"shardId-{shard}", "eventSourceARN": self.poller.arn}
        folding.fold_batch(self.store, event, self.clock())

    def _deliver_everything(self):
        self._read_stream()
        while any(upto < len(records) for upto, records in zip(self.folded_upto, self.shards)):
            for shard in range(SHARDS):
                pending = self.shards[shard][self.folded_upto[shard]:]
                if pending:
                    self._fold(shard, pending)
                    self.folded_upto[shard] += len(pending)
            self._read_stream()

    def _check_provisional(self):
        """With the stream all folded (and nothing lost since a rebuild's cut), provisional = model."""
        campaign = self.store.get_campaign(CAMPAIGN)
        if campaign.state == CLOSED or self.lost_since is not None:
            return
        self._read_stream()
        if all(upto == len(records) for upto, records in zip(self.folded_upto, self.shards)):
            shown = tallying.current_totals(self.store, campaign).tally
            assert shown == self.model.tally(), (shown, self.model.tally())

    def _run_and_check(self):
        self._deliver_everything()
        summary = tallying.run_tally(self.store, self.settings, self.clock())
        state = self.store.get_provisional(CAMPAIGN)
        if summary.rebuilt and self.lost_since is not None and state.since > self.lost_since:
            self.lost_since = None   # rebuilt as of a cut after the loss: exact again
        campaign = self.store.get_campaign(CAMPAIGN)
        published = tallying.current_totals(self.store, campaign)
        if published.final or self.lost_since is None:
            assert published.tally == self._expected(published), (published.tally, self._expected(published))
        if campaign.late_settled:   # its window ended and settled: every late report is in
            assert published.tally == self.model.tally() and self.clock() >= (
                self.campaign.late_reports_end(LATE_DAYS) + self.settle)
        if published.final:
            # A run may publish two versions (late reports, then a void): each is kept as it was.
            versions = self.store.final_versions(CAMPAIGN)
            assert [totals.tally for totals in versions][:len(self.model.finals)] == self.model.finals
            assert [totals.tally for totals in versions[len(self.model.finals):]].count(published.tally) <= 1
            self.model.finals = [totals.tally for totals in versions]
            assert published.version == len(self.model.finals)

    def _expected(self, totals) -> Tally:
        """Provisional totals count every report; version 1 no late one; a later version the
        late reports that came before it was published (by order, not by the clock: a version and
        a report may share a fake instant)."""
        if not totals.final:
            return self.model.tally()
        if totals.version == 1:
            return self.model.tally(late=False)
        return self.model.tally(late_until=totals.version)

    @invariant()
    def the_table_holds_each_accepted_report_once_voided_or_not(self):
        reports = list(self.store.stored_reports(self.campaign))
        stored = Counter(report.submission_id for report in reports)
        assert set(stored) == set(self.model.accepted) and set(stored.values()) <= {1}
        assert {report.submission_id for report in reports if report.excluded == "void"} == self.model.excluded
        assert {report.submission_id for report in reports if report.excluded == "flagged"} == self.model.flagged
        assert {report.submission_id for report in reports if report.reinstatement} == self.model.reinstated

    @invariant()
    def published_final_versions_never_change(self):
        versions = self.store.final_versions(CAMPAIGN)
        assert [totals.version for totals in versions] == list(range(1, len(versions) + 1))
        assert [totals.tally for totals in versions][:len(self.model.finals)] == self.model.finals
        assert len(versions) <= len(self.model.finals) + 1   # one may be out, not yet seen by a run


def test_published_totals_always_equal_the_model(aws_environment):
    with mock_aws():
        run_state_machine_as_test(TallyMachine, settings=settings(
            max_examples=20, stateful_step_count=20, deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
