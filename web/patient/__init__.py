"""What patients use: condition pages, the slot picker, booking and managing a booking."""

from web.patient import booking, conditions, findable, privacy

routes = [*conditions.routes, *booking.routes, *privacy.routes, *findable.routes]
