"""What patients use: condition pages, the slot picker, booking and managing a booking."""

from web.patient import booking, conditions

routes = [*conditions.routes, *booking.routes]
