"""The desk's menu: each page's module lists its entries beside its routes (`menu`), views.py
collects them in the order it mounts the modules, and desk_base.html shows them.

    menu = [MenuEntry(N_("Calendar"), "desk_calendar")]

A module with no entry of its own (pages reached from a booking, actions) has `menu = []`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MenuEntry:
    label: str  # an N_() message: shown in the desk's language
    route: str  # the name of a GET route of the desk
    administrators_only: bool = False  # the page refuses others too (roles.require_administrator)
    primary: bool = False  # the desk's main action, shown in bold
