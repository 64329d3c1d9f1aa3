"""The survey page's words, markup and form reading (no browser needed for these)."""

import pytest
from feedback_svc.domain.errors import InvalidInput
from feedback_svc.entrypoints.page_copy import COPY
from feedback_svc.entrypoints.pages import answer_from_form, form_errors, message_page, survey_form


def test_every_language_has_every_phrase():
    assert set(COPY["de"]) == set(COPY["en"])


def test_the_form_labels_every_control_and_needs_no_script():
    html = survey_form("en", token="tok", order_id="ord_<b>1", values={}, errors={}).body.decode()
    assert "<script" not in html
    assert 'lang="en"' in html and "ord_&lt;b&gt;1" in html  # escaped, never markup
    for control in ("csat-1", "csat-5", "nps", "accuracy", "timeliness", "communication", "comment"):
        assert f'<label class="choice" for="{control}"' in html or f'<label for="{control}"' in html
        assert f'id="{control}"' in html
    assert '<form method="post"' in html and 'maxlength="2000"' in html


def test_the_german_page_speaks_german_and_keeps_the_links_secret():
    response = survey_form("de", token="tok", order_id="ord_1", values={}, errors={})
    html = response.body.decode()
    assert 'lang="de"' in html and "Wie zufrieden sind Sie mit dieser Bestellung?" in html
    assert response.headers["referrer-policy"] == "no-referrer" and response.headers["cache-control"] == "no-store"


def test_a_refusal_is_a_readable_page_with_its_status():
    response = message_page("en", "expired", status_code=410)
    assert response.status_code == 410 and "This survey has closed" in response.body.decode()


def test_the_form_reads_into_an_answer():
    answer = answer_from_form({"csat": "5", "nps": "9", "accuracy": "4", "timeliness": "", "communication": "3", "comment": " ok "})
    assert (answer.csat, answer.nps, answer.aspects, answer.comment) == (5, 9, {"accuracy": 4, "communication": 3}, "ok")
    bare = answer_from_form({"csat": "2", "nps": "", "comment": "   "})
    assert (bare.nps, bare.aspects, bare.comment) == (None, None, None)


@pytest.mark.parametrize(
    ("values", "part"),
    [({}, "csat"), ({"csat": "6"}, "csat"), ({"csat": "x"}, "csat"), ({"csat": "3", "nps": "11"}, "nps"),
     ({"csat": "3", "accuracy": "-1"}, "aspects"), ({"csat": "3", "comment": "y" * 2001}, "comment")],
)
def test_a_bad_form_value_is_shown_next_to_its_part_of_the_form(values, part):
    with pytest.raises(InvalidInput) as refused:
        answer_from_form(values)
    assert list(form_errors("en", refused.value)) == [part]
