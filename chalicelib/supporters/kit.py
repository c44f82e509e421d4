"""The action kit: how a supporter reaches each official from the form page, built from the
campaign alone (no request leaves the page, no third-party script).

* A ``mailto:`` link per email address (RFC 6068: every character but the unreserved ones
  percent-encoded, line breaks as CRLF) whose body is the sample letter addressed with the
  official's own salutation. Mail clients truncate or refuse long links, so a link is at
  most ``MAILTO_LIMIT`` characters: when the letter does not fit, the body keeps the
  greeting and as many opening paragraphs as fit, then says where the rest is (the page
  offers the whole letter to copy).
* A ``tel:`` link per phone and fax number.
* A link per social account: the network's own compose page, where it has a documented
  one (X's web intent, Bluesky's and Threads' compose intents), prefilled with a short
  message within the network's length limit; otherwise the official's profile, with the
  same message to copy.

Everything here is pure: strings in, strings out; the page's wording is passed in.
"""
import re
from dataclasses import dataclass
from urllib.parse import quote

from chalicelib.domain.campaign import Campaign
from chalicelib.domain.officials import Target

MAILTO_LIMIT = 2000   # characters: what mail clients are known to take whole
# The ones a post text may use (X weighs most characters outside Latin scripts double).
_X_SINGLE = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
NETWORK_NAMES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram", "tiktok": "TikTok",
                 "youtube": "YouTube", "linkedin": "LinkedIn", "bluesky": "Bluesky", "mastodon": "Mastodon",
                 "threads": "Threads", "telegram": "Telegram"}
# Compose pages that take a prefilled text, and each network's limit on a post.
_COMPOSE = {"x": "https://x.com/intent/tweet?text=", "bluesky": "https://bsky.app/intent/compose?text=",
            "threads": "https://www.threads.com/intent/post?text="}
POST_LIMITS = {"x": 280, "bluesky": 300, "threads": 500, "mastodon": 500}
_SHORT = 280          # "a short message" wherever a network allows more
_MENTIONS = ("x", "bluesky", "threads", "mastodon")   # where "@handle" in a post reaches the official
_PROFILES = {"facebook": "https://www.facebook.com/{}", "instagram": "https://www.instagram.com/{}/",
             "tiktok": "https://www.tiktok.com/@{}", "youtube": "https://www.youtube.com/@{}",
             "linkedin": "https://www.linkedin.com/in/{}", "telegram": "https://t.me/{}"}
_GREETING_END = (",", ":", "،", ";", "!")
_GREETING_MAX = 120   # characters: a first paragraph longer than this is the letter itself


@dataclass(frozen=True)
class Channel:
    """One way to reach an official: a link, what it says, and the report line it ticks."""
    kind: str              # email, phone, fax, social, web
    href: str
    shown: str             # the address, number or handle as the page shows it
    action: str | None     # the campaign's action it is (None: the campaign does not count it)
    network: str = ""      # social: the network's name
    message: str = ""      # social: the suggested post, to copy where it is not prefilled
    compose: bool = False  # social: the link opens a prefilled post
    whole: bool = True     # email: the link carries the whole letter


@dataclass(frozen=True)
class KitTarget:
    target: Target
    channels: tuple


@dataclass(frozen=True)
class Kit:
    targets: tuple         # of KitTarget
    letters: tuple         # (language code, text): the letter language's first, then the page's
    mail_language: str | None


def letter_languages(campaign: Campaign, page_language: str) -> tuple:
    """The letters to show: in the letter language and in the page's, where the campaign has
    them; if it has neither, its first."""
    codes = [code for code in (campaign.letter_language, page_language) if code in campaign.letter]
    if not codes and campaign.letter:
        codes = [next(iter(campaign.letter))]
    return tuple(dict.fromkeys(codes))


def mail_language(campaign: Campaign, page_language: str) -> str | None:
    """The letter an email carries: the page's language if the campaign has it, else the
    letter language's, else its first; None when it has no letter."""
    for code in (page_language, campaign.letter_language):
        if code in campaign.letter:
            return code
    return next(iter(campaign.letter), None)


def addressed(letter: str, salutation: str) -> str:
    """``letter`` opening with ``salutation``: in place of its own greeting if it has one."""
    if not salutation:
        return letter
    greeting = salutation if salutation.endswith(_GREETING_END) else salutation + ","
    paragraphs = _paragraphs(letter)
    if paragraphs and _is_greeting(paragraphs[0]):
        paragraphs = paragraphs[1:]
    return "\n\n".join([greeting, *paragraphs])


def mailto(address: str, subject: str, body: str, rest_note: str, copies: tuple = (),
           limit: int = MAILTO_LIMIT) -> tuple[str, bool]:
    """A ``mailto:`` link of at most ``limit`` characters, and whether it carries all of ``body``.

    When ``body`` does not fit, the link carries its first paragraphs (the greeting and the
    opening) as far as they fit, the last of them cut at a word if need be, then
    ``rest_note`` (which says where the rest is). ``copies`` (the diplomatic copies'
    addresses) go in ``cc`` while they take at most a quarter of the link; a subject too
    long for any body is cut at a word."""
    cc = quote(",".join(copies), safe="@,")
    cc = f"cc={cc}&" if copies and len(cc) <= limit // 4 else ""

    def link(text, subject=subject):
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return (f"mailto:{quote(address, safe='@+')}?{cc}subject={quote(subject, safe='')}"
                f"&body={quote(text, safe='')}")

    whole = link(body)
    if len(whole) <= limit:
        return whole, True
    subject = _shortened(subject, lambda words: len(link(rest_note, words)) <= limit // 2)
    paragraphs, kept = _paragraphs(body), []

    def fits(text):
        return len(link("\n\n".join([*kept, text, rest_note]), subject)) <= limit

    for paragraph in paragraphs:
        if not fits(paragraph):
            break
        kept.append(paragraph)
    if len(kept) < min(2, len(paragraphs)):   # not even the greeting and the opening: cut the next
        cut = _shortened(paragraphs[len(kept)], lambda words: fits(words + " …"))
        if cut:
            kept.append(cut + " …")
    return link("\n\n".join([*kept, rest_note]), subject), False


def _shortened(text: str, fits) -> str:
    """The longest start of ``text``, whole words, that ``fits``; "" if none does."""
    words = text.split()
    while words and not fits(" ".join(words)):
        words = words[:max(len(words) * 9 // 10, len(words) - 50, 0)] if len(words) > 60 else words[:-1]
    return " ".join(words)


def tel(number: str) -> str:
    """``tel:`` for a number kept as digits with an optional leading ``+``."""
    return f"tel:{number}"


def ask_of(letter: str) -> str:
    """What the letter asks for: its last paragraph of any length (UA letters end with the ask,
    then a closing formula, shorter than a greeting may be)."""
    paragraphs = _paragraphs(letter)
    if paragraphs and _is_greeting(paragraphs[0]):
        paragraphs = paragraphs[1:]
    long = [paragraph for paragraph in paragraphs if len(paragraph) > _GREETING_MAX]
    return " ".join((long or paragraphs or [""])[-1].split())


def post_length(network: str, text: str) -> int:
    """How long ``network`` counts ``text`` to be (X weighs most non-Latin characters double;
    code points are never fewer than Bluesky's graphemes)."""
    if network != "x":
        return len(text)
    return sum(1 if any(low <= ord(c) <= high for low, high in _X_SINGLE) else 2 for c in text)


def post_message(network: str, handle: str, ask: str, people: list, reference: str) -> str:
    """A short post to the official: their handle, the people at risk, the ask and the
    reference, within the network's limit (the ask is shortened at a word if need be)."""
    limit = POST_LIMITS.get(network, _SHORT)
    mention = f"@{handle} " if network in _MENTIONS else ""
    named = [person for person in people if person not in ask]
    lead = mention + (", ".join(named) + ": " if named else "")
    tail = f" {reference}" if reference else ""
    words = ask.split()
    text = lead + " ".join(words) + tail
    while words and post_length(network, text) > limit:
        words.pop()
        text = lead + " ".join(words).rstrip(",;:") + " …" + tail
    return text if post_length(network, text) <= limit else (lead + tail.strip())[:limit]


def social_link(network: str, handle: str, message: str) -> tuple[str, bool]:
    """The link for an account, and whether it opens ``message`` ready to post."""
    if network in _COMPOSE:
        return _COMPOSE[network] + quote(message, safe=""), True
    if network == "mastodon":
        user, _, server = handle.partition("@")
        return f"https://{server}/@{user}", False
    return _PROFILES.get(network, "https://{}").format(quote(handle, safe="")), False


def action_kit(campaign: Campaign, page_language: str, rest_note: str) -> Kit:
    """Every official's channels, and the letters to show, for a page in ``page_language``.

    ``rest_note`` (in the page's language) ends an email whose letter did not fit."""
    code = mail_language(campaign, page_language)
    letter = campaign.letter.get(code, "") if code else ""
    subject = ", ".join(person.name for person in campaign.people) or campaign.title
    ask = ask_of(letter) or campaign.title
    people = [person.name for person in campaign.people]
    counted = set(campaign.actions)
    copies = tuple(email for copy in campaign.copies_to for email in copy.emails)

    def action(kind):
        return kind if kind in counted else None

    targets = []
    for target in campaign.targets:
        channels = []
        body = addressed(letter, target.salutation) if letter else target.salutation
        for address in target.emails:
            href, whole = mailto(address, subject, body, rest_note, copies)
            channels.append(Channel("email", href, address, action("email"), whole=whole))
        channels += [Channel("phone", tel(number), number, action("call")) for number in target.phones]
        channels += [Channel("fax", tel(number), number, action("fax")) for number in target.faxes]
        for account in target.social:
            message = post_message(account.network, account.handle, ask, people, campaign.reference)
            href, compose = social_link(account.network, account.handle, message)
            channels.append(Channel("social", href, "@" + account.handle, action("tweet"),
                                    NETWORK_NAMES[account.network], message, compose))
        if target.contact_url:
            channels.append(Channel("web", target.contact_url, target.contact_url, action("email")))
        targets.append(KitTarget(target, tuple(channels)))
    letters = tuple((language, campaign.letter[language]) for language in letter_languages(campaign, page_language))
    return Kit(tuple(targets), letters, code)


def _paragraphs(text: str) -> list:
    return [paragraph.strip() for paragraph in re.split(r"\n\s*\n", text.strip()) if paragraph.strip()]


def _is_greeting(paragraph: str) -> bool:
    return "\n" not in paragraph and len(paragraph) <= _GREETING_MAX and paragraph.endswith(_GREETING_END)
