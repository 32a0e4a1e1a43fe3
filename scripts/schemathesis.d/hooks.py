"""Schemathesis hooks for scripts/schemathesis's main and platform runs (loaded by
schemathesis.toml and platform.toml).

Three things a fuzzer working from the schema cannot know are adjusted, and nothing else:

- The run acts as the sunny-days owner with a fixed access token. An owner may change or remove
  any membership of the centre, its own included once a second owner exists (the fuzzer can make
  one: an invitation with the owner role, or a member's roles changed), and a demoted, suspended
  or removed owner's token stops working at the next request, which would turn the rest of the
  run into 401s. So PATCH and DELETE /v1/members/{id} are fuzzed on every id but the owner's own
  membership (FUZZ_OWN_MEMBERSHIP_ID, which scripts/schemathesis reads from GET /v1/me/context).
- An `Idempotency-Key` sent again with another request is `422 idempotency.key_reused`, by design
  (docs/API.md). Generated keys repeat (Hypothesis favours short strings such as "0"), which would
  make valid requests fail for a reason no schema can state; so a valid (positive) case gets a key
  of its own. Invalid (negative) cases keep the key they were generated with.
- Some rules depend on the stored data, on today's date or on two fields at once, which JSON
  Schema cannot state: a schema-valid request breaking one is rightly `422 validation.failed`.
  Such a rejection of a valid case is dropped when every refused field names one of the codes in
  STATE_RULES (the run's summary counts what was dropped); any other code, status or check still
  fails the run.
"""

import itertools
import os

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

OWN_MEMBERSHIP_ID = os.environ.get("FUZZ_OWN_MEMBERSHIP_ID", "")
MEMBER_PATH = "/v1/members/{id}"
CHANGING = frozenset({"PATCH", "DELETE"})
IDEMPOTENCY_KEY = "idempotency-key"
# Unique to this run; the counter makes each key unique within it.
KEY_PREFIX = "fuzz-" + os.urandom(6).hex() + "-"
KEY_NUMBERS = itertools.count(1)

# The 422 field codes of rules no JSON Schema can state. The schema does state the shape of
# every id and role (typed-id patterns), the bounds of an age range and the date formats, so what
# these codes still refuse in a schema-valid request is only the part below. A code that also
# covers a rule the schema could state but does not must not be listed: fix the schema first.
STATE_RULES = frozenset(
    {
        # A well-formed id of something the centre does not have (or has archived).
        "announcement.unknown_room",
        "attendance.unknown_room",
        "child.unknown_room",
        "contact.unknown",
        "contact.unknown_user",
        "pickup.unknown_contact",
        "role.unknown",
        "staff.unknown_room",
        "staff.unknown_user",
        # A file id that is not a confirmed upload of the roster_import purpose.
        "import.not_a_roster",
        # Who calls: a clock-in or clock-out without `staff_id` is the caller's own, and the
        # caller needs a staff record for it.
        "attendance.not_staff",
        # Who calls: staff start a thread with 1 to 20 of the child's contacts that have the
        # messaging capability and a user account, a contact's user with none (the schema states
        # the 1 to 20).
        "thread.invalid_participants",
        # Relative to today: a child born in the last 18 years, an event of the last 7 days and
        # not in the future, a ratio rule taking effect today or later.
        "child.invalid_date_of_birth",
        "attendance.too_old",
        "attendance.in_the_future",
        "ratio.effective_in_the_past",
        # Two fields or items at once: an age range's minimum not above its maximum, an
        # enrolment or a restriction not ending before it starts (the schema states that a
        # restriction blocks something), ratio bands in increasing order (the schema states the
        # first from 0, the bounds and the count), a `to` 1 to 62 days after `from` (which
        # defaults to today).
        "room.invalid_age_range",
        "child.invalid_enrolment",
        "restriction.invalid",
        "ratio.invalid_bands",
        "attendance.invalid_span",
        # A closed list too long for the schema: a time zone is a name of the IANA database
        # (about 600), which the schema states only as a string of 1 to 64 characters.
        "centre.unknown_time_zone",
    }
)

if not OWN_MEMBERSHIP_ID:
    raise RuntimeError("FUZZ_OWN_MEMBERSHIP_ID is not set: run scripts/schemathesis")


@schemathesis.hook
def filter_case(context, case):
    """Keep every case but a change to the fuzzing owner's own membership."""
    if case.operation.path != MEMBER_PATH or case.method.upper() not in CHANGING:
        return True
    return str((case.path_parameters or {}).get("id")) != OWN_MEMBERSHIP_ID


@schemathesis.hook
def map_case(context, case):
    """Give a valid case that carries an `Idempotency-Key` a key no other request used."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not case.headers:
        return case
    for name in list(case.headers):
        if name.lower() == IDEMPOTENCY_KEY:
            case.headers[name] = KEY_PREFIX + str(next(KEY_NUMBERS))
    return case


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a valid case's 422 that only names rules of STATE_RULES."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return True
    try:
        body = response.json()
    except ValueError:
        return True
    if not isinstance(body, dict) or body.get("code") != "validation.failed":
        return True
    details = body.get("details")
    fields = details.get("fields") if isinstance(details, dict) else None
    if not isinstance(fields, list) or not fields:
        return True
    return not all(isinstance(field, dict) and field.get("code") in STATE_RULES for field in fields)
