"""The console's JSON and form bodies (the pages themselves are not in the document).

A body the API also takes is validated with the API's shape: a ban form with
``BanInput`` (``BAN``), an unban or reset form with ``UserActionInput``
(``USER_ACTION``), so both front doors follow one rule. ``form_body`` turns a
form's strings into the JSON values those shapes take.
"""

from collections.abc import Mapping
from typing import Any

from typing_extensions import TypedDict

from .api import BAN, USER_ACTION, DecisionFields
from .kinds import Id, Schema


class ConsoleLogin(TypedDict):
    moderator: Id(max_length=100)


class ConsoleDecision(DecisionFields):
    """A decision posted by the console (the moderator is the signed-in one)."""

    comment_id: Id()


class ConsoleUndo(TypedDict):
    comment_id: Id()


#: The longest number of seconds a form may give (ten years is 9 digits).
_DIGITS_MAX = 12


def form_body(form: Mapping[str, str], schema: Schema) -> dict[str, Any]:
    """Return the fields of ``schema`` a form gives, as JSON would give them: ``duration_s`` a number of seconds (empty:
    left out); what is not a number stays a string, for the validation to refuse it as one. The moderator is the
    signed-in one, never the form's."""
    body: dict[str, Any] = {name: value for name, value in form.items() if name in schema and name != "moderator"}
    duration = body.pop("duration_s", "")
    if duration:
        body["duration_s"] = int(duration) if duration.isdigit() and len(duration) <= _DIGITS_MAX else duration
    return body


CONSOLE_LOGIN = Schema(ConsoleLogin)
CONSOLE_DECISION = Schema(ConsoleDecision)
CONSOLE_UNDO = Schema(ConsoleUndo)
#: The ban and user action forms: the API's own shapes.
CONSOLE_BAN = BAN
CONSOLE_USER_ACTION = USER_ACTION
