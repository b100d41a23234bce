"""What happens after booking, by contact channel: the same words on the booking page and in
the confirmation e-mail, so a patient knows who contacts whom, and when.

Channels are named in clinic.toml; a name not listed here is treated as a messenger (the
specialist calls or writes in it), which is what Viber, Telegram and WhatsApp are.
"""

from __future__ import annotations

from web.core.i18n import N_

PHONE_CHANNELS = frozenset({"Phone call"})
VIDEO_LINK_CHANNELS = frozenset({"Zoom", "Google Meet", "Microsoft Teams"})

CALL = N_("At the time of your consultation, our specialist will call you on %(phone)s.")
MESSENGER = N_(
    "At the time of your consultation, our specialist will call or write to you in %(channel)s "
    "on %(phone)s."
)
VIDEO_BY_EMAIL = N_(
    "Before your consultation, our coordinator will e-mail the %(channel)s link to %(email)s. "
    "Open it at the time of the consultation."
)
VIDEO_BY_PHONE = N_(
    "Before your consultation, our coordinator will send the %(channel)s link to %(phone)s by "
    "text message. Open it at the time of the consultation."
)


def contact_plan(channel: str, *, has_email: bool) -> str:
    """The catalog message for this channel; format it with channel, phone and email."""
    if channel in PHONE_CHANNELS:
        return CALL
    if channel in VIDEO_LINK_CHANNELS:
        return VIDEO_BY_EMAIL if has_email else VIDEO_BY_PHONE
    return MESSENGER


# The coordinator opens a chat with the patient's number straight from the desk. The number is
# all these addresses carry (never a name or a note).
CHAT_ADDRESSES = {
    "Viber": "viber://chat?number=%2B{digits}",
    "Telegram": "https://t.me/+{digits}",
    "WhatsApp": "https://wa.me/{digits}",
}


def chat_url(channel: str, e164: str) -> str | None:
    """The address that opens a chat in the patient's messenger, if the channel is one."""
    address = CHAT_ADDRESSES.get(channel)
    return address.format(digits=e164.removeprefix("+")) if address else None
