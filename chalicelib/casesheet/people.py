"""The people at risk: ``NAME AND PRONOUN:`` on the current sheets, the header line
(``MEXICO  Juan Pérez García (m), 34``) on the older ones, else the names in bold in the
sample letter, with a warning saying where they came from."""
import re

from chalicelib.casesheet import vocabulary as words
from chalicelib.casesheet.source import fold

_PRONOUN_WORDS = re.compile(r"^(?:(?:he|him|his|she|her|hers|they|them|their|theirs|ze|zir|xe|el|ella|elle|il|iel"
                            r"|ils|elles|ellos|ellas|lui|any|all|individually|individualmente|individuellement"
                            r"|pronouns?|pronombres?|pronoms?)\b[\s/,.()]*)+$")
_NAMED = re.compile(r"([^();,]+?)\s*\(([^)]*)\)")
_BOLD = re.compile(r"\*\*([^*\n]{3,80}?)\*\*|__([^_\n]{3,80}?)__")
_INDIVIDUALLY = re.compile(r"\(([^)]*?)\s*(?:individually|individualmente|individuellement)\)")
_LIST_SPLIT = re.compile(r"\s*(?:;|,|\band\b|\by\b|\bet\b|&)\s*")


def read_people(sheet, letter) -> list[dict]:
    """``[{"name", "pronouns"}]`` as the sheet names them; warnings for what is missing."""
    notes = sheet.notes
    index = sheet.first(words.NAME_AND_PRONOUN)
    if index is not None:
        line = sheet.lines[index]
        value = line.text[words.NAME_AND_PRONOUN.match(sheet.folded[index]).end():].strip(" :")
        people = _named(value)
        if people:
            return people
        if _PRONOUN_WORDS.match(fold(value)):
            individually = _INDIVIDUALLY.search(value)
            pronouns = individually.group(1).strip() if individually else value.strip(" .")
            names = _bold_names(sheet, letter)
            if names:
                notes.warn("people", f"the NAME AND PRONOUN line gives pronouns only; the names are those in bold "
                                     f"in the sample letter ({', '.join(names)})", line.number)
                return [{"name": name, "pronouns": pronouns} for name in names]
            notes.warn("people", "the NAME AND PRONOUN line gives pronouns only, and no names were found",
                       line.number)
            return []
        names = [name for name in _LIST_SPLIT.split(value) if name.strip()]
        notes.warn("people", "no pronouns are given beside the names", line.number)
        return [{"name": name.strip(" ."), "pronouns": ""} for name in names]
    people = _header_people(sheet)
    if people:
        return people
    names = _bold_names(sheet, letter)
    if names:
        notes.warn("people", f"the sheet has no NAME AND PRONOUN line: the names in bold in the sample letter are "
                             f"proposed ({', '.join(names)}), without pronouns")
        return [{"name": name, "pronouns": ""} for name in names]
    notes.warn("people", "no one at risk was named (a NAME AND PRONOUN line, or names in the sheet's header)")
    return []


def _named(value: str) -> list[dict]:
    """``Marino Alvarado (he/him), Alfredo Infante (he/him)`` -> both, with pronouns."""
    people = []
    for match in _NAMED.finditer(value):
        name = re.sub(r"^(?:and|y|et|&)\s+", "", match.group(1).strip(" ,;"), flags=re.I)
        if name and not _PRONOUN_WORDS.match(fold(name)) and any(c.isupper() for c in name):
            people.append({"name": name, "pronouns": match.group(2).strip()})
    return people


def _bold_names(sheet, letter) -> list[str]:
    names = []
    start = sheet.first(words.GREETING) or 0
    for line in sheet.lines[start:]:
        for match in _BOLD.finditer(line.raw):
            name = (match.group(1) or match.group(2)).strip()
            parts = name.split()
            if 2 <= len(parts) <= 5 and all(p[:1].isupper() or p in ("de", "del", "la", "y") for p in parts) \
                    and name not in names and not any(c.isdigit() for c in name) and not name.isupper():
                names.append(name)
        if names and words.CLOSING.match(fold(line.text)):
            break
    return names


def _header_people(sheet) -> list[dict]:
    """The older sheets: after the ``UA 219/06  Fear for safety`` line, ``COUNTRY  Name (m), 34, ...``."""
    for index, folded in enumerate(sheet.folded[:40]):
        if not (re.match(r"^(?:ua|au)\s*:?\s*\d{1,4}/\d{2}\b", folded) or words.FURTHER_INFORMATION.match(folded)):
            continue
        people = []
        for line in sheet.lines[index + 1:index + 12]:
            if line.blank:
                if people:
                    break
                continue
            text = re.sub(r"^[A-ZÁÉÍÓÚÑÇ][A-ZÁÉÍÓÚÑÇ\s'-]{2,}\s{1,}(?=[A-ZÁÉÍÓÚÑ][a-zá-ÿ])", "", line.text)
            gender = words.GENDER_MARK.search(fold(text))
            if not gender:
                continue
            name = text[:gender.start()].strip(" ,:")
            name = re.split(r"\s{2,}|\t", name)[-1].strip()
            mark = gender.group(1)[0]
            mark = "m" if mark in "mh" else "f"
            pronouns = words.PRONOUNS_OF_GENDER.get(sheet.language, words.PRONOUNS_OF_GENDER["en"])[mark]
            sheet.notes.warn(f"people[{len(people)}].pronouns", f"the sheet gives {name}'s gender as "
                             f"'{gender.group(0)}': '{pronouns}' is proposed; check how they wish to be named",
                             line.number)
            people.append({"name": name, "pronouns": pronouns})
        if people:
            return people
    return []
