"""The action kit's links, built in Python from the campaign (chalicelib.supporters.kit):
RFC 6068 mailto: links of at most 2,000 characters carrying the sample letter with the
official's salutation (UA 47.22's full letters: English and Spanish fit, French does not),
tel: links, and posts within each network's limit."""
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.campaign import parse_campaign
from chalicelib.domain.officials import Social, Target
from chalicelib.supporters import kit
from tools.run_local import seed_body

NOW = datetime(2026, 1, 10, 12, tzinfo=timezone.utc)
UA = parse_campaign("ua-47-22", seed_body(NOW, 30), NOW)   # as `make run` seeds it: letters en, es, fr
REST = "[The rest of the letter is on https://www.example.org/ua: copy it here before you send this email.]"


def fields(href):
    """A mailto: link's address and its decoded subject, body (and cc)."""
    parts = urlsplit(href)
    assert parts.scheme == "mailto"
    query = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    return unquote(parts.path), query


def emails(language):
    built = kit.action_kit(UA, language, REST)
    return {item.target.id: next(c for c in item.channels if c.kind == "email") for item in built.targets}


@pytest.mark.parametrize("language", ["en", "es"])
def test_ua_47_22s_letter_in_english_and_spanish_fits_whole_with_each_officials_salutation(language):
    for target_id, email in emails(language).items():
        address, query = fields(email.href)
        target = UA.target(target_id)
        assert email.whole and len(email.href) <= kit.MAILTO_LIMIT
        assert address == target.emails[0] and query["subject"] == "Marino Alvarado, Alfredo Infante"
        letter = UA.letter[language]
        assert query["body"] == kit.addressed(letter, target.salutation).replace("\n", "\r\n")
        assert query["body"].startswith(target.salutation + ",\r\n\r\n")
        assert query["body"].endswith(letter.split("\n\n")[-1])   # down to the closing
    assert len(emails("es")["governor"].href) > 1900   # near the limit: these letters only just fit


def test_ua_47_22s_french_letter_does_not_fit_so_the_link_carries_the_opening_and_says_where_the_rest_is():
    for target_id, email in emails("fr").items():
        _, query = fields(email.href)
        paragraphs = query["body"].split("\r\n\r\n")
        letter = UA.letter["fr"].split("\n\n")
        assert not email.whole and len(email.href) <= kit.MAILTO_LIMIT
        assert paragraphs[0] == UA.target(target_id).salutation + ","     # the salutation
        assert paragraphs[1] == letter[1]                                 # and the opening
        assert paragraphs[-1] == REST and len(paragraphs) < len(letter) + 1
        assert paragraphs[1:-1] == letter[1:len(paragraphs) - 1]          # whole paragraphs, in order


def test_the_page_offers_the_whole_letter_in_the_letter_language_and_the_pages():
    assert [code for code, _ in kit.action_kit(UA, "fr", REST).letters] == ["es", "fr"]
    assert [code for code, _ in kit.action_kit(UA, "ar", REST).letters] == ["es"]   # no Arabic letter
    english_only = replace(UA, letter={"en": UA.letter["en"]})
    assert [code for code, _ in kit.action_kit(english_only, "ar", REST).letters] == ["en"]
    assert kit.mail_language(UA, "ar") == "es" and kit.mail_language(english_only, "fr") == "en"
    assert kit.mail_language(replace(UA, letter={}), "en") is None


def test_mailto_links_percent_encode_every_reserved_character_per_rfc_6068():
    href, whole = kit.mailto("a+b@example.org", "UA 47.22 & more?", "Dear #1,\n\n100% = é & ?x=y", REST,
                             copies=("embassy@example.org",))
    assert whole and href.startswith("mailto:a+b@example.org?cc=embassy@example.org&subject=")
    assert "%0D%0A%0D%0A" in href and "%25" in href and "%C3%A9" in href and "%26" in href and "%23" in href
    assert " " not in href and "\n" not in href
    _, query = fields(href)
    assert query == {"cc": "embassy@example.org", "subject": "UA 47.22 & more?",
                     "body": "Dear #1,\r\n\r\n100% = é & ?x=y"}


def test_an_opening_too_long_for_any_link_is_cut_at_a_word():
    letter = "Dear Governor,\n\n" + "word " * 1000 + "\n\nSincerely,"
    href, whole = kit.mailto("gov@example.org", "Subject", letter, REST)
    _, query = fields(href)
    opening = query["body"].split("\r\n\r\n")[1]
    assert not whole and len(href) <= kit.MAILTO_LIMIT and opening.endswith(" …") and opening.startswith("word word")


@settings(max_examples=300, deadline=None)
@given(letter=st.text(min_size=1, max_size=3000), subject=st.text(max_size=200),
       copies=st.lists(st.just("x" * 60 + "@example.org"), max_size=12))
def test_any_letter_gives_a_link_within_the_limit_that_decodes_to_what_it_carries(letter, subject, copies):
    href, whole = kit.mailto("gov@example.org", subject, letter, REST, copies=tuple(copies))
    _, query = fields(href)
    assert len(href) <= kit.MAILTO_LIMIT
    if whole:
        assert query["body"] == letter.replace("\r\n", "\n").replace("\n", "\r\n")
    else:
        assert query["body"].endswith(REST)


def test_a_letters_own_greeting_gives_way_to_the_officials_salutation():
    assert kit.addressed("Estimado señor:\n\nLe escribo.", "Dear Ambassador") == "Dear Ambassador,\n\nLe escribo."
    assert kit.addressed("Le escribo.\n\nAtentamente,", "Señor Gobernador:") == \
        "Señor Gobernador:\n\nLe escribo.\n\nAtentamente,"
    assert kit.addressed("Dear all,\n\nText.", "") == "Dear all,\n\nText."


def test_phones_and_faxes_are_tel_links_and_tick_calls_and_faxes():
    ambassador = next(item for item in kit.action_kit(UA, "en", REST).targets if item.target.id == "ambassador")
    by_kind = {channel.kind: channel for channel in ambassador.channels}
    assert (by_kind["phone"].href, by_kind["phone"].action) == ("tel:2125572055", "call")
    assert (by_kind["fax"].href, by_kind["fax"].action) == ("tel:2125573528", "fax")
    assert by_kind["email"].action == "email" and by_kind["social"].action == "tweet"


def test_a_post_names_the_official_the_people_the_ask_and_the_reference_within_xs_limit():
    governor = next(item for item in kit.action_kit(UA, "en", REST).targets if item.target.id == "governor")
    post = next(channel for channel in governor.channels if channel.kind == "social")
    text = parse_qs(urlsplit(post.href).query)["text"][0]
    assert post.href.startswith("https://x.com/intent/tweet?text=") and post.compose
    assert text.startswith("@rafaellacava10 We call on you to drop the lawsuit against Marino Alvarado and "
                           "Alfredo Infante") and text.endswith(" UA 47.22")
    assert kit.post_length("x", text) <= 280


@pytest.mark.parametrize("network, handle, starts, compose", [
    ("bluesky", "amnesty.bsky.social", "https://bsky.app/intent/compose?text=%40amnesty.bsky.social%20", True),
    ("threads", "amnesty", "https://www.threads.com/intent/post?text=%40amnesty%20", True),
    ("mastodon", "amnesty@mastodon.social", "https://mastodon.social/@amnesty", False),
    ("facebook", "amnesty", "https://www.facebook.com/amnesty", False),
    ("telegram", "amnesty", "https://t.me/amnesty", False),
])
def test_each_network_gets_its_compose_page_or_the_officials_profile(network, handle, starts, compose):
    message = kit.post_message(network, handle, kit.ask_of(UA.letter["fr"]), ["Marino Alvarado"], "UA 47.22")
    href, composes = kit.social_link(network, handle, message)
    assert href.startswith(starts) and composes is compose
    assert kit.post_length(network, message) <= kit.POST_LIMITS.get(network, 280)


def test_a_long_ask_is_shortened_at_a_word_and_non_latin_text_counts_double_on_x():
    message = kit.post_message("x", "gobernador", "请 " * 300, ["Ana"], "UA 1.23")
    assert kit.post_length("x", message) <= 280 and message.endswith("… UA 1.23") and "Ana: " in message


def test_channels_the_campaign_does_not_count_tick_nothing_and_copies_are_cced():
    letters_only = replace(UA, actions=("letter",), copies_to=(Target("", "Embassy", emails=("emb@example.org",)),),
                           targets=(replace(UA.targets[0], social=(Social("x", "gov"),), contact_url="https://x.org"),))
    channels = kit.action_kit(letters_only, "en", REST).targets[0].channels
    assert {channel.action for channel in channels} == {None}
    assert fields(channels[0].href)[1]["cc"] == "emb@example.org"
