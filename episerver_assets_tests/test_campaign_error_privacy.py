"""Errors and logs of the Campaign clients name the request without the recipient's e-mail address."""

from __future__ import annotations

import logging

import pytest

from episerver_assets.campaign.errors import CampaignError, redact_url
from episerver_assets.campaign.rest import RecipientData

from .campaign_rest_support import LIST, running_sandbox


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api:pw@h:8443/rest/7/recipients/77/a%40b.de", "https://h:8443/rest/7/recipients/77/***"),
        ("http://h/rest/7/recipients/77?recipientIds=x@y.de,12&limit=5",
         "http://h/rest/7/recipients/77?recipientIds=***,12&limit=5"),
        ("http://h/rest/7/recipients/77/12345?attributeNames=email", "http://h/rest/7/recipients/77/12345?attributeNames=email"),
    ],
)
def test_redact_url_masks_credentials_and_addresses_only(url, shown):
    assert redact_url(url) == shown


def test_a_failed_request_for_an_address_names_the_request_but_not_the_address(caplog):
    address = "private.person@example.org"
    caplog.set_level(logging.DEBUG)
    with running_sandbox() as sandbox, sandbox.client() as client:
        with pytest.raises(CampaignError) as raised:
            client.update_recipient(LIST, RecipientData(address, {"firstname": "F"}))
    message = str(raised.value)
    assert "PUT" in message or "POST" in message
    assert f"/recipients/{LIST}/" in message
    assert address not in message and "private.person%40" not in message
    assert address not in caplog.text and "private.person%40" not in caplog.text
