"""A case sheet's text read into a campaign draft: ``read_case_sheet``.

The sheet is found part by part, each by the words that open it (``vocabulary``): the
reference and index, the title, the summary, the officials and copies, the sample letter,
the preferred language, the deadline, the people at risk. What is missing or doubtful is
a warning (``notes``); nothing is guessed silently. An outcome notice, or a text with
neither officials nor a deadline, is not an action (:class:`~chalicelib.domain.errors.NotAnAction`).
"""
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from chalicelib.casesheet import vocabulary as words
from chalicelib.casesheet.contacts import Official, is_label_line, paragraphs, read_officials, role_id
from chalicelib.casesheet.dates import complete, find_dates
from chalicelib.casesheet.notes import Notes
from chalicelib.casesheet.people import read_people
from chalicelib.casesheet.source import Line, checked_text, fold, html_to_text, lines_of, looks_like_html
from chalicelib.domain.campaign import MAX_LETTER, MAX_PEOPLE, MAX_SUMMARY
from chalicelib.domain.officials import MAX_COPIES, MAX_TARGETS
from chalicelib.domain.errors import NotAnAction
from chalicelib.web.i18n import LOCALES_DIR

_REFERENCE = re.compile(r"\b(ua|au|urgent action|accion urgente|action urgente)\s*(?:n[o°º.]\s*)?:?\s*"
                        r"(\d{1,4})\s*([/.])\s*(\d{2}(?:\d{2})?)\b")
_INDEX = re.compile(r"\b([A-Z]{3}) ?(\d{2})/(\d{3,5})/(\d{4})\b")
_INDEX_LABEL = re.compile(r"\b(?:ai )?(?:index|indice)(?: ai)?\s*:")
_DATE_LABEL = re.compile(r"\b(?:date|fecha)\s*:")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "primera": 1, "segunda": 2,
             "tercera": 3, "cuarta": 4, "premiere": 1, "deuxieme": 2, "troisieme": 3, "quatrieme": 4}
_UPDATE_NUMBER = re.compile(r"\b(first|second|third|fourth|fifth|primera|segunda|tercera|cuarta|premiere|deuxieme"
                            r"|troisieme|quatrieme) (?:update|actualizacion|mise a jour)\b|\bfi\s?(\d)\b")
_DIPLOMATIC = re.compile(r"^(?:and )?(?:to )?diplomatic representatives|^y (?:a )?(?:los )?representantes? diplomatic"
                         r"|^et (?:aux )?representants? diplomatiques|^(?:also )?send copies to diplomatic")


@dataclass(frozen=True)
class Draft:
    """What the importer read: a body for PUT, its warnings, an id to use, and the UA it follows."""
    body: dict
    warnings: list
    suggested_id: str
    follow_up: dict | None

    def as_dict(self) -> dict:
        return {"draft": self.body, "warnings": [w.as_dict() for w in self.warnings],
                "suggested_id": self.suggested_id, "follow_up": self.follow_up}


def read_case_sheet(text: str, now: datetime, timezone: str, find_campaign=lambda reference: None) -> Draft:
    """The campaign ``text`` describes, as a draft body with warnings.

    ``timezone`` is where a date-only deadline ends; ``find_campaign(reference)`` gives the
    id of an existing campaign with that reference (for a Further Information update), or None.
    Raises ValidationFailed or BodyTooLarge for text that cannot be a case sheet, and
    NotAnAction for an outcome notice.
    """
    text = checked_text(text)
    notes = Notes()
    if looks_like_html(text):
        text = html_to_text(text)
        notes.warn("text", "HTML was pasted: its tags were removed and line numbers count the text without them", 1)
    sheet = _Sheet(lines_of(text), notes)
    return sheet.draft(now, timezone, find_campaign)


class _Sheet:
    def __init__(self, lines: list[Line], notes: Notes):
        self.lines, self.notes = lines, notes
        self.folded = [fold(line.text) for line in lines]
        self.language = _language(" ".join(self.folded))

    # -- finding parts ----------------------------------------------------------------------

    def first(self, pattern, start=0, end=None) -> int | None:
        """The index of the first line from ``start`` whose folded text ``pattern`` matches at its start."""
        for index in range(start, len(self.lines) if end is None else end):
            if pattern.match(self.folded[index]):
                return index
        return None

    def search(self, pattern, start=0):
        for index in range(start, len(self.lines)):
            match = pattern.search(self.folded[index])
            if match:
                return index, match
        return None, None

    def next_text(self, index: int) -> int | None:
        for later in range(index + 1, len(self.lines)):
            if not self.lines[later].blank:
                return later
        return None

    # -- the draft --------------------------------------------------------------------------

    def draft(self, now, timezone, find_campaign) -> Draft:
        notes = self.notes
        body = {}
        reference, earlier, fi_line = self.reference()
        reference = reference[:40] if reference else reference
        follow_up = None
        if earlier:
            follow_up = {"reference": earlier, "campaign_id": find_campaign(earlier)}
        if reference:
            body["reference"] = reference
        index = self.index()
        if index:
            body["index"] = index
        issued = self.issued_on()
        if issued:
            body["issued_on"] = issued.isoformat()
        title = self.title(fi_line)
        if title:
            body["title"] = title
        summary = self.summary()
        if summary:
            body["summary"] = summary
        targets, copies = self.officials()
        letter_start, letter_language, letter = self.letter()
        deadline = self.deadline(now, issued)
        outcome = self.search(words.OUTCOME)[0]
        if not targets and deadline is None:
            if outcome is not None:
                raise NotAnAction("This is an outcome notice: it says no further action is requested (line "
                                  f"{self.lines[outcome].number}), and it names no officials to write to and no "
                                  "deadline. Nothing to create.")
            raise NotAnAction("No officials to write to and no deadline were found: this does not read as an "
                              "Urgent Action case sheet. Paste the whole sheet, from its title to its deadline.")
        people = read_people(self, letter)
        if len(people) > MAX_PEOPLE:
            notes.warn("people", f"{len(people)} were found; the first {MAX_PEOPLE} are kept")
            people = people[:MAX_PEOPLE]
        people = [{"name": p["name"][:200], "pronouns": p["pronouns"][:60]} for p in people]
        if people:
            body["people"] = people
        if deadline:
            body["deadline"] = deadline.isoformat()
        body["timezone"] = timezone
        self._salutations(targets, letter)
        body["targets"] = [official.body() for official in targets]
        if not targets:
            notes.warn("targets", "no officials to write to were found: add at least one before creating the "
                                  "campaign")
        if copies:
            body["copies_to"] = [official.body(with_id=False) for official in copies]
        if letter:
            body["letter"] = {letter_language: letter}
        else:
            notes.warn("letter", "no sample letter was found (it opens with a greeting such as 'Dear ...')")
        languages = self.letter_language(letter_language)
        body["letter_language"] = languages[-1]
        body["languages"] = list(dict.fromkeys([self.language, *languages[-1:]]))
        body["actions"] = _actions(targets, notes)
        if follow_up:
            if follow_up["campaign_id"]:
                body["follow_up_of"] = follow_up["campaign_id"]
            else:
                notes.warn("follow_up_of", f"no campaign has the reference {earlier}, which this update follows: "
                                           "create that one first, or leave this one unlinked",
                           self.lines[fi_line].number)
        suggested = _suggested_id(reference, earlier, title, notes)
        return Draft(_ordered(body), notes.warnings, suggested, follow_up)

    # -- each part -------------------------------------------------------------------------

    def reference(self):
        """(this sheet's reference, the earlier UA's reference if it is an update, the update's line)."""
        fi_index, fi_match = self.search(words.FURTHER_INFORMATION)
        earlier = None
        if fi_index is not None:
            match = _REFERENCE.search(self.folded[fi_index], fi_match.start()) or \
                _REFERENCE.search(f"ua {self.folded[fi_index][fi_match.end():]}")
            earlier = _format_reference(match, self.language) if match else None
        for index, folded in enumerate(self.folded):
            for match in _REFERENCE.finditer(folded):
                formatted = _format_reference(match, self.language)
                if index == fi_index or (earlier and _same_reference(formatted, earlier)):
                    continue
                return formatted, earlier, fi_index
        if earlier:
            number = _UPDATE_NUMBER.search(" ".join(self.folded))
            ordinal = (_ORDINALS.get(number.group(1)) or int(number.group(2))) if number else None
            own = f"{earlier} FI{f' {ordinal}' if ordinal else ''}"
            self.notes.warn("reference", f"an update has no reference of its own: '{own}' is made from the UA it "
                                         f"follows, {earlier}", self.lines[fi_index].number)
            return own, earlier, fi_index
        self.notes.warn("reference", "no reference such as 'UA 47/22' or 'Urgent Action 47.22' was found")
        return None, None, None

    def index(self):
        labelled = [i for i, folded in enumerate(self.folded) if _INDEX_LABEL.search(folded)]
        for index in labelled + list(range(len(self.lines))):
            text = self.lines[index].text
            if index in labelled:
                text = text[_INDEX_LABEL.search(self.folded[index]).end():]
            match = _INDEX.search(text)
            if match:
                return f"{match.group(1)} {match.group(2)}/{match.group(3)}/{match.group(4)}"
        self.notes.warn("index", "no document index such as 'AMR 53/5678/2022' was found")
        return None

    def issued_on(self):
        for index, folded in enumerate(self.folded):
            label = _DATE_LABEL.search(folded)
            if label and not any(phrase.search(folded) for phrase in words.DEADLINE_PHRASES):
                found = find_dates(self.lines[index].text[label.end():])
                if found and found[0].day:
                    return found[0].day
        for index, line in enumerate(self.lines[:12]):
            found = find_dates(line.text)
            if found and found[0].day and len(line.text) - (found[0].end - found[0].start) <= 2:
                return found[0].day
        self.notes.warn("issued_on", "the date the sheet was issued was not found")
        return None

    def _heading_index(self):
        return self.first(words.URGENT_ACTION)

    def title(self, fi_line):
        """The title; ``self.title_index`` is the line it is on (where the case's paragraphs follow)."""
        self.title_index = None
        heading = self._heading_index()
        if heading is not None and len(self.folded[heading]) <= 30:
            for index in range(heading + 1, min(heading + 8, len(self.lines))):
                line = self.lines[index]
                if line.blank or index == fi_line or _is_metadata(self.folded[index]) or \
                        words.URGENT_ACTION.match(self.folded[index]):
                    continue
                self.title_index = index
                return self._clean_title(line.text, line.number)
        for index, folded in enumerate(self.folded):
            match = _REFERENCE.search(folded)
            if not match or index == fi_line or words.FURTHER_INFORMATION.search(folded):
                continue
            rest = self.lines[index].text[match.end():]
            rest = re.split(r"\s+[|–—]\s+|\s+-\s+Amnesty|\s+\|\s*", rest)[0].strip(" :-–—\t")
            rest = re.sub(r"^(?:index|indice)\b.*", "", rest, flags=re.I)
            if len(rest) >= 4 and not _INDEX.search(rest):
                self.title_index = index
                return self._clean_title(rest, self.lines[index].number)
        if fi_line is not None and re.search(r"\s[-–—]\s", self.lines[fi_line].text):
            self.title_index = fi_line   # "Further information on UA 219/06 (...) - Fear for safety"
            rest = re.split(r"\s[-–—]\s", self.lines[fi_line].text)[-1].strip()
            return self._clean_title(rest, self.lines[fi_line].number)
        self.notes.warn("title", "no title was found: the line after 'URGENT ACTION', or after the reference")
        return None

    def _clean_title(self, text, number):
        text = text.strip()[:200]
        letters = [c for c in text if c.isalpha()]
        if letters and all(c.isupper() for c in letters):
            text = _sentence_case(text, " ".join(line.text for line in self.lines if line.number != number))
            self.notes.warn("title", "the sheet writes the title in capitals: only its first letter is kept "
                                     "capital; restore the capitals of names", number)
        return text

    def _end_of_summary(self, start):
        stops = (words.TAKE_ACTION, words.RECOMMENDED_ACTION, words.APPEALS_TO, words.ADDITIONAL_INFORMATION,
                 words.PREFERRED_LANGUAGE, words.NAME_AND_PRONOUN)
        for index in range(start, len(self.lines)):
            if any(stop.match(self.folded[index]) for stop in stops) or is_label_line(self.lines[index]) \
                    or self._is_greeting(index):
                return index
        return len(self.lines)

    def summary(self):
        """The paragraphs between the title and the action part (the older sheets' header of
        country and names left out)."""
        if self.title_index is None:
            return None
        start = self.title_index + 1
        end = self._end_of_summary(start)
        texts = []
        for paragraph in paragraphs(self.lines[start:end]):
            if all(_is_metadata(fold(line.text)) or words.GENDER_MARK.search(fold(line.text)) for line in paragraph):
                continue
            text = " ".join(line.text for line in paragraph)
            if len(text) > 40:
                texts.append(text)
        if not texts:
            self.notes.warn("summary", "no paragraphs about the case were found before the action part")
            return None
        summary = "\n\n".join(texts)
        if len(summary) > MAX_SUMMARY:
            self.notes.warn("summary", f"the case's paragraphs are longer than {MAX_SUMMARY:,} characters: cut "
                                       "there", self.lines[start].number)
            summary = summary[:MAX_SUMMARY].rstrip()
        return summary

    def _region_end(self, start):
        stops = (words.ADDITIONAL_INFORMATION, words.PREFERRED_LANGUAGE, words.NAME_AND_PRONOUN, _DIPLOMATIC,
                 words.CLOSING)
        for index in range(start, len(self.lines)):
            folded = self.folded[index]
            if self._is_greeting(index) or (any(stop.match(folded) for stop in stops)
                                            and not is_label_line(self.lines[index])):
                return index
            if any(phrase.search(folded) for phrase in words.DEADLINE_PHRASES):
                return index
        return len(self.lines)

    def officials(self):
        """(targets, copies) as :class:`Official`, ids given to the targets."""
        appeals = self.first(words.APPEALS_TO)
        action = self.first(words.TAKE_ACTION)
        recommended = self.first(words.RECOMMENDED_ACTION)
        if appeals is not None:
            start = appeals
        elif action is not None:
            start = action
        elif recommended is not None:
            start = recommended
        else:
            start = self._end_of_summary(0)
        if start >= len(self.lines):
            return [], []
        start = self._after_heading(start)
        end = self._region_end(start)
        copies_at = self.first(words.COPIES_TO, start, end)
        target_lines = self.lines[start:copies_at if copies_at is not None else end]
        targets = read_officials(target_lines, self.notes, "targets", self.language)
        copies = []
        if copies_at is not None:
            copies_start = self._after_heading(copies_at)
            copies_end = self._region_end(copies_start)
            copies = read_officials(self.lines[copies_start:copies_end], self.notes, "copies_to", self.language)
        for name, officials, most in (("targets", targets, MAX_TARGETS), ("copies_to", copies, MAX_COPIES)):
            if len(officials) > most:
                self.notes.warn(name, f"{len(officials)} were found; the first {most} are kept", None)
                del officials[most:]
        _give_ids(targets)
        return targets, copies

    def _after_heading(self, index):
        """The line after a heading such as ``APPEALS TO:``; the same line if text follows the colon."""
        text = self.lines[index].text
        rest = text.split(":", 1)[1].strip() if ":" in text else ""
        return index if rest and len(rest) > 3 and not words.TAKE_ACTION.match(self.folded[index]) else index + 1

    def letter(self):
        """(the greeting's index, the letter's language, the sample letter) or (None, None, None)."""
        action = self.first(words.TAKE_ACTION) or self.first(words.APPEALS_TO) or 0
        greeting = None
        for index in range(action, len(self.lines)):
            if self._is_greeting(index):
                greeting = index
                break
        if greeting is None:
            return None, self.language, None
        closing = self.first(words.CLOSING, greeting + 1)
        stop = closing + 1 if closing is not None else self._letter_end(greeting + 1)
        letter = "\n\n".join(" ".join(line.text for line in paragraph)
                             for paragraph in paragraphs(self.lines[greeting:stop]))
        language = next((code for start, code in words.GREETING_LANGUAGE.items()
                         if self.folded[greeting].startswith(start)), self.language)
        if closing is None:
            self.notes.warn("letter", "the sample letter has no closing such as 'Sincerely,': it was read up to "
                                      "the next part of the sheet", self.lines[greeting].number)
        if len(letter) > MAX_LETTER:
            self.notes.warn("letter", f"the sample letter is longer than {MAX_LETTER:,} characters: cut there",
                            self.lines[greeting].number)
            letter = letter[:MAX_LETTER].rstrip()
        self.greeting = (self.lines[greeting].text, self.lines[greeting].number)
        return greeting, language, letter

    def _is_greeting(self, index):
        """``Dear Governor,``: a greeting word, a comma or colon or a blank line after it (the older
        sheets' ``Señor Álvaro Uribe Vélez`` heads an address instead)."""
        line = self.lines[index]
        if not words.GREETING.match(self.folded[index]) or is_label_line(line) or len(line.text) >= 120:
            return False
        after = self.lines[index + 1] if index + 1 < len(self.lines) else None
        return line.text.endswith((",", ":")) or after is None or after.blank

    def _letter_end(self, start):
        stops = (words.ADDITIONAL_INFORMATION, words.PREFERRED_LANGUAGE, words.NAME_AND_PRONOUN)
        for index in range(start, len(self.lines)):
            if any(stop.match(self.folded[index]) for stop in stops) or \
                    any(phrase.match(self.folded[index]) for phrase in words.DEADLINE_PHRASES):
                return index
        return len(self.lines)

    def letter_language(self, letter_language):
        """[the language to address the officials in]: from the sheet, else the letter's, with a warning."""
        index = self.first(words.PREFERRED_LANGUAGE)
        if index is not None:
            value = self.folded[index][words.PREFERRED_LANGUAGE.match(self.folded[index]).end():]
            if not value.strip(" :.") and self.next_text(index) is not None:
                index = self.next_text(index)
                value = self.folded[index]
            codes = _language_codes(value)
            if codes:
                if len(codes) > 1:
                    self.notes.warn("letter_language", f"the sheet names several languages ({', '.join(codes)}): "
                                                       f"the first, {codes[0]}, is kept", self.lines[index].number)
                return codes[:1]
            self.notes.warn("letter_language", f"'{self.lines[index].text}' names no language this importer knows",
                            self.lines[index].number)
        index, match = self.search(words.OWN_LANGUAGE)
        if match:
            codes = _language_codes(match.group(1))
            if codes:
                return codes[:1]
        fallback = letter_language or self.language
        self.notes.warn("letter_language", f"the language to address the officials in was not found: the sample "
                                           f"letter's ({fallback}) is proposed")
        return [fallback]

    def deadline(self, now, issued):
        for index, folded in enumerate(self.folded):
            for phrase in words.DEADLINE_PHRASES:
                match = phrase.search(folded)
                if not match:
                    continue
                text = self.lines[index].text[match.end():]
                number = self.lines[index].number
                found = find_dates(text, month_first=self._month_first())
                if not found and self.next_text(index) is not None:
                    later = self.next_text(index)
                    found, number = find_dates(self.lines[later].text, self._month_first()), self.lines[later].number
                if not found:
                    self.notes.warn("deadline", f"'{self.lines[index].text}' gives no date this importer can read",
                                    number)
                    return None
                day, doubt = complete(found[0], issued or now.date())
                if doubt:
                    self.notes.warn("deadline", f"{doubt}: read as {day.isoformat()}", number)
                if day < now.date():
                    self.notes.warn("deadline", f"{day.isoformat()} has passed: a campaign needs a deadline in the "
                                                "future; set a new one before creating it", number)
                return day
        self.notes.warn("deadline", "no deadline was found (such as 'PLEASE TAKE ACTION AS SOON AS POSSIBLE "
                                    "UNTIL: July 15, 2022')")
        return None

    def _month_first(self):
        text = " ".join(self.folded)
        if words.DAY_FIRST_HINT.search(text):
            return False
        if words.MONTH_FIRST_HINT.search(text):
            return True
        # "July 15, 2022" elsewhere in the sheet: its author writes the month first
        return bool(re.search(r"\b(january|february|march|april|may|june|july|august|september|october|november"
                              r"|december) \d{1,2}(?:st|nd|rd|th)?,? \d{4}", text))

    def _salutations(self, targets, letter):
        if not letter or not targets:
            return
        greeting, number = self.greeting
        plain_greeting = greeting.rstrip(",:;").strip()
        for position, official in enumerate(targets):
            where = f"targets[{position}].salutation"
            if not official.salutation:
                if _greets(plain_greeting, official):
                    official.salutation = plain_greeting
                    self.notes.warn(where, f"not given beside {official.name}: taken from the sample letter's "
                                           f"greeting, '{plain_greeting}'", number)
                else:
                    self.notes.warn(where, f"no salutation was found for {official.name}",
                                    official.lines.get("name"))
            elif _key(official.salutation) != _key(plain_greeting):
                self.notes.warn(where, f"'{official.salutation}' differs from the sample letter's greeting, "
                                       f"'{plain_greeting}' (line {number}): a letter to {official.name} needs its "
                                       "own greeting", official.lines.get("salutation"))


# -- helpers -------------------------------------------------------------------------------

def _language(folded_text: str) -> str:
    scores = {code: len(re.findall(pattern, folded_text)) for code, pattern in words.LANGUAGE_MARKERS.items()}
    return max(words.LANGUAGES, key=lambda code: scores[code])


@lru_cache(maxsize=None)
def _language_names() -> dict:
    names = {}
    for code in words.LANGUAGES:
        cldr = json.loads((LOCALES_DIR / code / "cldr.json").read_text(encoding="utf-8"))
        for language, name in cldr["languages"].items():
            names.setdefault(fold(name), language)
    return names


def _language_codes(folded_value: str) -> list[str]:
    names = _language_names()
    codes = []
    for word in re.split(r"[\s,;/.()]+|\bor\b|\bo\b|\bou\b|\band\b|\by\b|\bet\b", folded_value):
        code = names.get(word.strip())
        if code and code not in codes:
            codes.append(code)
    return codes


def _is_metadata(folded: str) -> bool:
    """A line of the sheet's header: its reference, index, date or publication mark."""
    if len(folded) > 120:
        return False
    found = find_dates(folded)
    if found and len(folded.strip()) - (found[0].end - found[0].start) <= 2:
        return True
    return bool(_INDEX.search(folded.upper()) or _INDEX_LABEL.search(folded) or _DATE_LABEL.search(folded)
                or re.fullmatch(r"(public|publico|publique|externo|external|document public)\b.*", folded)
                or (re.fullmatch(r"(?:ua|au)\s*:?\s*\d{1,4}\s*[/.]\s*\d{2,4}\b.*", folded) and len(folded) < 60
                    and not re.search(r"[a-z]{4,}", folded[10:]))
                or re.fullmatch(r"[\d\s/.\-]+", folded))


def _format_reference(match, language) -> str:
    word, number, separator, year = match.group(1), match.group(2), match.group(3), match.group(4)
    prefix = {"ua": "UA", "au": "AU", "urgent action": "UA"}.get(word, "AU")
    return f"{prefix} {int(number)}{separator}{year}"


def _same_reference(one: str, other: str) -> bool:
    return reference_key(one) == reference_key(other)


def reference_key(reference: str) -> tuple | None:
    """``UA 47/22``, ``UA 47.22`` and ``AU 47/2022`` -> (47, 22): the same Urgent Action."""
    match = re.search(r"(\d{1,4})\s*[/.]\s*(\d{2}(?:\d{2})?)\b", reference or "")
    return (int(match.group(1)), int(match.group(2)) % 100) if match else None


def _suggested_id(reference, earlier, title, notes) -> str:
    key = reference_key(reference or "")
    if key:
        suffix = ""
        if earlier and "FI" in (reference or ""):
            ordinal = re.search(r"FI ?(\d)", reference)
            suffix = f"-fi-{ordinal.group(1)}" if ordinal else "-fi"
        return f"ua-{key[0]}-{key[1]:02d}{suffix}"
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title or "campaign"))[:60].strip("-")
    return slug if len(slug) >= 3 else "new-campaign"


def _give_ids(targets: list[Official]) -> None:
    seen = {}
    for official in targets:
        base = role_id(official.role, official.salutation, official.name)
        seen[base] = seen.get(base, 0) + 1
        official.id = base if seen[base] == 1 else f"{base}-{seen[base]}"[:40]


def _actions(targets, notes) -> list[str]:
    actions = []
    if any(o.address for o in targets):
        actions.append("letter")
    if any(o.emails for o in targets):
        actions.append("email")
    if any(o.faxes for o in targets):
        actions.append("fax")
    if any(o.phones for o in targets):
        actions.append("call")
    if any(network == "x" for o in targets for network, _ in o.social):
        actions.append("tweet")
    if not actions:
        notes.warn("actions", "no address, email, fax, phone or X handle was found for any official: 'letter' "
                              "is proposed")
        actions = ["letter"]
    return actions


def _sentence_case(title: str, elsewhere: str) -> str:
    """``JOURNALIST HELD IN VERACRUZ`` -> ``Journalist held in Veracruz``: a word keeps its
    capital where the rest of the sheet writes it so more often than not."""
    out = []
    for position, word in enumerate(title.split(" ")):
        lower = word.lower()
        capital = lower[:1].upper() + lower[1:]
        capitals = len(re.findall(rf"\b{re.escape(capital)}\b", elsewhere))
        lowers = len(re.findall(rf"\b{re.escape(lower)}\b", elsewhere))
        out.append(capital if position == 0 or (capitals > lowers and lower.isalpha()) else lower)
    return " ".join(out)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def _greets(greeting: str, official: Official) -> bool:
    """Whether the letter's greeting is addressed to ``official`` (by surname or title)."""
    greeting = _key(greeting)
    surname = _key(official.name).split()[-1:] if official.name else []
    if surname and re.search(rf"\b{re.escape(surname[0])}\b", greeting):
        return True
    role_word = _key(official.role).split()[:1]
    return bool(role_word) and re.search(rf"\b{re.escape(role_word[0])}\b", greeting) is not None


_FIELD_ORDER = ("reference", "index", "issued_on", "title", "summary", "people", "deadline", "timezone", "targets",
                "copies_to", "letter", "letter_language", "languages", "actions", "follow_up_of")


def _ordered(body: dict) -> dict:
    return {name: body[name] for name in _FIELD_ORDER if name in body}


def parse_day(text: str) -> date | None:
    found = find_dates(text)
    return found[0].day if found else None
