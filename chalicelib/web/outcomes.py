"""The words a recorded outcome's status is shown in, marked for translation: the closed
form page says them in its language, the staff dashboard in English
(chalicelib.domain.outcome.OUTCOME_STATUSES lists the statuses; a test keeps both in step)."""
from chalicelib.web.i18n import N_

OUTCOME_LABELS = {"released": N_("Released"), "charges_dropped": N_("Charges dropped"),
                  "sentence_commuted": N_("Sentence commuted"), "improved": N_("Situation improved"),
                  "no_change": N_("No change"), "worsened": N_("Situation worsened"), "other": N_("Other news")}
