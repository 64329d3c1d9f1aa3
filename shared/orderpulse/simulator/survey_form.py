"""Reading the survey page as a browser does: find its form (action, method, fields) and fill it
in with a rating, as a person would, into the url-encoded body the browser would post."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

TEXT_INPUTS = frozenset({"text", "hidden", "email", "search", ""})


@dataclass
class Form:
    action: str
    method: str
    values: dict[str, str] = field(default_factory=dict)  # hidden and pre-filled fields, as the page gives them
    choices: dict[str, list[str]] = field(default_factory=dict)  # radio groups and selects: name -> values
    texts: list[str] = field(default_factory=list)  # textareas and text inputs a person may type into


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=(a.get("method") or "get").lower()))
            return
        if tag == "option" and self._select and self.forms:
            form, value = self.forms[-1], a.get("value", "")
            if not form.choices[self._select] or "selected" in a:
                form.values[self._select] = value  # what the browser posts unless the person picks another
            form.choices[self._select].append(value)
            return
        if not self.forms or not a.get("name"):
            return
        form, name = self.forms[-1], a["name"]
        kind = a.get("type", "").lower()
        if tag == "input" and kind in ("radio", "checkbox"):
            form.choices.setdefault(name, []).append(a.get("value", "on"))
        elif tag == "input" and kind in TEXT_INPUTS:
            if kind == "hidden" or a.get("value"):
                form.values[name] = a.get("value", "")
            else:
                form.texts.append(name)
        elif tag == "textarea":
            form.texts.append(name)
            form.values[name] = ""  # an empty box is posted empty
        elif tag == "select":
            self._select = name
            form.choices[name] = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def read_form(html: str, page_path: str) -> Form | None:
    """The page's form that posts (its action resolved against the page's path), or None."""
    reader = _FormReader()
    reader.feed(html)
    for form in reader.forms:
        if form.method == "post":
            form.action = urljoin(page_path, form.action or page_path)
            return form
    return None


def fill_in(form: Form, csat: int, nps: int | None, comment: str | None) -> dict[str, str]:
    """The body a person's browser posts: the 1-5 rating in the group that offers 1..5 (the one
    named like csat first), the 0-10 one for nps if offered, the comment in the first text box."""
    body = dict(form.values)
    scale = {str(n) for n in range(1, 6)}
    rating = _group(form, "csat", lambda values: scale <= set(values) <= scale | {""})
    if rating is None:
        raise ValueError(f"the survey form offers no 1-5 rating (fields: {sorted(form.choices)})")
    body[rating] = str(csat)
    recommend = _group(form, "nps", lambda values: {str(n) for n in range(11)} <= set(values))
    if recommend is not None and nps is not None:
        body[recommend] = str(nps)
    if comment and form.texts:
        body[next((name for name in form.texts if "comment" in name.lower()), form.texts[0])] = comment
    return body


def _group(form: Form, hint: str, fits) -> str | None:
    named = [name for name in form.choices if hint in name.lower()]
    for name in named + [name for name in form.choices if name not in named]:
        if fits(form.choices[name]):
            return name
    return None
