"""One pandera model per daily response file (seed 004, "Specifying response data").

Fields are in the files' column order; each field's title is its wire name (see `columns.py` for the
naming rule). Nullability follows one rule, since the seed does not state it: keys, the client id,
the recipient's address, the event time and the statuses every row has are required; attributes that
exist only after a later event (`finished`, `deliveryStatus`, `response.category`) or that describe
the event (link name, browser, platform, device, campaign and list ids) may be empty.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from .columns import (
    DELIVERY_STATUSES,
    RESPONSE_CATEGORIES,
    RESPONSE_CATEGORY_MEANINGS,
    SENDING_STATUSES,
    Id,
    Text,
    Timestamp,
    wire_field,
)

_MAILING_ID = "Mailing ID."
_MAILING_TO_USER_ID = "Encoded assignment of the recipient (mailingToUserId)."
_CLIENT_ID = "Client ID (BROADMAIL_ID)."
_USER_ID = "Email address of the recipient."
_LINK_ID = "Link ID."


class _ResponseFile(pa.DataFrameModel):
    class Config:
        strict = True
        ordered = True


class Mailings(_ResponseFile):
    """YYYYMMDD_mailings.csv: mailings sent in the referenced period."""

    id: Series[Id] = wire_field("id", "Mailing ID (mailingId).", example="51106527229", primary_key=True)
    compound_master_id: Series[Id] = wire_field(
        "compoundMasterId", "Campaign ID in Smart Campaigns.", example="71206365463", nullable=True
    )
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    mailing_recipient_lists: Series[Id] = wire_field(
        "mailing.recipientLists", "Recipient list ID.", example="58243723257", nullable=True
    )
    started: Series[Timestamp] = wire_field("started", "Start time of the mailing.", example="2021-01-01 12:07:55")
    finished: Series[Timestamp] = wire_field(
        "finished", "End time of the mailing; empty while it is sending.", example="2021-01-01 12:09:10",
        nullable=True,
    )

    class Config:
        title = "Sent mailings"


class MailingRecipients(_ResponseFile):
    """YYYYMMDD_mailingrecipients.csv: the sending log of the mailings in YYYYMMDD_mailings.csv."""

    id: Series[Id] = wire_field("id", _MAILING_TO_USER_ID, example="25951836752", primary_key=True)
    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    user_id: Series[Text] = wire_field("userId", _USER_ID, example="user@example.com")
    created: Series[Timestamp] = wire_field("created", "Sending date and time.", example="2021-01-01 12:07:55")
    sending_status: Series[Text] = wire_field(
        "sendingStatus",
        "Sending status: sending = mailing is sent, sent = mailing was sent, "
        "could_not_be_sent = mailing could not be sent.",
        isin=SENDING_STATUSES,
    )
    delivery_status: Series[Text] = wire_field(
        "deliveryStatus",
        "Delivery status: OK = mailing was delivered, HARD = hard bounce, SOFT = soft bounce; "
        "empty while unknown.",
        nullable=True,
        isin=DELIVERY_STATUSES,
    )
    response_category: Series[Text] = wire_field(
        "response.category",
        f"Response category: {RESPONSE_CATEGORY_MEANINGS}; empty without a response.",
        nullable=True,
        isin=RESPONSE_CATEGORIES,
    )

    class Config:
        title = "Sending log"


class Links(_ResponseFile):
    """YYYYMMDD_links.csv: links of the mailings; only links with link tracking activated."""

    id: Series[Id] = wire_field("id", "Link ID (linkId).", example="44018617936", primary_key=True)
    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_to_user_id: Series[Id] = wire_field("mailingToUserId", _MAILING_TO_USER_ID, example="25951836752")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    name: Series[Text] = wire_field("name", "Link name.", example="Impressum", nullable=True)
    url: Series[Text] = wire_field("url", "Link target (URL).", example="http://www.example.com")

    class Config:
        title = "Links"


class Clicks(_ResponseFile):
    """YYYYMMDD_clicks.csv: clicks of recipients in the referenced period; links in YYYYMMDD_links.csv."""

    link_id: Series[Id] = wire_field("linkId", _LINK_ID, example="44018617936")
    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_to_user_id: Series[Id] = wire_field("mailingToUserId", _MAILING_TO_USER_ID, example="25951836752")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    user_id: Series[Text] = wire_field("userId", _USER_ID, example="user@example.com")
    created: Series[Timestamp] = wire_field(
        "created",
        "Date and time of the click; one recipient can click several times within one second.",
        example="2021-01-01 12:07:55",
    )
    click_browser: Series[Text] = wire_field("click.browser", "Web browser.", example="Firefox 64.1", nullable=True)
    click_platform: Series[Text] = wire_field(
        "click.platform", "Operating system.", example="Windows 10", nullable=True
    )
    click_device: Series[Text] = wire_field("click.device", "Device type.", example="Desktop", nullable=True)

    class Config:
        title = "Clicks"


class Opens(_ResponseFile):
    """YYYYMMDD_opens.csv: opens by recipients in the referenced period, one row per opening."""

    link_id: Series[Id] = wire_field("linkId", _LINK_ID, example="44018617936")
    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_to_user_id: Series[Id] = wire_field("mailingToUserId", _MAILING_TO_USER_ID, example="25951836752")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    user_id: Series[Text] = wire_field("userId", _USER_ID, example="user@example.com")
    created: Series[Timestamp] = wire_field(
        "created",
        "Date and time when the recipient opened the mailing; each opening is its own row.",
        example="2021-01-01 12:07:55",
    )
    open_browser: Series[Text] = wire_field("open.browser", "Web browser.", example="Firefox 64.1", nullable=True)
    open_platform: Series[Text] = wire_field("open.platform", "Operating system.", example="Windows 10", nullable=True)
    open_device: Series[Text] = wire_field("open.device", "Device type.", example="Desktop", nullable=True)

    class Config:
        title = "Opens"


class AutomatedOpens(_ResponseFile):
    """YYYYMMDD_automated_opens.csv: automatic opens (Apple Mail Privacy Protection) in the period."""

    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_to_user_id: Series[Id] = wire_field("mailingToUserId", _MAILING_TO_USER_ID, example="25951836752")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    user_id: Series[Text] = wire_field("userId", _USER_ID, example="user@example.com")
    created: Series[Timestamp] = wire_field(
        "created", "Date and time of the generated open.", example="2021-01-01 12:07:55"
    )
    open_browser: Series[Text] = wire_field(
        "open.browser", "Web browser.", example="Apple Mail Privacy Protection", nullable=True
    )
    open_platform: Series[Text] = wire_field("open.platform", "Operating system.", example="unknown", nullable=True)

    class Config:
        title = "Automatic opens"


class Unsubscribes(_ResponseFile):
    """YYYYMMDD_unsubscribes.csv: unsubscribes by recipients in the referenced period."""

    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_to_user_id: Series[Id] = wire_field("mailingToUserId", _MAILING_TO_USER_ID, example="25951836752")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    user_id: Series[Text] = wire_field("userId", _USER_ID, example="user@example.com")
    created: Series[Timestamp] = wire_field(
        "created", "Date and time of the unsubscribe.", example="2021-01-01 12:07:55"
    )

    class Config:
        title = "Unsubscribes"


class Responses(_ResponseFile):
    """YYYYMMDD_responses.csv: emails returned to the sender address in the referenced period."""

    mailing_id: Series[Id] = wire_field("mailingId", _MAILING_ID, example="51106527229")
    mailing_to_user_id: Series[Id] = wire_field("mailingToUserId", _MAILING_TO_USER_ID, example="25951836752")
    mailing_group_id: Series[Id] = wire_field("mailingGroupId", _CLIENT_ID, example="44018617811")
    user_id: Series[Text] = wire_field("userId", _USER_ID, example="user@example.com")
    created: Series[Timestamp] = wire_field("created", "Sending date and time.", example="2021-01-01 12:07:55")
    category: Series[Text] = wire_field(
        "category", f"Response category: {RESPONSE_CATEGORY_MEANINGS}.", isin=RESPONSE_CATEGORIES
    )

    class Config:
        title = "Responses"
