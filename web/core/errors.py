"""What can go wrong in the clinic's rules, as exceptions the HTTP layer maps to pages once.

The core raises these and knows nothing of status codes or wording; `web.http.error_pages` turns
each into a response, so every handler that looks up a booking does not repeat its own 404.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the core can give."""


class NotFound(DomainError):
    pass


class BookingNotFound(NotFound):
    """No booking for that manage token or number."""


class BlockNotFound(NotFound):
    """The blocked period was removed meanwhile."""


class BlockInPast(DomainError):
    """A block that would begin before now: it could never be taken back out of the past."""


class HoursChangeNotFound(NotFound):
    """The change of reception hours was taken back meanwhile."""


class HoursInPast(DomainError):
    """Reception hours changed from a day already begun (or gone): a change can only be made,
    or taken back, for a day ahead; today's hours are changed from tomorrow on."""


class FeedNotFound(NotFound):
    """A calendar feed secret that is not (or no longer) the current one."""


class InvalidInput(DomainError):
    """A value from a URL or form that cannot be read at all (not a field a person can fix)."""


class InvalidDay(InvalidInput):
    """A `?day=` value that is not a calendar date we can use."""


class InvalidSlot(InvalidInput):
    """A slot start that is not one of the clinic's consultation times."""


class SlotUnavailable(DomainError):
    """The slot cannot be booked now: taken, blocked, too soon or outside the horizon."""


class BookingChanged(DomainError):
    """Someone changed the booking since the coordinator opened it (another coordinator, or the
    patient): the desk shows it as it is now, with what was typed, instead of acting on it."""

    def __init__(self, booking: object) -> None:
        super().__init__("booking changed meanwhile")
        self.booking = booking


class BookingNotActive(DomainError):
    """The booking was cancelled or has ended, so it cannot be moved or changed that way."""


class StatusChangeNotAllowed(DomainError):
    """The desk asked for a status that does not follow from the booking's current one."""


class OutcomeTooEarly(StatusChangeNotAllowed):
    """Done or no-show for a consultation that has not begun yet."""


class ConditionNotFound(NotFound):
    """No condition page with that slug, or no such section on it."""


class AnswersClosed(DomainError):
    """The consultation has begun (or the booking is no longer confirmed): the answers to its
    questions can no longer be given or changed online."""
