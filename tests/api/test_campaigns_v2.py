"""Campaign contract v2 through the API: the whole case sheet, validated field by field,
public in GET /campaigns/{id} (staff-only settings not), and campaigns stored before it."""
import json

import pytest

from chalicelib.domain.campaign import MAX_CASE_BYTES
from chalicelib.storage.keys import campaign_key
from tests.api.test_campaigns import STAFF_ONLY, assert_error, json_of, public, put_campaign
from tests.conftest import campaign_body

pytestmark = pytest.mark.usefixtures("no_server_errors")

GOVERNOR = {"id": "governor", "name": "Rafael Lacava", "role": "Governor of Carabobo state",
            "salutation": "Señor Gobernador", "address": "Capitolio de Valencia\nValencia, Carabobo, Venezuela",
            "emails": ["sgeneralcarabobo@gmail.com"], "phones": ["+58 (241) 857-2700"], "faxes": ["+58 241 857 2701"],
            "social": [{"network": "x", "handle": "@rafaellacava10"}, {"network": "instagram", "handle": "rlacava"}],
            "contact_url": "https://www.carabobo.gob.ve/contacto"}
WHOLE = campaign_body(
    index="AMR 53/5678/2022", issued_on="2022-05-27", summary="Two defenders face a lawsuit.\n\nIt must end.",
    people=[{"name": "Marino Alvarado", "pronouns": "he/him"}, {"name": "Alfredo Infante"}],
    targets=[GOVERNOR, {"id": "ambassador", "name": "Joaquín A. Pérez Ayestarán"}],
    copies_to=[{"name": "Embassy of Venezuela", "address": "1099 30th St NW\nWashington DC 20007",
                "emails": ["embajada@example.org"]}],
    letter={"es": "Señor Gobernador:\n\nLe escribo...", "en": "Dear Governor,\n\nI write..."},
    timezone="America/Caracas", deadline="2026-01-20")


def test_the_whole_case_is_stored_and_public(client, staff_headers):
    created = put_campaign(client, staff_headers, body=WHOLE)
    assert created.status_code == 201, created.body
    view = json_of(public(client))
    assert not STAFF_ONLY & set(view)
    assert view["deadline"] == "2026-01-21T03:59:59Z"   # 23:59:59 in Caracas
    assert view["timezone"] == "America/Caracas" and view["index"] == "AMR 53/5678/2022"
    assert view["issued_on"] == "2022-05-27" and view["summary"].endswith("It must end.")
    assert view["people"] == [{"name": "Marino Alvarado", "pronouns": "he/him"},
                              {"name": "Alfredo Infante", "pronouns": ""}]
    governor = view["targets"][0]
    assert governor["phones"] == ["+582418572700"] and governor["faxes"] == ["+582418572701"]   # normalised
    assert governor["social"] == [{"network": "x", "handle": "rafaellacava10"},
                                  {"network": "instagram", "handle": "rlacava"}]
    assert governor["address"] == "Capitolio de Valencia\nValencia, Carabobo, Venezuela"
    assert view["targets"][1] == {"id": "ambassador", "name": "Joaquín A. Pérez Ayestarán", "role": "",
                                  "salutation": "", "address": "", "emails": [], "phones": [], "faxes": [],
                                  "social": [], "contact_url": ""}
    assert view["copies_to"][0]["id"] == "" and view["copies_to"][0]["emails"] == ["embajada@example.org"]
    assert view["letter"] == WHOLE["letter"] and view["follow_up_of"] is None
    assert json_of(created)["targets"] == view["targets"]          # the staff view shows the same case


def test_an_edit_that_drops_the_case_drops_it(client, staff_headers):
    assert put_campaign(client, staff_headers, body=WHOLE).status_code == 201
    assert put_campaign(client, staff_headers, body=campaign_body(deadline="2026-01-20")).status_code == 200
    view = json_of(public(client))
    assert view["letter"] == {} and view["summary"] == "" and view["targets"][0]["emails"] == []


def test_a_campaign_stored_before_v2_still_reads_and_edits(client, staff_headers, moto_table):
    assert put_campaign(client, staff_headers).status_code == 201
    moto_table.delete_item(Key={"pk": "CAMPAIGN#ua-47-22", "sk": "CAMPAIGN#CASE"})
    moto_table.update_item(Key=campaign_key("ua-47-22"), UpdateExpression="REMOVE #tz",
                           ExpressionAttributeNames={"#tz": "timezone"})
    view = json_of(public(client))
    assert view["timezone"] is None and view["letter"] == {} and view["targets"][0]["role"]
    assert put_campaign(client, staff_headers, body=WHOLE).status_code == 200
    assert json_of(public(client))["letter"] == WHOLE["letter"]


def target(**fields):
    return {**GOVERNOR, **fields}


INVALID = {
    "email without @": ({"targets": [target(emails=["governor.example.org"])]}, "targets[0].emails[0]"),
    "too many emails": ({"targets": [target(emails=[f"a{i}@example.org" for i in range(6)])]}, "targets[0].emails"),
    "phone with letters": ({"targets": [target(phones=["+58 CALL NOW"])]}, "targets[0].phones[0]"),
    "fax too short": ({"targets": [target(faxes=["12"])]}, "targets[0].faxes[0]"),
    "plus inside a number": ({"targets": [target(phones=["58+241"])]}, "targets[0].phones[0]"),
    "handle with a space": ({"targets": [target(social=[{"network": "x", "handle": "ONUVE NuevaYork"}])]},
                            "targets[0].social[0].handle"),
    "x handle too long": ({"targets": [target(social=[{"network": "x", "handle": "a" * 16}])]},
                          "targets[0].social[0].handle"),
    "unknown network": ({"targets": [target(social=[{"network": "myspace", "handle": "x"}])]},
                        "targets[0].social[0].network"),
    "social not an object": ({"targets": [target(social=["@x"])]}, "targets[0].social[0]"),
    "plain http contact url": ({"targets": [target(contact_url="http://example.org/contact")]},
                               "targets[0].contact_url"),
    "javascript url": ({"targets": [target(contact_url="javascript:alert(1)")]}, "targets[0].contact_url"),
    "address too long": ({"targets": [target(address="x" * 1001)]}, "targets[0].address"),
    "address with many lines": ({"targets": [target(address="\n".join(["line"] * 13))]}, "targets[0].address"),
    "salutation on two lines": ({"targets": [target(salutation="Dear\nGovernor")]}, "targets[0].salutation"),
    "unknown target field": ({"targets": [target(twitter="@x")]}, "targets[0].twitter"),
    "21 targets": ({"targets": [target(id=f"t{i}") for i in range(21)]}, "targets"),
    "11 copies": ({"copies_to": [{"name": f"Copy {i}"} for i in range(11)]}, "copies_to"),
    "copy without a name": ({"copies_to": [{"address": "Somewhere"}]}, "copies_to[0].name"),
    "copy with a bad id": ({"copies_to": [{"id": "Not An Id", "name": "Embassy"}]}, "copies_to[0].id"),
    "letter too long": ({"letter": {"es": "x" * 10_001}}, "letter.es"),
    "letter keyed by a language name": ({"letter": {"Spanish": "Hola"}}, "letter.Spanish"),
    "letter not an object": ({"letter": "Dear Governor"}, "letter"),
    "six letters": ({"letter": {code: "x" for code in ("en", "es", "fr", "ar", "pt", "de")}}, "letter"),
    "summary too long": ({"summary": "x" * 10_001}, "summary"),
    "people not a list": ({"people": "Marino Alvarado"}, "people"),
    "person without a name": ({"people": [{"pronouns": "he/him"}]}, "people[0].name"),
    "21 people": ({"people": [{"name": f"P {i}"} for i in range(21)]}, "people"),
    "issued_on not a date": ({"issued_on": "27 May 2022"}, "issued_on"),
    "issued_on impossible": ({"issued_on": "2022-02-30"}, "issued_on"),
    "index too long": ({"index": "A" * 41}, "index"),
    "unknown timezone": ({"timezone": "Mars/Olympus"}, "timezone"),
    "timezone not a string": ({"timezone": 4}, "timezone"),
    "timezone a path": ({"timezone": "/etc/localtime"}, "timezone"),
    "follow_up_of itself": ({"follow_up_of": "ua-47-22"}, "follow_up_of"),
    "follow_up_of not an id": ({"follow_up_of": "UA 47/22"}, "follow_up_of"),
    "case over 128 KiB": ({"letter": {code: "€" * 10_000 for code in ("en", "es", "fr", "ar", "pt")}}, "body"),
}


@pytest.mark.parametrize("fields, field", INVALID.values(), ids=INVALID.keys())
def test_every_v2_field_is_validated_with_a_field_error(client, staff_headers, fields, field):
    response = put_campaign(client, staff_headers, raw=json.dumps(campaign_body(**fields), ensure_ascii=False))
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"], error
    assert public(client).status_code == 404


def test_the_case_cap_bounds_the_stored_item_far_below_dynamodb_s_400_kb(client, staff_headers, moto_table):
    # Just under the cap, in four-byte characters: the largest case the API stores.
    letters = {code: "𝄞" * 7_900 for code in ("en", "es", "fr", "ar")}
    raw = json.dumps(campaign_body(letter=letters), ensure_ascii=False)
    assert put_campaign(client, staff_headers, raw=raw).status_code == 201
    item = moto_table.get_item(Key={"pk": "CAMPAIGN#ua-47-22", "sk": "CAMPAIGN#CASE"})["Item"]
    size = len(json.dumps(item, ensure_ascii=False, default=str).encode())
    assert 120_000 < size <= MAX_CASE_BYTES + 1024 < 400_000
