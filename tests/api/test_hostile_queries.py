"""Query parameters a client can stretch: ``?limit=``/``?offset=`` with 5,000 digits, a
3,000-character ``?format=``, ``?lang=``, ``?share=`` and ``?embed=`` of any size, repeated
or empty. Each gets the normal answer or a 422 naming the parameter, never a 5xx."""
import json

import pytest

DIGITS = "9" * 5000          # past the 4,300 digits Python's int() reads
CASES = [
    ("/staff/campaigns/ua-47-22/flagged", {"limit": DIGITS}, 422, "limit"),
    ("/staff/campaigns/ua-47-22/flagged", {"offset": DIGITS}, 422, "offset"),
    ("/staff/campaigns/ua-47-22/flagged", {"offset": "0" * 5000}, 200, None),
    ("/staff/campaigns/ua-47-22/flagged", {"limit": "١٢"}, 422, "limit"),        # Arabic-Indic digits
    ("/staff/campaigns/ua-47-22/flagged", {"limit": ""}, 422, "limit"),
    ("/staff/campaigns/ua-47-22/flagged", {"limit": "0001000"}, 200, None),
    ("/staff/campaigns/ua-47-22/totals", {"format": "c" * 3000}, 422, "format"),
    ("/staff/campaigns/ua-47-22/reports", {"format": "csv" * 1000}, 422, "format"),
    ("/campaigns/ua-47-22/form", {"lang": "e" * 5000}, 200, None),
    ("/campaigns/ua-47-22/form", {"share": "https://www.example.org/" + "s" * 5000}, 200, None),
    ("/campaigns/ua-47-22/form", {"embed": "1" * 3000, "lang": ""}, 200, None),
    ("/campaigns/ua-47-22/form", {"share": "javascript:alert(1)//https://www.example.org"}, 200, None),
]


def _query(params):
    return "&".join(f"{name}={value}" for name, value in params.items())


IDS = [f"{path.rsplit('/', 1)[1]}-{'+'.join(params)}-{status}" for path, params, status, _ in CASES]


@pytest.mark.parametrize("path, params, status, field", CASES, ids=IDS)
def test_stretched_query_parameters_get_the_normal_answer_or_a_422(any_backend, path, params, status, field):
    response = any_backend.client.http.get(f"{path}?{_query(params)}", headers=any_backend.staff)

    assert response.status_code == status, (response.status_code, response.body[:300])
    if field:
        error = json.loads(response.body)["error"]
        assert error["code"] == "validation_failed" and field in error["fields"], error
        assert len(json.dumps(error)) < 400, error
    if path.endswith("/form"):
        page = response.body.decode()
        assert "javascript:" not in page and "s" * 600 not in page and "e" * 100 not in page


def test_a_repeated_parameter_is_read_once(any_backend):
    response = any_backend.client.http.get("/staff/campaigns/ua-47-22/flagged?limit=2&limit=" + DIGITS,
                                           headers=any_backend.staff)
    assert response.status_code in (200, 422), response.body[:300]
