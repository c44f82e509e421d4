"""The staff dashboard and the printable summary, rendered through the API (server-side,
no JavaScript): what they show, their accessible charts, both languages, and the print CSS."""
import re
import uuid
from datetime import timedelta


from chalicelib.counting import tallying, voiding
from chalicelib.domain.report import parse_report
from chalicelib.staff.charts import nice_ceiling, reports_over_time
from tests.conftest import START, report_body
from tests.streams import fold_stream

CAMPAIGN = "ua-47-22"


def seed_reports(store, campaign, per_day=((0, 3), (1, 0), (2, 5), (4, 2))):
    """Reports on several days (straight into storage, stamped on those days)."""
    created = []
    for day, count in per_day:
        for index in range(count):
            body = report_body(country=("MX", "ES", "AR")[index % 3],
                               targets=["governor"] if index % 2 else ["governor", "ambassador"])
            report = parse_report(body, campaign, 50)
            stored, _ = store.record_report(campaign, report, uuid.uuid4().hex,
                                            START + timedelta(days=day, hours=1, minutes=index))
            created.append(stored)
    return created


def page(client, path, headers):
    response = client.http.get(path, headers=headers)
    assert response.status_code == 200, response.body[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'none'" in policy   # staff pages run no script
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/]{43}=';", policy) and "'unsafe-inline'" not in policy
    return response.body.decode()


def test_the_campaign_list_shows_reference_title_deadline_status_and_counts(client, campaign, store, settings,
                                                                             signed_in, fake_clock):
    seed_reports(store, store.get_campaign(CAMPAIGN))
    fake_clock.advance(days=5)
    fold_stream(store)
    html = page(client, "/staff/dashboard", signed_in())
    assert 'href="dashboard/ua-47-22">UA 47.22</a>' in html
    assert "Venezuelan defenders face criminalization" in html and "2026-01-21T03:59:59Z" in html
    assert '<span class="tag open">open</span>' in html
    assert '<td class="num">10</td>' in html and '<td class="num">30</td>' in html   # reports, actions


def test_the_campaign_page_has_totals_tables_and_an_accessible_chart(client, campaign, store, settings,
                                                                     signed_in, fake_clock):
    seed_reports(store, store.get_campaign(CAMPAIGN))
    fake_clock.advance(days=5)
    fold_stream(store)
    html = page(client, f"/staff/dashboard/{CAMPAIGN}", signed_in())

    assert "<h2>By action type</h2>" in html and "<h2>By target</h2>" in html and "<h2>By country</h2>" in html
    assert "Rafael Lacava" in html and "<td>MX</td>" in html
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 3   # reports per day, so far, and actions by official
    for svg in svgs:
        labelled = re.search(r'role="img" aria-labelledby="(\S+) (\S+)"', svg)
        assert labelled and f'<title id="{labelled.group(1)}">' in svg and f'<desc id="{labelled.group(2)}">' in svg
    assert "10 in total, most on 2026-01-12 (5)" in html
    table = html[html.index('id="reports-over-time"'):]
    assert "<td><time datetime=\"2026-01-11\">2026-01-11</time></td><td class=\"num\">0</td>" \
           "<td class=\"num\">3</td>" in table
    assert "<script" not in html
    assert 'href="ua-47-22/summary"' in html and 'href="ua-47-22/reports?format=csv"' in html
    assert 'href="ua-47-22/summary?target=governor">Summary for Rafael Lacava</a>' in html
    assert 'href="ua-47-22/summary?target=ambassador">' in html
    assert "@media print" in html
    # what reached each official (letters), full figures for staff: 4 reports of 2 letters named
    # the governor alone, 6 both officials (v1's shape: not split between them)
    table = html[html.index('id="by-official"'):]
    table = table[:table.index("</table>")]
    assert re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', table) == [
        ("Rafael Lacava", "8"), ("Joaquín A. Pérez Ayestarán", "0"), ("Several at once (unattributed)", "12")]
    assert "<strong>10</strong> people" in html


def test_the_campaign_page_shows_versions_and_voids_after_a_republish(client, campaign, store, settings,
                                                                      signed_in, fake_clock):
    reports = seed_reports(store, store.get_campaign(CAMPAIGN), per_day=((0, 2),))
    ua = store.get_campaign(CAMPAIGN)
    fake_clock.set(ua.closes_at + timedelta(minutes=1))
    tallying.run_tally(store, settings, fake_clock())
    voiding.void_report(store, CAMPAIGN, reports[0].report_id, reason="<b>duplicate</b>", by="Ana",
                        now=fake_clock())
    html = page(client, f"/staff/dashboard/{CAMPAIGN}", signed_in())
    assert "<h2>Published versions</h2>" in html and "version 2" in html and "1 report voided" in html
    assert "&lt;b&gt;duplicate&lt;/b&gt;" in html and "<b>duplicate" not in html   # autoescaped


def test_an_unknown_campaign_is_a_404_for_staff(client, signed_in):
    assert client.http.get("/staff/dashboard/nope-nope", headers=signed_in()).status_code == 404


def test_chart_geometry_fills_missing_days_and_scales_to_a_round_maximum():
    from datetime import date
    charts = reports_over_time({"2026-01-10": 3, "2026-01-13": 7}, date(2026, 1, 9), date(2026, 1, 14))
    assert [d.count for d in charts.days] == [0, 3, 0, 0, 7, 0]
    assert [d.cumulative for d in charts.days] == [0, 3, 3, 3, 10, 10]
    tallest = max(charts.bars, key=lambda bar: bar.height)
    assert tallest.day.count == 7 and tallest.y + tallest.height == charts.baseline
    assert [label for _, label in charts.bar_axis.ticks] == ["0", "5", "10"]
    assert [nice_ceiling(n) for n in (0, 1, 3, 7, 11, 60, 1001)] == [1, 1, 5, 10, 20, 100, 2000]


def test_the_campaign_page_shows_the_outcome_and_the_deadline_moves_in_its_audit(client, campaign, staff_headers,
                                                                                  signed_in):
    import json

    from tests.conftest import campaign_body
    outcome = {"status": "released", "note": "Both defenders were released <b>today</b>.", "on": "2026-01-09"}
    assert client.http.put(f"/staff/campaigns/{CAMPAIGN}/outcome", headers=staff_headers,
                           body=json.dumps(outcome)).status_code == 200
    moved = client.http.put(f"/staff/campaigns/{CAMPAIGN}", headers=staff_headers,
                            body=json.dumps(campaign_body(deadline="2026-01-25T23:59:59-04:00")))
    assert moved.status_code == 200
    html = client.http.get(f"/staff/dashboard/{CAMPAIGN}", headers=signed_in()).body.decode()
    assert "<h2>Outcome</h2>" in html and "Released" in html
    assert "Both defenders were released &lt;b&gt;today&lt;/b&gt;." in html
    assert "not announced yet" in html
    assert "deadline moved from 2026-01-21T03:59:59Z to 2026-01-26T03:59:59Z" in html
    assert html.count("staff token: tests") == 3   # who recorded the outcome, and both audit entries
