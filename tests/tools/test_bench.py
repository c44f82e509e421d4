"""The bench's own machinery: the request-unit counter against figures worked out by hand,
and one tiny run of the intake section. No timings are asserted (see docs/benchmarks.md)."""
import math

import boto3
import pytest

from bench import billing, close_growth, cold_start, cost, page_weight, scale_sim, units
from bench.meter import RequestUnitMeter
from chalicelib.storage.schema import TABLE_DEFINITION, with_arrival_index

# A report-like item and its size by hand, per DynamoDB's rules:
#   pk       2 + 18 ("REPORTS#ua-47-22#3")                          = 20
#   sk       2 + 36 (a UUID)                                         = 38
#   actions  7 + 3 + (6 + 2 + 1) + (5 + 2 + 1)   map: 3, per element: name + number + 1 = 27
#   consent  7 + 1                                                   =  8
#   n        1 + 4  ("123.450": 5 significant digits -> 3 bytes + 1) =  5
KNOWN_ITEM = {
    "pk": {"S": "REPORTS#ua-47-22#3"}, "sk": {"S": "0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10"},
    "actions": {"M": {"letter": {"N": "2"}, "email": {"N": "1"}}}, "consent": {"BOOL": False},
    "n": {"N": "123.450"},
}
KNOWN_SIZE = 98


def test_item_size_follows_the_documented_rules():
    assert billing.item_size(KNOWN_ITEM) == KNOWN_SIZE
    assert billing.item_size({"l": {"L": [{"S": "ab"}, {"NULL": True}]}}) == 1 + 3 + (2 + 1) + (1 + 1)
    assert billing.item_size({"s": {"SS": ["é", "ab"]}}) == 1 + 2 + 2
    assert [billing.number_size(n) for n in ("0", "100", "-0.0015", "12345678901")] == [1, 2, 2, 7]


def test_units_round_up_per_kilobyte_and_per_four_kilobytes():
    assert billing.write_units(1024) == 1 and billing.write_units(1025) == 2
    assert billing.write_units(1025, transactional=True) == 4
    assert billing.write_units(0) == 1                       # a write that fails its condition still costs one
    assert billing.read_units(4096, True) == 1 and billing.read_units(4097, True) == 2
    assert billing.read_units(4097, False) == 1.0 and billing.read_units(0, False) == 0.5
    assert billing.query_read_units([3000, 3000], True) == 2
    # 600 items of 2,000 bytes cross the 1 MB page: 524 items, then 76, each page rounded up.
    assert billing.query_read_units([2000] * 600, True) == math.ceil(524 * 2000 / 4096) + math.ceil(76 * 2000 / 4096)


def test_index_entries_and_their_write_units():
    shape = billing.TableShape(with_arrival_index(TABLE_DEFINITION))   # a table made before the stream fold
    lsi, gsi = shape.index("reports_by_received"), shape.index("campaigns_by_state")
    report = {**KNOWN_ITEM, "received_at": {"S": "x" * 10}, "name": {"S": "Ana"}}
    # Table key + index key + projected attributes present (actions); name is not projected.
    assert lsi.entry(report) == {k: report[k] for k in ("pk", "sk", "received_at", "actions")}
    assert lsi.write_units(None, report) == 1 and lsi.write_units(report, report) == 0
    assert lsi.write_units(KNOWN_ITEM, KNOWN_ITEM) == 0                    # not in the index before or after
    campaign = {"pk": {"S": "CAMPAIGN#c"}, "sk": {"S": "CAMPAIGN"}, "campaign_state": {"S": "open"},
                "deadline": {"S": "2026"}}
    closed = {**campaign, "campaign_state": {"S": "closed"}}
    assert gsi.write_units(campaign, closed) == 2                           # key changed: delete + put
    assert shape.stored_bytes(report) == (billing.item_size(report) + 100
                                          + billing.item_size(lsi.entry(report)) + 100)


@pytest.fixture
def metered(moto_table):
    """A table with the arrival LSI (as made before the stream fold), so that index entries are billed."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(TableName="with-lsi", **with_arrival_index(TABLE_DEFINITION))
    table = boto3.resource("dynamodb", region_name="us-east-1").Table("with-lsi")
    meter = RequestUnitMeter(peek=client)
    meter.instrument(table.meta.client.meta.events)
    return table, meter


def test_the_meter_bills_calls_as_dynamodb_would(metered):
    table, meter = metered
    item = {"pk": "REPORTS#ua-47-22#3", "sk": "0b7e2a1c-8f3d-4c55-9a7e-2f1d6c3b9e10", "received_at": "t",
            "actions": {"letter": 2}, "padding": "p" * 1500}
    with meter.measuring("put"):
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    with meter.measuring("replay"), pytest.raises(table.meta.client.exceptions.ConditionalCheckFailedException):
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    with meter.measuring("get"):
        table.get_item(Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)
        table.get_item(Key={"pk": item["pk"], "sk": item["sk"]})
        table.get_item(Key={"pk": item["pk"], "sk": "missing"}, ConsistentRead=True)
    with meter.measuring("query"):
        table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": item["pk"]},
                    Select="COUNT", ConsistentRead=True)
    put, replay = meter.totals("put"), meter.totals("replay")
    assert put["wru_table"] == 2                                   # about 1.6 KB: two started kilobytes
    assert put["wru_indexes"] == {"reports_by_received": 1}        # the LSI entry leaves the padding out
    assert replay["wru_table"] == 2 and replay["wru_indexes"] == {} and replay["stored_bytes"] == 0
    assert meter.totals("get")["rru"] == 1 + 0.5 + 1               # strong, eventual, and a miss
    assert meter.totals("query")["rru"] == 1                       # COUNT still reads the item
    assert meter.lines("put")[0] == ("WRU", "PutItem REPORTS/*", 2)
    assert meter.operations("get") == {"GetItem": 3}


def test_a_tiny_intake_run_counts_every_request_and_closes_exactly():
    results = units.run(accepted=50)
    per = results["per_accepted_report"]
    lines = {(line["unit"], line["line"]): line["per"] for line in per["lines"]}
    assert results["reports_accepted"] == 50 and results["close"]["exact"]
    assert sum(results["requests"].values()) == sum(k["requests"] for k in results["per_kind"].values())
    # Every stored report (accepted or flagged) is one item, and nothing else is written per report;
    # a replay this container recorded is answered from its memory.
    assert lines[("WRU", "PutItem REPORTS/*")] * 50 == pytest.approx(50 + results["flagged"])
    assert not [line for (unit, line) in lines if unit == "WRU index"]
    assert all(kind["wru_table"] == 0 for name, kind in results["per_kind"].items() if "replay" in name)
    assert results["fold"]["batches"] >= 1 and 0 < results["fold"]["wru_per_report"] < 1
    fold = results["fold"]["wru_per_report"]
    assert results["write_units_per_report"] == pytest.approx(per["wru_with_indexes"] + fold)
    assert results["write_units_per_report_replays_elsewhere"] >= results["write_units_per_report"]
    assert results["page"]["status"] == 200 and results["page"]["requests"] >= 1
    languages = results["page"]["languages"]
    assert languages["within_budget"] and set(languages["by_language"]) == {"en", "es", "fr", "ar"}
    assert {code: page["letters_shown"] for code, page in languages["by_language"].items()} == {
        "en": 2, "es": 1, "fr": 2, "ar": 1}   # the letter language's and the page's, where there is one
    figures = cost.per_million_reports(results)
    assert figures["posts_total"] > 0 and set(figures["prices"]) >= {"dynamodb_per_million_wru"}


def test_small_helpers():
    assert close_growth.fitted_exponent([1, 10, 100], [3, 30, 300]) == pytest.approx(1.0)
    assert close_growth.fitted_exponent([1, 10, 100], [1, 100, 10_000]) == pytest.approx(2.0)
    assert scale_sim.poisson_tail(1.0, 2) == pytest.approx(1 - math.exp(-1) * 2.5)
    stderr = ("import time: self [us] | cumulative | imported package\n"
              "import time:       100 |        100 |   jinja2.utils\n"
              "import time:        50 |        150 | jinja2\n"
              "import time:        10 |        160 | app\n")
    assert cold_start.import_times(stderr)["top"] == {"jinja2": 150, "app": 160}
    assert cold_start.import_times(stderr)["by_package"]["jinja2"] == 150
    html = ('<link rel="stylesheet" href="/s.css"><script src="a.js"></script><img src="data:x">'
            '<link rel="canonical" href="/c">')
    assert page_weight.assets_of(html) == ["/s.css", "a.js"]
    assert cost.lambda_ms(0.1, 0) == 1


def test_the_importer_section_times_every_sheet():
    from bench import casesheet, report

    figures = casesheet.times(repeats=1)
    assert figures["sheets"] == len(casesheet.SHEETS) >= 11
    assert set(figures["ms_per_sheet"]) == {path.name for path in casesheet.SHEETS}
    figures.update(app_import_ms=1.0, app_with_importer_ms=2.0, importer_import_ms=1.0, app_imports_importer=False)
    assert "import app imports the importer" in report._section("8", report._importer(figures))


def test_reading_a_case_costs_one_index_query_and_a_totals_read_per_campaign():
    from bench import cases, report

    figures = cases.run(lengths=(1, 3), repeats=1)
    one, three = figures["lengths"]
    # one request each, nothing remembered yet: the asked campaign and the case index (two Query
    # calls, whatever the length); the first campaign (a GetItem, for a follow-up) and each open
    # campaign's provisional totals (a GetItem each)
    assert one["case"]["operations"] == {"Query": 2, "GetItem": 1}
    assert three["case"]["operations"] == {"Query": 2, "GetItem": 1 + 3}
    assert three["case"]["calls"] > one["case"]["calls"] and three["case"]["bytes"] > one["case"]["bytes"]
    assert three["closed_page"]["calls"] <= one["closed_page"]["calls"] + 1   # one index query, any length
    assert "9. Reading a case" in report.table({"wall": {"reading a case": 1.0}, "cases": figures})
