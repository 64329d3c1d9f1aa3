"""The simulated customer reads the survey page's form as a browser does and posts what a person
who picked a rating would post."""

from __future__ import annotations

import pytest
from orderpulse.simulator.survey_form import fill_in, read_form

PAGE = """<!doctype html><html><body>
<form method="get" action="/search"><input name="q"></form>
<form method="post" accept-charset="utf-8">
  <input type="hidden" name="lang" value="de">
  <fieldset>{radios}</fieldset>
  <select id="nps" name="nps"><option value="">-</option>{nps}</select>
  <select name="accuracy"><option value="">-</option>{five}</select>
  <textarea id="comment" name="comment" rows="5"></textarea>
  <button type="submit">Send</button>
</form></body></html>""".format(
    radios="".join(f'<input type="radio" name="csat" value="{n}" required>' for n in range(1, 6)),
    nps="".join(f'<option value="{n}">{n}</option>' for n in range(11)),
    five="".join(f'<option value="{n}">{n}</option>' for n in range(1, 6)),
)


def test_the_form_that_posts_is_found_with_its_action_defaulting_to_the_page_itself():
    form = read_form(PAGE, "/surveys/tok123")
    assert form is not None
    assert form.action == "/surveys/tok123"
    assert form.choices["csat"] == ["1", "2", "3", "4", "5"]


def test_a_person_picks_a_rating_and_the_rest_is_posted_as_the_browser_has_it():
    body = fill_in(read_form(PAGE, "/surveys/tok123"), csat=4, nps=9, comment="All good.")
    assert body == {"lang": "de", "csat": "4", "nps": "9", "accuracy": "", "comment": "All good."}


def test_an_unanswered_optional_question_is_posted_empty():
    body = fill_in(read_form(PAGE, "/surveys/tok123"), csat=2, nps=None, comment=None)
    assert body["csat"] == "2" and body["nps"] == "" and body["comment"] == ""


def test_a_relative_action_is_resolved_against_the_page():
    form = read_form('<form method="POST" action="answer"><input type="radio" name="r" value="1"></form>',
                     "/surveys/abc/")
    assert form.action == "/surveys/abc/answer"


def test_a_page_without_a_rating_cannot_be_answered():
    form = read_form('<form method="post"><textarea name="comment"></textarea></form>', "/surveys/x")
    with pytest.raises(ValueError, match="1-5 rating"):
        fill_in(form, csat=5, nps=None, comment=None)
