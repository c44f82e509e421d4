"""The officials of a campaign: its targets (whom supporters write to, and report on) and
the diplomatic copies, with how to reach each one; how staff input becomes them.

Contacts are kept in one form whatever way staff typed them: phone and fax numbers as
digits with an optional leading ``+``, social handles without ``@``, web addresses https
only. Every cap below is documented in docs/staff.md ("The campaign, whole").
"""
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.domain.validation import SLUG, FieldErrors, object_list, reject_unknown, text

MAX_TARGETS = 20        # v1's cap, kept so that every v1 body stays valid
MAX_COPIES = 10
MAX_CONTACTS = 5        # emails, phones, faxes or social handles per official
MAX_ADDRESS = 1_000     # characters, on at most MAX_ADDRESS_LINES lines
MAX_ADDRESS_LINES = 12
MAX_URL = 500
# What the form and the reports know; a new network needs only a name here.
NETWORKS = ("x", "facebook", "instagram", "tiktok", "youtube", "linkedin", "bluesky", "mastodon",
            "threads", "telegram")
_TARGET_FIELDS = ("id", "name", "role", "salutation", "address", "emails", "phones", "faxes", "social",
                  "contact_url")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
_NUMBER_SEPARATORS = re.compile(r"[\s.()\-/\u00a0]")
NUMBER = re.compile(r"^\+?[0-9]{3,17}$")
_HANDLES = {"x": re.compile(r"^[A-Za-z0-9_]{1,15}$"),
            "mastodon": re.compile(r"^[A-Za-z0-9_.-]{1,64}@[A-Za-z0-9.-]{1,190}$")}
_HANDLE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class Social:
    """A social-media account: ``network`` (see NETWORKS) and ``handle`` (no ``@``)."""
    network: str
    handle: str

    def as_dict(self) -> dict:
        return {"network": self.network, "handle": self.handle}


@dataclass(frozen=True)
class Target:
    """An official supporters act on (``id`` names them in reports), or, in ``copies_to``,
    one they send copies to (no reports name a copy, so its ``id`` may be empty)."""
    id: str
    name: str
    role: str = ""
    salutation: str = ""
    address: str = ""
    emails: tuple = ()
    phones: tuple = ()
    faxes: tuple = ()
    social: tuple = ()        # of Social
    contact_url: str = ""

    def contact(self) -> dict:
        """How to reach them: every field but id, name and role."""
        return {"salutation": self.salutation, "address": self.address, "emails": list(self.emails),
                "phones": list(self.phones), "faxes": list(self.faxes),
                "social": [account.as_dict() for account in self.social], "contact_url": self.contact_url}

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, **self.contact()}

    def with_contact(self, contact: dict) -> "Target":
        """This official with the contact fields of ``contact`` (as :meth:`contact` gives them)."""
        return Target(self.id, self.name, self.role, contact.get("salutation", ""), contact.get("address", ""),
                      tuple(contact.get("emails", ())), tuple(contact.get("phones", ())),
                      tuple(contact.get("faxes", ())),
                      tuple(Social(s["network"], s["handle"]) for s in contact.get("social", ())),
                      contact.get("contact_url", ""))


def normalise_number(value) -> str | None:
    """``+58 (241) 857-2700`` -> ``+582418572700``; None if it is not a phone or fax number."""
    if not isinstance(value, str):
        return None
    digits = _NUMBER_SEPARATORS.sub("", value.strip())
    return digits if NUMBER.fullmatch(digits) else None


def normalise_handle(network: str, value) -> str | None:
    """``@rafaellacava10`` -> ``rafaellacava10``; None if it cannot be a handle on ``network``."""
    if not isinstance(value, str):
        return None
    handle = value.strip()
    handle = handle[1:] if handle.startswith("@") else handle
    return handle if _HANDLES.get(network, _HANDLE).fullmatch(handle) else None


def https_url(value) -> str | None:
    """``value`` if it is an https URL with a host (and no credentials), else None."""
    if not isinstance(value, str) or len(value.strip()) > MAX_URL:
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname or parts.username or any(c.isspace() for c in value):
        return None
    return value


def parse_officials(errors: FieldErrors, value, field: str, *, reportable: bool):
    """``targets`` (1 to MAX_TARGETS, each with a unique id) or ``copies_to`` (0 to
    MAX_COPIES, ids optional) as a tuple of :class:`Target`; problems go to ``errors``."""
    low, high = (1, MAX_TARGETS) if reportable else (0, MAX_COPIES)
    if value is None and not reportable:
        return ()
    if not isinstance(value, list) or not low <= len(value) <= high:
        errors.add(field, f"must be a list of {low} to {high} officials")
        return None
    officials = object_list(errors, value, field, lambda item_errors, item: _official(item_errors, item, reportable),
                            shape="id, name and role")
    ids = [official.id for official in officials if official.id]
    if len(set(ids)) != len(ids):
        errors.add(field, "target ids must be unique" if reportable else "ids must be unique")
    return tuple(officials)


def _official(errors, item, reportable):
    reject_unknown(errors, item, _TARGET_FIELDS)
    official_id = item.get("id", None if reportable else "")
    if not (isinstance(official_id, str) and (SLUG.fullmatch(official_id) or (official_id == "" and not reportable))):
        errors.add("id", "must be 1 to 40 lowercase letters, digits or hyphens")
    name = text(errors, item, "name", max_length=200)
    role = text(errors, item, "role", max_length=200, required=False) or ""
    salutation = text(errors, item, "salutation", max_length=200, required=False) or ""
    address = text(errors, item, "address", max_length=MAX_ADDRESS, required=False, multiline=True) or ""
    if address.count("\n") >= MAX_ADDRESS_LINES:
        errors.add("address", f"must be at most {MAX_ADDRESS_LINES} lines")
    address = "\n".join(line.strip() for line in address.splitlines())
    emails = _contacts(errors, item, "emails", _email, "must be an email address such as name@example.org")
    phones = _contacts(errors, item, "phones", normalise_number,
                       "must be a phone number: 3 to 17 digits with an optional leading +")
    faxes = _contacts(errors, item, "faxes", normalise_number,
                      "must be a fax number: 3 to 17 digits with an optional leading +")
    social = _social(errors, item.get("social"))
    contact_url = ""
    if item.get("contact_url") not in (None, ""):
        contact_url = https_url(item["contact_url"])
        if contact_url is None:
            errors.add("contact_url", f"must be an https:// address of at most {MAX_URL} characters")
    if errors.errors:
        return None
    return Target(official_id, name, role, salutation, address, emails, phones, faxes, social, contact_url)


def _email(value):
    if not isinstance(value, str) or len(value.strip()) > 254:
        return None
    value = value.strip()
    return value if EMAIL.fullmatch(value) else None


def _contacts(errors, item, field, normalise, message):
    value = item.get(field)
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_CONTACTS:
        errors.add(field, f"must be a list of at most {MAX_CONTACTS}")
        return ()
    cleaned = []
    for index, entry in enumerate(value):
        normalised = normalise(entry)
        if normalised is None:
            errors.add(f"{field}[{index}]", message)
        else:
            cleaned.append(normalised)
    return tuple(dict.fromkeys(cleaned))


def _social(errors, value):
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_CONTACTS:
        errors.add("social", f"must be a list of at most {MAX_CONTACTS} accounts")
        return ()
    accounts = []
    for index, entry in enumerate(value):
        name = f"social[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"network", "handle"}:
            errors.add(name, 'must be {"network": ..., "handle": ...}')
            continue
        network = entry.get("network")
        if network not in NETWORKS:
            errors.add(f"{name}.network", f"must be one of {', '.join(NETWORKS)}")
            continue
        handle = normalise_handle(network, entry.get("handle"))
        if handle is None:
            rule = "1 to 15 letters, digits or _" if network == "x" else \
                "user@server" if network == "mastodon" else "1 to 100 letters, digits, _, . or -"
            errors.add(f"{name}.handle", f"must be a {network} handle ({rule}), with or without @")
            continue
        accounts.append(Social(network, handle))
    return tuple(dict.fromkeys(accounts))
