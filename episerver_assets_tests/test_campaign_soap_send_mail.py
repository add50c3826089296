"""sendMail on the wire: a lost answer is never repeated (the mail may be out), unknown codes are errors."""

from __future__ import annotations

import pytest
import requests

from episerver_assets.campaign.errors import CampaignConnectionError, CampaignError
from episerver_assets.campaign.soap import SendMailCode

from .scripted_soap_server import Posted, login_reply, scalar_reply, scripted


def _send_mail_answering(*answers):
    pending = list(answers)

    def handler(posted: Posted):
        if posted.operation == "login":
            return login_reply("abcabcabcabcabca")
        return pending.pop(0)

    return handler


def test_send_mail_after_a_read_timeout_is_not_repeated():
    client, server = scripted(_send_mail_answering(requests.ReadTimeout("slow")))

    with pytest.raises(CampaignConnectionError) as caught:
        client.mailings.send_mail(1, 2, "a@example.com")

    assert caught.value.effect_unknown is True
    assert server.operations() == ["login", "sendMail"]


def test_send_mail_codes_on_the_wire():
    client, server = scripted(
        _send_mail_answering(
            scalar_reply("RpcMailing", "sendMail", "int", "5"), scalar_reply("RpcMailing", "sendMail", "int", "9")
        )
    )

    assert client.mailings.send_mail(11, 22, "a@example.com") is SendMailCode.FILTERED_BY_TARGET_GROUP
    with pytest.raises(CampaignError, match="9"):
        client.mailings.send_mail(11, 22, "a@example.com")

    sent = server.of("sendMail")[0]
    assert [sent.arg(i).text for i in (1, 2, 3)] == ["11", "22", "a@example.com"]
