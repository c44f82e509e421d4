"""The pasted text, checked and cleaned into numbered lines.

What staff paste comes from PDFs, web pages and e-mails: HTML instead of text, markdown
links, non-breaking spaces, share buttons. Each :class:`Line` keeps its number in the text
as pasted (after HTML is turned into text, in that text), so that warnings can say where.
"""
import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

from chalicelib.domain.errors import BodyTooLarge, ValidationFailed

MAX_TEXT_BYTES = 100_000
# Bounded repeats: a line of a thousand unclosed brackets stays linear.
_LINK = re.compile(r"!?\[([^\]\n]{0,500})\]\(([^)\s]{0,2000}(?:\s[^)\n]{0,200})?)\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1|(?<![\w*])\*(?!\s)([^*\n]+?)\*(?!\w)")
_HEADING_MARK = re.compile(r"^\s{0,3}#{1,6}\s+")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_TAG = re.compile(r"<(?:!doctype|html|head|body|div|p|br|span|table|tr|td|li|ul|ol|h[1-6]|a\s|strong|em)\b",
                       re.I)
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
           "footer", "table", "ul", "ol", "blockquote", "address", "hr"}


@dataclass(frozen=True)
class Line:
    number: int          # 1-based, in the text as pasted
    raw: str             # as pasted (markdown links and all), spaces tidied
    text: str            # plain: links become their text, emphasis marks go

    @property
    def blank(self) -> bool:
        return not self.text


def checked_text(text) -> str:
    """``text`` if it can be a case sheet, else a clear error (413 over MAX_TEXT_BYTES)."""
    if not isinstance(text, str):
        raise ValidationFailed({"text": "must be the case sheet's text, as a string"})
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationFailed({"text": "is not valid Unicode text (it has unpaired surrogates)"}) from None
    if size > MAX_TEXT_BYTES:
        raise BodyTooLarge(f"The case sheet is {size:,} bytes; at most {MAX_TEXT_BYTES:,} are read.",
                           fields={"text": f"must be at most {MAX_TEXT_BYTES:,} bytes"})
    if not text.strip():
        raise ValidationFailed({"text": "is empty: paste the case sheet's text"})
    controls = len(_CONTROL.findall(text))
    if "\x00" in text or controls > max(3, len(text) // 200) or text.count("\ufffd") > max(3, len(text) // 200):
        raise ValidationFailed({"text": "looks like a binary file or a wrong encoding, not text: open the case "
                                        "sheet, copy its text and paste that"})
    return text


def looks_like_html(text: str) -> bool:
    return len(_HTML_TAG.findall(text[:20_000])) >= 2


class _TextOfHtml(HTMLParser):
    """HTML to text: blocks become lines, links markdown (so that they read as pasted links)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip, self.links = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "noscript", "template"):
            self.skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n" if tag in ("p", "div", "h1", "h2", "h3", "h4", "table", "section") else "\n")
            if tag == "li":
                self.parts.append("- ")
        elif tag == "a":
            self.links.append((len(self.parts), dict(attrs).get("href") or ""))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript", "template"):
            self.skip = max(0, self.skip - 1)
        elif tag == "a" and self.links:
            start, href = self.links.pop()
            label = "".join(self.parts[start:]).strip()
            if href and not href.startswith("#"):
                self.parts[start:] = [f"[{label}]({href})"]
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(text: str) -> str:
    parser = _TextOfHtml()
    parser.feed(text)
    parser.close()
    return html.unescape("".join(parser.parts))


def plain(raw: str) -> str:
    """One line without markdown: ``[text](url)`` is ``text``, ``**bold**`` is ``bold``."""
    text = _LINK.sub(lambda m: m.group(1), raw)
    text = _HEADING_MARK.sub("", text)
    for _ in range(2):
        text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or "", text)
    return text.replace("**", "").strip()


def links(raw: str) -> list[tuple[str, str]]:
    """The markdown links of a line, as (text, url)."""
    return [(m.group(1).strip(), m.group(2).strip()) for m in _LINK.finditer(raw)]


def lines_of(text: str) -> list[Line]:
    """Numbered, tidied lines: one per line of ``text``."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    result = []
    for number, raw in enumerate(text.split("\n"), start=1):
        # the few control characters a sheet may carry (checked_text refuses more) are noise
        raw = _SPACES.sub(" ", _CONTROL.sub("", _INVISIBLE.sub("", raw.replace("\t", " ")))).strip()
        result.append(Line(number, raw, plain(raw)))
    return result


def fold(text: str) -> str:
    """Lower case without accents, for matching labels: ``ACCIÓN`` -> ``accion``. As long as
    ``text``, character for character, so that a match's span slices the original too."""
    return "".join(_fold_char(c) for c in text)


def _fold_char(char: str) -> str:
    if char in "’‘`´":
        return "'"
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else char.lower()[:1] or char
