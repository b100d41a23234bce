"""The coordinator's desk: sign-in, bookings, blocks, calendar feed, export and audit log."""

from web.desk import views

routes = views.routes
menu = views.menu
