"""The officials' blocks: who to write to and how to reach them.

A block is a heading (role and name, on one line or two) and its body: address lines, then
labelled lines (``Email:``, ``Phone: ... / Fax: ...``, ``Twitter:``, ``Salutation:``). Blank
lines may separate the heading from its body; a line of contacts alone belongs to the block
before it. Numbered instructions and share buttons are not officials.
"""
import re
from dataclasses import dataclass, field

from chalicelib.casesheet import vocabulary as words
from chalicelib.casesheet.notes import Notes
from chalicelib.casesheet.source import Line, fold, links
from chalicelib.domain.officials import (EMAIL, MAX_ADDRESS, MAX_ADDRESS_LINES, MAX_CONTACTS, https_url,
                                         normalise_handle, normalise_number)

_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_PROTECTED = re.compile(r"\[\s*email[\s\u00a0]*protected\s*\]|email protected", re.I)
_URL = re.compile(r"https?://[^\s)\]>]+")
_NUMBER_IN_TEXT = re.compile(r"\+?\(?\d[\d\s().\-/]{4,}\d")
_ITEM_SPLIT = re.compile(r"\s*(?:,|;|\bor\b|\bo\b|\bou\b|\band\b|\by\b|\bet\b)\s*")
_PARTICLES = {"de", "del", "la", "las", "los", "y", "van", "von", "der", "da", "dos", "das", "bin", "al", "el", "ibn",
              "le", "du", "des", "e"}
# The id a role's first title word gives, in English whatever the sheet's language.
_ROLE_IDS = [
    (r"prime minister|primer ministro|premier ministre", "prime-minister"),
    (r"attorney[- ]general|fiscal general|procureur general|procuradora? general", "attorney-general"),
    (r"president|presidente|presidenta", "president"), (r"minist", "minister"),
    (r"secretar", "secretary"), (r"governor|gobernador|gouverneur", "governor"),
    (r"prosecutor|fiscal|procureur|procurador", "prosecutor"), (r"ambassad|embajador", "ambassador"),
    (r"director|directeur|directrice", "director"), (r"chief|jefe|jefa|chef", "chief"), (r"head", "head"),
    (r"commission|comisionad|commissaire", "commissioner"), (r"mayor|alcalde|maire", "mayor"),
    (r"judge|juez|jueza|juge", "judge"), (r"ombudsman|defensor|defenseur|mediateur", "ombudsman"),
    (r"embassy|embajada|ambassade", "embassy"), (r"mission|mision", "mission"),
    (r"representa", "representative"), (r"consul", "consul"), (r"commander|comandante|commandant", "commander"),
    (r"king|rey|roi", "king"), (r"queen|reina|reine", "queen"), (r"speaker", "speaker"),
    (r"police|policia", "police"), (r"warden", "warden"),
]


@dataclass
class Official:
    """One official as read, with the line each field came from (for warnings)."""
    name: str = ""
    role: str = ""
    salutation: str = ""
    address: list = field(default_factory=list)
    emails: list = field(default_factory=list)
    phones: list = field(default_factory=list)
    faxes: list = field(default_factory=list)
    social: list = field(default_factory=list)     # of (network, handle)
    contact_url: str = ""
    lines: dict = field(default_factory=dict)      # field -> line number
    id: str = ""

    def body(self, with_id: bool = True) -> dict:
        body = {"id": self.id} if with_id else {}
        body.update({"name": self.name, "role": self.role})
        for name in ("salutation", "contact_url"):
            if getattr(self, name):
                body[name] = getattr(self, name)
        if self.address:
            body["address"] = "\n".join(self.address)
        for name in ("emails", "phones", "faxes"):
            if getattr(self, name):
                body[name] = list(getattr(self, name))
        if self.social:
            body["social"] = [{"network": network, "handle": handle} for network, handle in self.social]
        return body


def is_label_line(line: Line) -> bool:
    return bool(words.CONTACT_LABEL.match(fold(line.text)))


def _is_instruction(line: Line) -> bool:
    folded = fold(line.text)
    return bool(words.INSTRUCTION.match(folded)) or (len(line.text) > 140 and not is_label_line(line))


def _is_noise(line: Line) -> bool:
    folded = fold(line.text)
    if words.NOISE.match(folded):
        return True
    found = links(line.raw)
    return bool(found) and all(words.SHARE_URL.search(url) for _, url in found)


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Runs of non-blank lines, share buttons and other noise left out."""
    runs, current = [], []
    for line in lines:
        if line.blank:
            if current:
                runs.append(current)
            current = []
        elif not _is_noise(line):
            current.append(line)
    if current:
        runs.append(current)
    return runs


def read_officials(lines: list[Line], notes: Notes, prefix: str, language: str) -> list[Official]:
    """The officials in ``lines`` (a region of the sheet), in order."""
    officials, heading = [], []
    for paragraph in paragraphs(lines):
        if all(_is_instruction(line) for line in paragraph) and not any(is_label_line(line) for line in paragraph):
            continue
        labelled = [is_label_line(line) for line in paragraph]
        if len(paragraph) == 1 and not labelled[0]:
            heading.append(paragraph[0])          # a heading alone; its body follows
            continue
        if all(labelled) and not heading and officials:
            _read_body(officials[-1], paragraph, notes, f"{prefix}[{len(officials) - 1}]")
            continue
        body = list(paragraph)
        if not heading:
            heading = [body.pop(0)]
            if body and not is_label_line(body[0]) and _second_heading_line(heading[0], body[0]):
                heading.append(body.pop(0))
        official = Official()
        _read_heading(official, heading, notes, f"{prefix}[{len(officials)}]")
        _read_body(official, body, notes, f"{prefix}[{len(officials)}]")
        officials.append(official)
        heading = []
    if heading and officials:
        notes.warn(prefix, f"'{heading[0].text}' was read as a heading with no address or contacts after it; "
                           "left out", heading[0].number)
    for position, official in enumerate(officials):
        _fit(official, notes, f"{prefix}[{position}]")
    return officials


def _fit(official: Official, notes: Notes, where: str) -> None:
    """Within the campaign's caps, so that the draft passes PUT as it is; what is cut is said."""
    line = official.lines.get("name")
    if not official.name.strip():
        notes.warn(f"{where}.name", "no name was found for this official: give one", line)
    for name in ("name", "role", "salutation"):
        if len(getattr(official, name)) > 200:
            setattr(official, name, getattr(official, name)[:200].rstrip())
            notes.warn(f"{where}.{name}", "longer than 200 characters: cut there", official.lines.get(name, line))
    if len(official.address) > MAX_ADDRESS_LINES or len("\n".join(official.address)) > MAX_ADDRESS:
        address = official.address[:MAX_ADDRESS_LINES]
        while len("\n".join(address)) > MAX_ADDRESS:
            address = address[:-1] or [address[0][:MAX_ADDRESS]]
        official.address = address
        notes.warn(f"{where}.address", f"more than {MAX_ADDRESS_LINES} lines or {MAX_ADDRESS:,} characters: only "
                                       "the first lines are kept; check where the address ends",
                   official.lines.get("address", line))
    for name in ("emails", "phones", "faxes", "social"):
        if len(getattr(official, name)) > MAX_CONTACTS:
            setattr(official, name, getattr(official, name)[:MAX_CONTACTS])
            notes.warn(f"{where}.{name}", f"more than {MAX_CONTACTS}: the first {MAX_CONTACTS} are kept", line)


def _has_role_words(text: str) -> bool:
    return bool(words.ROLE_WORDS.search(fold(text)))


def _looks_like_name(text: str) -> bool:
    folded = fold(text)
    if words.HONORIFICS.match(folded + " "):
        return True
    parts = text.replace(",", " ").split()
    if not 2 <= len(parts) <= 6 or any(c.isdigit() for c in text) or _has_role_words(text):
        return False
    return all(part[:1].isupper() or fold(part) in _PARTICLES for part in parts)


def _second_heading_line(first: Line, second: Line) -> bool:
    """The older sheets put the role on one line and the name on the next (or the other way)."""
    return (_has_role_words(first.text) and _looks_like_name(second.text)) or \
        (_looks_like_name(first.text) and _has_role_words(second.text) and "," not in second.text
         and not any(c.isdigit() for c in second.text))


def _read_heading(official: Official, heading: list[Line], notes: Notes, where: str) -> None:
    number = heading[0].number
    official.lines.update(name=number, role=number)
    if len(heading) >= 2:
        first, second = heading[0].text.rstrip(","), heading[1].text.rstrip(",")
        if _looks_like_name(first) and not _looks_like_name(second):
            official.name, official.role = first, second
        else:
            official.role, official.name = first, second
        official.lines["name"] = heading[1].number if official.name == second else number
        for extra in heading[2:]:
            official.address.append(extra.text)
        return
    text = heading[0].text.strip().rstrip(",:")
    for separator in (", ", " – ", " — ", " - "):
        if separator in text:
            left, right = text.rsplit(separator, 1) if separator == ", " else text.split(separator, 1)
            if _has_role_words(left) and not words.HONORIFICS.match(fold(left) + " ") and not _has_role_words(right):
                official.role, official.name = left.strip(), right.strip()
                return
            if _has_role_words(right) or _looks_like_name(left):
                official.name, official.role = left.strip(), right.strip()
                return
    bracket = re.fullmatch(r"(.+?)\s*\((.+)\)", text)
    if bracket:
        official.name, official.role = bracket.group(1), bracket.group(2)
        return
    if words.INSTITUTION.search(fold(text)) and not _looks_like_name(text):
        official.name = text                  # an institution: its name is all there is
        return
    if words.HONORIFICS.match(fold(text) + " ") or not _has_role_words(text):
        official.name = text
        if not _has_role_words(text):
            notes.warn(f"{where}.role", f"the sheet gives no role for {text}", number)
        return
    role, name = _split_role_and_name(text)
    if name:
        official.role, official.name = role, name
        notes.warn(f"{where}.name", f"role and name are on one line ('{text}'): read as role '{role}' and name "
                                    f"'{name}'; check where one ends", number)
    else:
        official.role = official.name = text
        notes.warn(f"{where}.name", f"no name found in '{text}': the whole line is taken as the name", number)


def _split_role_and_name(text: str) -> tuple[str, str]:
    """``Minister of Interior Ahmad Vahidi`` -> (``Minister of Interior``, ``Ahmad Vahidi``)."""
    parts = text.split()
    name = []
    for part in reversed(parts):
        folded = fold(part).strip(".,")
        if not (part[:1].isupper() or (name and folded in _PARTICLES)) or folded in words.ROLE_COMPLEMENTS \
                or words.ROLE_WORDS.fullmatch(folded):
            break
        name.insert(0, part)
    while name and fold(name[0]) in _PARTICLES:
        name.pop(0)
    if len(name) < 2 or len(name) == len(parts):
        return text, ""
    return " ".join(parts[:len(parts) - len(name)]), " ".join(name)


def _segments(line: Line):
    """A labelled line's (kind, raw value, plain value) parts: ``Phone: 1 / Fax: 2`` has two."""
    matches = list(words.CONTACT_LABEL.finditer(fold(line.text)))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line.text)
        value = line.text[match.end():end]
        value = words.CONTACT_SEPARATOR.sub("", value).strip()
        kind = next(name for name, text in match.groupdict().items() if text is not None)
        yield kind, value


def _read_body(official: Official, body: list[Line], notes: Notes, where: str) -> None:
    for line in body:
        if not is_label_line(line):
            if official.emails or official.phones or official.faxes or official.social or official.salutation:
                notes.warn(f"{where}.address", f"'{line.text}' comes after the contacts: read as part of the "
                                               "address", line.number)
            official.address.append(line.text)
            official.lines.setdefault("address", line.number)
            continue
        for kind, value in _segments(line):
            _read_contact(official, kind, value, line, notes, where)


def _read_contact(official, kind, value, line, notes, where):
    if kind == "salutation":
        official.salutation = value.rstrip(",").strip()
        official.lines["salutation"] = line.number
    elif kind == "email":
        _read_emails(official, value, line, notes, where)
    elif kind in ("phone", "fax"):
        _read_numbers(official, kind, value, line, notes, where)
    elif kind == "contact_url":
        _read_url(official, value, line, notes, where)
    else:
        _read_handles(official, kind, value, line, notes, where)


def _read_emails(official, value, line, notes, where):
    for email in dict.fromkeys(_EMAIL_IN_TEXT.findall(value) + [
            url[7:] for _, url in links(line.raw) if url.lower().startswith("mailto:")]):
        email = email.strip(".")
        if EMAIL.fullmatch(email) and email not in official.emails:
            official.emails.append(email)
            official.lines.setdefault(f"emails[{len(official.emails) - 1}]", line.number)
    if _PROTECTED.search(value) or _PROTECTED.search(line.raw):
        notes.warn(f"{where}.emails", "'[email protected]' is what a web page shows in place of an address it "
                                      "hides from robots: copy the address from the original sheet", line.number)
    elif not _EMAIL_IN_TEXT.search(value) and not any(u.lower().startswith("mailto:") for _, u in links(line.raw)):
        notes.warn(f"{where}.emails", f"'{value}' is not an email address; left out", line.number)


def _read_numbers(official, kind, value, line, notes, where):
    target = official.phones if kind == "phone" else official.faxes
    field_name = "phones" if kind == "phone" else "faxes"
    numbers = [m.group(0) for m in _NUMBER_IN_TEXT.finditer(value)]
    if not numbers:
        notes.warn(f"{where}.{field_name}", f"'{value}' is not a number; left out", line.number)
    for number in numbers:
        normalised = normalise_number(number)
        if normalised is None:
            notes.warn(f"{where}.{field_name}", f"'{number}' is not a phone or fax number; left out", line.number)
            continue
        if normalised in target:
            continue
        target.append(normalised)
        position = len(target) - 1
        if not normalised.startswith("+"):
            notes.warn(f"{where}.{field_name}[{position}]", f"'{number.strip()}' has no country code (+…): "
                       "supporters in other countries cannot dial it as written", line.number)


def _read_url(official, value, line, notes, where):
    urls = [url for _, url in links(line.raw)] + _URL.findall(value)
    for url in urls:
        good = https_url(url)
        if good:
            official.contact_url = good
            return
    notes.warn(f"{where}.contact_url", f"no https:// address in '{value}'; left out", line.number)


def _read_handles(official, network, value, line, notes, where):
    candidates = [text for text, url in links(line.raw) if text.startswith("@")]
    if not candidates:
        candidates = [item for item in _ITEM_SPLIT.split(value) if item.strip()]
    for candidate in candidates:
        handle = candidate.strip().lstrip("@").strip()
        url = re.search(r"(?:twitter|x|facebook|instagram|tiktok)\.com/(?:@)?([^/?\s#]+)", handle)
        if url:
            handle = url.group(1)
        position = len(official.social)
        field_name = f"{where}.social[{position}]"
        if " " in handle:
            joined = handle.replace(" ", "")
            notes.warn(field_name, f"'@{handle}' has a space, which no handle has: read as '@{joined}'; check "
                                   "it on the network", line.number)
            handle = joined
        normalised = normalise_handle(network, handle)
        if normalised is None:
            notes.warn(f"{where}.social", f"'{candidate.strip()}' is not a {network} handle; left out", line.number)
            continue
        if (network, normalised) not in official.social:
            official.social.append((network, normalised))


def role_id(role: str, salutation: str, name: str) -> str:
    """An id for a target: its title in English (``gobernador`` -> ``governor``), else a slug of the name."""
    for text in (role, salutation):
        folded = fold(text)
        for pattern, target_id in _ROLE_IDS:
            if re.search(rf"\b(?:{pattern})", folded):
                return target_id
    surname = fold(name).split()[-1:] or ["target"]
    slug = re.sub(r"[^a-z0-9]+", "-", surname[0]).strip("-")
    return slug[:40] or "target"
