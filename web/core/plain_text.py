"""What typed text may not hold, for every form that takes it (the booking's details, the desk's
notes and search, the intake answers).

Control characters never reach the database: PostgreSQL refuses NUL in text outright, and a form
feed in a note once made a strict calendar parser reject a whole feed.
"""

from __future__ import annotations

import re

from web.core.i18n import N_

SINGLE_LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MULTI_LINE_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # tab and newlines pass
CONTROL_CHARACTERS = N_("This field contains invisible control characters. Please type it again.")
