"""Staff exports: published totals and the reports behind them, as CSV or JSON.

Reports carry a supporter's name and email only where they consented; voided
or otherwise excluded reports are listed with why, so the export explains the totals.
Offline tallies staff entered are reports too: listed with their source, who entered them
and when (``offline_*``), and added up apart in the totals (``offline``).
"""
from chalicelib.counting.shown import staff_totals
from chalicelib.domain import clock
from chalicelib.domain.campaign import Campaign
from chalicelib.domain.report import Report
from chalicelib.domain.totals import target_action
from chalicelib.staff.csvfile import csv_text
from chalicelib.staff.tallies import offline_view
from chalicelib.storage import TallyStore
from chalicelib.web.responses import csv_response, export_format, json_response

_TOTALS_SECTIONS = (("action", "actions"), ("target", "by_target"), ("country", "by_country"), ("day", "by_day"))


def totals_csv(view: dict) -> str:
    """Staff totals as one row per figure: ``metric,key,value`` (``target_action`` rows are
    keyed ``<target>.<action>``)."""
    head = [view["campaign_id"], str(view["final"]).lower(), view["as_of"] or ""]
    rows = [("reports", "", view["reports"]), ("people", "", view["people"]),
            ("actions_total", "", view["actions_total"])]
    for metric, section in _TOTALS_SECTIONS:
        rows += [(metric, key, value) for key, value in view[section].items()]
    rows += [("target_action", target_action(target, action), value)
             for target, counts in view["by_target_action"].items() for action, value in counts.items()]
    rows += offline_rows(view.get("offline"))
    return csv_text(["campaign_id", "final", "as_of", "metric", "key", "value"],
                    [head + list(row) for row in rows])


def offline_rows(offline: dict | None) -> list[tuple]:
    """The ``offline`` figures of staff totals as ``metric,key,value`` rows: ``offline_reports``,
    ``offline_people``, ``offline_actions_total``, ``offline_action`` per action type, and one
    ``offline_tally`` row per tally (key its tally id, value its actions; its source and the
    rest are in the reports export, or the JSON)."""
    if offline is None:
        return []
    rows = [("offline_reports", "", offline["reports"]), ("offline_people", "", offline["people"]),
            ("offline_actions_total", "", offline["actions_total"])]
    rows += [("offline_action", action, count) for action, count in offline["actions"].items()]
    rows += [("offline_tally" if tally["counted"] else "offline_tally_voided", tally["tally_id"],
              tally["actions_total"]) for tally in offline["tallies"]]
    return rows


def report_record(campaign: Campaign, report: Report) -> dict:
    """One report as exported: counts for every action type, personal data only with consent."""
    void, reinstatement = report.void, report.reinstatement
    return {
        "report_id": report.report_id,
        "submission_id": report.submission_id,
        "received_at": clock.format_timestamp(report.received_at),
        "actions": {action: report.actions.get(action, 0)
                    for action in list(campaign.actions) + sorted(set(report.actions) - set(campaign.actions))},
        "targets": list(report.targets),
        "per_target": {target: dict(counts) for target, counts in report.per_target.items()}
        if report.per_target is not None else None,
        "participants": report.participants,
        "country": report.country,
        "counted": report.excluded is None,
        "excluded": report.excluded,
        "void_reason": void.reason if void else None,
        "voided_by": void.by if void else None,
        "voided_at": clock.format_timestamp(void.at) if void else None,
        "flag_reason": report.flag_reason,
        "reinstate_reason": reinstatement.reason if reinstatement else None,
        "reinstated_by": reinstatement.by if reinstatement else None,
        "reinstated_at": clock.format_timestamp(reinstatement.at) if reinstatement else None,
        "consent": report.consent,
        "name": report.name if report.consent else None,
        "contact_email": report.contact_email if report.consent else None,
        **offline_record(report),
    }


def offline_record(report: Report) -> dict:
    """An offline tally's source, who entered it and when, and the day its actions were taken
    (all None for a supporter's report)."""
    offline = report.offline
    return {"offline_source": offline.source if offline else None,
            "offline_entered_by": offline.entered_by if offline else None,
            "offline_entered_at": clock.format_timestamp(offline.entered_at) if offline else None,
            "offline_acted_on": offline.acted_on.isoformat() if offline else None}


def reports_json(campaign: Campaign, reports) -> dict:
    records = sorted((report_record(campaign, report) for report in reports), key=lambda r: r["received_at"])
    return {"campaign_id": campaign.campaign_id, "reports": records,
            "counted": sum(r["counted"] for r in records), "excluded": sum(not r["counted"] for r in records)}


# Why a report counts or not, and who decided: written to the CSV as they are.
_AS_THEY_ARE = ("excluded", "void_reason", "voided_by", "voided_at", "flag_reason", "reinstate_reason",
                "reinstated_by", "reinstated_at")
_OFFLINE = ("offline_source", "offline_entered_by", "offline_entered_at", "offline_acted_on")


def reports_csv(campaign: Campaign, reports) -> str:
    """One row per report; one column per action type, and per official and action type
    (``count.<target>.<action>``: blank for a report of v1's shape, which does not say);
    targets joined with ``;``."""
    records = reports_json(campaign, reports)["reports"]
    actions = list(campaign.actions)
    for record in records:
        actions += [a for a in record["actions"] if a not in actions]
    targets = list(campaign.target_ids)
    for record in records:
        targets += [t for t in record["per_target"] or () if t not in targets]
    pairs = [(t, a) for t in targets for a in actions]
    header = (["report_id", "submission_id", "received_at"] + [f"action_{a}" for a in actions]
              + [f"count.{target_action(t, a)}" for t, a in pairs]
              + ["targets", "participants", "country", "counted", *_AS_THEY_ARE, "consent", "name", "contact_email",
                 *_OFFLINE])
    rows = [[r["report_id"], r["submission_id"], r["received_at"]] + [r["actions"].get(a, 0) for a in actions]
            + [(r["per_target"].get(t, {}).get(a, 0) if r["per_target"] is not None else None) for t, a in pairs]
            + [";".join(r["targets"]), r["participants"], r["country"], str(r["counted"]).lower(),
               *(r[key] for key in _AS_THEY_ARE), str(r["consent"]).lower(), r["name"], r["contact_email"],
               *(r[key] for key in _OFFLINE)]
            for r in records]
    return csv_text(header, rows)


def totals_response(store: TallyStore, campaign: Campaign, request):
    """The current totals (published final, or provisional) as ``?format=json`` or ``csv``, with
    the offline tallies in them shown apart (``offline``)."""
    wanted = export_format(request)   # a bad format is refused before anything is read
    view = staff_totals(store, campaign)
    view["offline"] = offline_view(store, campaign)
    if wanted == "csv":
        return csv_response(totals_csv(view), f"{campaign.campaign_id}-totals.csv")
    return json_response(view, headers={"Cache-Control": "no-store"})


def reports_response(store: TallyStore, campaign: Campaign, request):
    """Every report of the campaign, counted or not, as ``?format=json`` or ``csv``."""
    wanted = export_format(request)   # a bad format is refused before any report is read
    reports = store.stored_reports(campaign)
    if wanted == "csv":
        return csv_response(reports_csv(campaign, reports), f"{campaign.campaign_id}-reports.csv")
    return json_response(reports_json(campaign, reports), headers={"Cache-Control": "no-store"})
