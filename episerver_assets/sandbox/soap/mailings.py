"""RpcMailing: mailings (ids, names, types, status, recipient lists, target groups) and `sendMail`.

The sandbox sends no e-mail. `sendMail`/`sendMails` check the recipient the way Campaign documents
and answer its codes (0 spooled, 1 blocklisted, 2 unsubscribed, 3 recipient not found, 4 list not
assigned to the mailing, 5 filtered by the mailing's target group, 6 too many bounces); a spooled
send is recorded on the mailing. Only event mailings can be sent this way, as documented.
"""

from __future__ import annotations

from ..state import MAILING_STATUSES, MAILING_TYPES, ClientState, Mailing
from .faults import service_error
from .operations import CallContext, operation
from .recipients import require_list

MIME_TYPES = ("text/plain", "text/html", "multipart/alternative")


def require_mailing(client: ClientState, mailing_id: int) -> Mailing:
    mailing = client.mailings.get(mailing_id)
    if mailing is None:
        raise service_error(f"Mailing #{mailing_id} does not exist.")
    return mailing


def _require_choice(kind: str, value: str | None, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise service_error(f"Invalid {kind} '{value}': expected one of {', '.join(choices)}.")
    return value


def create(ctx: CallContext, type_, name, mime_type, list_ids, sender_prefix, sender_name, charset) -> int:
    _require_choice("mailing type", type_, MAILING_TYPES)
    _require_choice("MIME type", mime_type, MIME_TYPES)
    client = ctx.client
    with client.lock:
        for list_id in list_ids:
            require_list(client, list_id)
        mailing = client.create_mailing(
            type_, name or "", list_ids, mime_type=mime_type, sender_email_prefix=sender_prefix or "",
            sender_name=sender_name or "", charset=charset or "UTF-8",
        )
        return mailing.mailing_id


def remove(ctx: CallContext, mailing_id) -> None:
    client = ctx.client
    with client.lock:
        require_mailing(client, mailing_id)
        del client.mailings[mailing_id]


def get_ids(ctx: CallContext, type_) -> list[int]:
    return get_ids_in_status(ctx, type_, None)


def get_ids_in_status(ctx: CallContext, type_, status) -> list[int]:
    _require_choice("mailing type", type_, MAILING_TYPES)
    if status is not None:
        _require_choice("mailing status", status, MAILING_STATUSES)
    client = ctx.client
    with client.lock:
        return sorted(
            m.mailing_id for m in client.mailings.values() if m.type == type_ and status in (None, m.status)
        )


def get_count(ctx: CallContext, type_) -> int:
    return len(get_ids(ctx, type_))


def _reader(attribute: str):
    def read(ctx: CallContext, mailing_id):
        client = ctx.client
        with client.lock:
            value = getattr(require_mailing(client, mailing_id), attribute)
            return list(value) if isinstance(value, list) else value

    return read


def _writer(attribute: str):
    def write(ctx: CallContext, mailing_id, value) -> None:
        client = ctx.client
        with client.lock:
            setattr(require_mailing(client, mailing_id), attribute, value)

    return write


def set_recipient_list_ids(ctx: CallContext, mailing_id, list_ids) -> None:
    client = ctx.client
    with client.lock:
        mailing = require_mailing(client, mailing_id)
        for list_id in list_ids:
            require_list(client, list_id)
        mailing.recipient_list_ids = list(list_ids)


def set_recipient_filter_ids(ctx: CallContext, mailing_id, filter_ids) -> None:
    client = ctx.client
    with client.lock:
        mailing = require_mailing(client, mailing_id)
        unknown = [str(f) for f in filter_ids if f not in client.target_groups]
        if unknown:
            raise service_error(f"Target group #{', #'.join(unknown)} does not exist.")
        mailing.recipient_filter_ids = list(filter_ids)


def send_mail(ctx: CallContext, mailing_id, list_id, recipient_id) -> int:
    return send_mails(ctx, mailing_id, list_id, [recipient_id])[0]


def send_mails(ctx: CallContext, mailing_id, list_id, recipient_ids) -> list[int]:
    client = ctx.client
    with client.lock:
        mailing = require_mailing(client, mailing_id)
        if mailing.type != "event":
            raise service_error(
                f"Mailing #{mailing_id} is a {mailing.type} mailing; only event mailings can be sent."
            )
        return [int(client.send_mail(mailing_id, list_id, recipient_id or "")) for recipient_id in recipient_ids]


_MAILING = "sessionId:string mailingId:long"
OPERATIONS = [
    operation(
        "create",
        "sessionId:string mailingType:string name:string mimeType:string recipientListIds:long[] "
        "senderEmailPrefix:string senderName:string charset:string",
        "long",
        create,
    ),
    operation("remove", _MAILING, None, remove),
    operation("getIds", "sessionId:string mailingType:string", "long[]", get_ids),
    operation(
        "getIdsInStatus", "sessionId:string mailingType:string mailingStatus:string", "long[]", get_ids_in_status
    ),
    operation("getCount", "sessionId:string mailingType:string", "int", get_count),
    operation("getName", _MAILING, "string", _reader("name")),
    operation("setName", f"{_MAILING} name:string", None, _writer("name")),
    operation("getDescription", _MAILING, "string", _reader("description")),
    operation("setDescription", f"{_MAILING} description:string", None, _writer("description")),
    operation("getStatus", _MAILING, "string", _reader("status")),
    operation("getMimeType", _MAILING, "string", _reader("mime_type")),
    operation("getRecipientListIds", _MAILING, "long[]", _reader("recipient_list_ids")),
    operation("setRecipientListIds", f"{_MAILING} recipientListIds:long[]", None, set_recipient_list_ids),
    operation("getRecipientFilterIds", _MAILING, "long[]", _reader("recipient_filter_ids")),
    operation("setRecipientFilterIds", f"{_MAILING} recipientFilterIds:long[]", None, set_recipient_filter_ids),
    operation("sendMail", f"{_MAILING} recipientListId:long recipientId:string", "int", send_mail),
    operation("sendMails", f"{_MAILING} recipientListId:long recipientIds:string[]", "int[]", send_mails),
]
