from datetime import UTC, datetime, timedelta

import pytest
from feedback_svc.domain.errors import SurveyExpired, SurveyNotFound
from feedback_svc.domain.locales import choose_language
from feedback_svc.domain.survey_links import SurveyLinks
from orderpulse.signed_tokens import TokenSigner

SECRET = "unit-test-survey-secret-0123456789"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def token_of(url: str) -> str:
    return url.rsplit("/surveys/", 1)[1]


def test_a_link_names_its_survey_under_the_public_url_until_it_expires():
    links = SurveyLinks(SECRET, public_url="https://feedback.example.com/")
    url = links.url("srv_1", expires_at=NOW + timedelta(days=14))
    assert url.startswith("https://feedback.example.com/surveys/")
    assert links.survey_id(token_of(url), now=NOW + timedelta(days=13)) == "srv_1"
    with pytest.raises(SurveyExpired):
        links.survey_id(token_of(url), now=NOW + timedelta(days=14))


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "not-a-token",
        lambda token: "é" + token,
        lambda token: token + ".é",
        lambda token: TokenSigner(SECRET, purpose="tracking").sign("srv_1", expires_at=NOW + timedelta(days=1)),
        lambda token: TokenSigner("another-secret-0123456789", purpose="survey").sign("srv_1", expires_at=NOW + timedelta(days=1)),
    ],
)
def test_a_forged_link_finds_no_survey(forge):
    links = SurveyLinks(SECRET, public_url="https://f")
    token = token_of(links.url("srv_1", expires_at=NOW + timedelta(days=1)))
    with pytest.raises(SurveyNotFound):
        links.survey_id(forge(token), now=NOW)


@pytest.mark.parametrize(
    ("locale", "accept", "expected"),
    [
        ("de-DE", "en-US,en;q=0.9", "de"),
        ("de_AT", None, "de"),
        ("en-GB", "de", "en"),
        ("fr-FR", "fr, de;q=0.8, en;q=0.5", "de"),
        (None, "en;q=0.4, de;q=0.9", "de"),
        (None, "de;q=0", "en"),
        (None, None, "en"),
        ("", "garbage;;", "en"),
    ],
)
def test_the_page_speaks_the_customers_language_else_the_browsers_else_english(locale, accept, expected):
    assert choose_language(locale, accept) == expected
