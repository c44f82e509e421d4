"""Supporters' requests as they arrive: new reports, replays (double clicks, retries),
mistakes and a few bots, as JSON or as the HTML form posts them, each from the
supporter's own address. Seeded, so every run sends the same."""
import json
import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

from chalice.local import LambdaEventConverter

from chalicelib.counting.abuse import HONEYPOT_FIELD
from chalicelib.domain.report import ReportInput

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_ACTIONS = (("letter", 5), ("email", 4), ("tweet", 3), ("call", 1), ("fax", 1))
_COUNTRIES = ("MX", "VE", "ES", "AR", "CO", "US", "GB", "FR", "DE", "CL", "PE", "BR", "CA", "IT",
              "NL", "BE", "CH", "SE", "AU", "JP")
_NAMES = ("Ana", "Luis", "María José", "Kwame", "Siobhán", "Mehmet", "Olga", "Chen Wei")


@dataclass(frozen=True)
class Request:
    kind: str        # "json new", "form replay", "json invalid", "form flagged", ...
    path: str
    headers: dict
    body: str
    source_ip: str


@contextmanager
def from_address(source_ip: str):
    """Send the requests inside from ``source_ip``: the address API Gateway puts in the
    event (``requestContext.identity.sourceIp``), which Chalice's local gateway fixes at
    127.0.0.1 for every request. Per-client limits then see many supporters, not one."""
    fixed = LambdaEventConverter.LOCAL_SOURCE_IP
    LambdaEventConverter.LOCAL_SOURCE_IP = source_ip
    try:
        yield
    finally:
        LambdaEventConverter.LOCAL_SOURCE_IP = fixed


class Supporters:
    """Makes report bodies like real supporters send them, reproducibly."""

    def __init__(self, seed=47):
        self.rng = random.Random(seed)   # noqa: S311 - reproducible test traffic, not a secret

    def submission_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def address(self) -> str:
        """Mostly one address per supporter; one in ten behind a shared office or school address."""
        if self.rng.random() < 0.1:
            return f"192.0.2.{self.rng.randint(1, 20)}"
        return f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"

    def report(self) -> dict:
        rng = self.rng
        kinds = rng.sample([a for a, _ in _ACTIONS], k=rng.choice((1, 1, 2, 2, 3)),
                           counts=[w for _, w in _ACTIONS])
        body = {"submission_id": self.submission_id(),
                "actions": {action: rng.randint(1, 4) for action in kinds},
                "targets": rng.choice((["governor"], ["ambassador"], ["governor", "ambassador"])),
                "country": rng.choice(_COUNTRIES) if rng.random() < 0.9 else ""}
        if rng.random() < 0.15:
            name = rng.choice(_NAMES)
            body.update(name=name, contact_email=f"{name.split()[0].lower()}@example.org", consent=True)
        return body

    def report_input(self) -> ReportInput:
        """A validated report, for seeding the table straight through the storage layer."""
        body = self.report()
        return ReportInput(body["submission_id"], body["actions"], tuple(sorted(set(body["targets"]))),
                           body["country"] or "ZZ", body.get("name"), body.get("contact_email"),
                           body.get("consent", False))


def encode(body: dict, form: bool) -> str:
    """The request body as the JSON API or the HTML form sends it."""
    if not form:
        return json.dumps(body)
    fields = [("submission_id", body["submission_id"]), ("form_token", body.get("form_token", "")),
              (HONEYPOT_FIELD, body.get(HONEYPOT_FIELD, ""))]
    fields += [(f"action_{action}", str(count)) for action, count in body["actions"].items()]
    fields += [("target", target) for target in body["targets"]]
    fields += [("country", body["country"])]
    fields += [(name, body[name]) for name in ("name", "contact_email") if name in body]
    if body.get("consent"):
        fields.append(("consent", "yes"))
    return urlencode(fields)


def stream(campaign_id, accepted, *, token=None, replay_share=0.07, invalid_share=0.02, bot_share=0.01,
           form_share=0.3, seed=47):
    """Requests until ``accepted`` new reports have been sent, with replays, mistakes and bots mixed in.

    ``token()`` gives the form token the supporter's page carried (see
    :mod:`chalicelib.counting.abuse`). A replay resends an earlier report exactly as it
    was first sent (same id, body, channel and address), as a double click or a
    client retry does. A bot fills the honeypot field: stored flagged, not counted.
    """
    supporters = Supporters(seed)
    rng = supporters.rng
    path = f"/campaigns/{campaign_id}/reports"
    sent, new = [], 0
    while new < accepted:
        roll = rng.random()
        form = rng.random() < form_share
        channel, headers = ("form", FORM) if form else ("json", JSON)
        body = supporters.report()
        if token is not None:
            body["form_token"] = token()
        if roll < replay_share and sent:
            first = rng.choice(sent)
            yield Request(first.kind.replace("new", "replay"), path, first.headers, first.body, first.source_ip)
            continue
        if roll < replay_share + invalid_share:
            body["actions"] = {"letter": 99}   # over the cap: 422, nothing stored
            kind = "invalid"
        elif roll < replay_share + invalid_share + bot_share:
            body[HONEYPOT_FIELD] = "https://spam.example"
            kind = "flagged"
        else:
            kind = "new"
            new += 1
        request = Request(f"{channel} {kind}", path, headers, encode(body, form), supporters.address())
        if kind == "new":
            sent.append(request)
        yield request
