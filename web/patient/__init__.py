"""What patients use: condition pages, the slot picker, booking and managing a booking."""

from web.patient import booking, conditions, findable, intake, privacy

routes = [*conditions.routes, *booking.routes, *intake.routes, *privacy.routes, *findable.routes]
