"""RpcRecipient: add, update, read and remove the recipients of a list."""

from __future__ import annotations

from ..state import MAX_CONCURRENT_RECIPIENT_QUERIES, ClientState, RecipientList, TooManyRecipientQueries
from .faults import service_error
from .operations import CallContext, operation


def require_list(client: ClientState, list_id: int) -> RecipientList:
    recipient_list = client.lists.get(list_id)
    if recipient_list is None:
        raise service_error(f"Recipient list #{list_id} does not exist.")
    return recipient_list


def _require_attributes(recipient_list: RecipientList, names: list[str]) -> None:
    # Every list stores the address as `email`, whether or not it declares the field.
    unknown = [n for n in names if n not in recipient_list.attribute_names and n != "email"]
    if unknown:
        raise service_error(
            f"Unknown attribute names for recipient list #{recipient_list.list_id}: {', '.join(unknown)}"
        )


def _require_same_length(**arrays: list) -> None:
    if len({len(values) for values in arrays.values()}) > 1:
        sizes = ", ".join(f"{name} has {len(values)}" for name, values in arrays.items())
        raise service_error(f"Array lengths differ: {sizes} elements.")


def add2(ctx: CallContext, list_id, optin_process_id, recipient_id, address, names, values) -> int:
    _require_same_length(attributeNames=names, attributeValues=values)
    return add_all3(ctx, list_id, optin_process_id, [recipient_id], [address], names, [values])[0]


def add_all3(ctx: CallContext, list_id, optin_process_id, recipient_ids, addresses, names, rows) -> list[int]:
    """One AddOutcome code per recipient. Opt-in processes are not modelled: every id behaves like 0."""
    _require_same_length(recipientIds=recipient_ids, addresses=addresses, attributeValues=rows)
    for index, row in enumerate(rows):
        if len(row) != len(names):
            raise service_error(
                f"Array lengths differ: attributeValues[{index}] has {len(row)} elements, "
                f"attributeNames has {len(names)} elements."
            )
    client = ctx.client
    with client.lock:
        recipient_list = require_list(client, list_id)
        _require_attributes(recipient_list, names)
        codes = []
        for recipient_id, address, row in zip(recipient_ids, addresses, rows, strict=True):
            attributes = dict(zip(names, row, strict=True)) | {"email": address}
            codes.append(int(client.add_recipient(list_id, recipient_id, attributes)))
        return codes


def add_all3_flat(ctx: CallContext, list_id, optin_process_id, recipient_ids, addresses, names, flat) -> list[int]:
    width = len(names)
    if len(flat) != len(recipient_ids) * width:
        raise service_error(
            f"Array lengths differ: flatAttributeValues has {len(flat)} elements, expected "
            f"recipientIds ({len(recipient_ids)}) * attributeNames ({width})."
        )
    rows = [flat[i * width : (i + 1) * width] for i in range(len(recipient_ids))]
    return add_all3(ctx, list_id, optin_process_id, recipient_ids, addresses, names, rows)


def clear(ctx: CallContext, list_id) -> None:
    client = ctx.client
    with client.lock:
        require_list(client, list_id)
        client.clear_list(list_id)


def get_all_flat(ctx: CallContext, list_id, names) -> list[str | None]:
    """The named attributes of every recipient, row after row; a value never set is nil, as live."""
    client = ctx.client
    with client.lock:
        recipient_list = require_list(client, list_id)
        _require_attributes(recipient_list, names)
        return [
            recipient.attributes.get(name)
            for recipient in recipient_list.recipients.values()
            for name in names
        ]


def get_attributes(ctx: CallContext, list_id, recipient_id, names) -> list[str | None]:
    client = ctx.client
    with client.lock:
        recipient_list = require_list(client, list_id)
        _require_attributes(recipient_list, names)
        recipient = recipient_list.recipients.get(recipient_id)
        if recipient is None:
            raise service_error(f"Recipient {recipient_id} does not exist in recipient list #{list_id}.")
        return [recipient.attributes.get(name) for name in names]


def set_attributes(ctx: CallContext, list_id, recipient_id, names, values) -> None:
    _require_same_length(attributeNames=names, attributeValues=values)
    client = ctx.client
    with client.lock:
        _require_attributes(require_list(client, list_id), names)
        if not client.update_recipient(list_id, recipient_id, dict(zip(names, values, strict=True))):
            raise service_error(f"Recipient {recipient_id} does not exist in recipient list #{list_id}.")


def set_attributes_in_batch_flat(ctx: CallContext, list_id, recipient_ids, names, flat) -> None:
    """All or nothing, worded like the recorded fault when recipients are missing (its own call text)."""
    call = (
        f"recipientListId='{list_id}', recipientIds='{','.join(recipient_ids)}', "
        f"attributeNames=[{', '.join(names)}] attributeNamesSize={len(names)} "
        f"flatAttributeValuesSize={len(flat)}"
    )

    def failure(cause: str):
        return service_error(f"Error updating users in userlist #{list_id}", cause=cause, call=call)

    width = len(names)
    if len(flat) != len(recipient_ids) * width:
        raise failure("flatAttributeValuesSize must be the number of recipientIds times attributeNamesSize")
    client = ctx.client
    with client.lock:
        recipient_list = require_list(client, list_id)
        _require_attributes(recipient_list, names)
        missing = [r for r in recipient_ids if r not in recipient_list.recipients]
        if missing:
            raise failure(f"Recipients {','.join(missing)} do not exist")
        for index, recipient_id in enumerate(recipient_ids):
            values = flat[index * width : (index + 1) * width]
            client.update_recipient(list_id, recipient_id, dict(zip(names, values, strict=True)))


def get_count(ctx: CallContext, list_id, recipient_filter_id) -> int:
    """Recipients of the list, or of its target group; shares Campaign's limit of concurrent counts."""
    client = ctx.client
    try:
        with client.recipient_query(), client.lock:
            require_list(client, list_id)
            if recipient_filter_id and recipient_filter_id not in client.target_groups:
                raise service_error(f"Target group #{recipient_filter_id} does not exist.")
            return client.count_recipients(list_id, recipient_filter_id or None)
    except TooManyRecipientQueries:
        raise service_error(
            f"Too many simultaneous requests: at most {MAX_CONCURRENT_RECIPIENT_QUERIES} recipient "
            "count or select calls may run at once per client."
        ) from None


def contains(ctx: CallContext, list_id, recipient_id) -> bool:
    client = ctx.client
    with client.lock:
        return recipient_id in require_list(client, list_id).recipients


def remove(ctx: CallContext, list_id, recipient_id) -> None:
    """Removing a recipient that is not in the list is not an error."""
    client = ctx.client
    with client.lock:
        require_list(client, list_id)
        client.delete_recipient(list_id, recipient_id)


_ADD = "recipientListId:long optinProcessId:long"
OPERATIONS = [
    operation(
        "add2",
        f"sessionId:string {_ADD} recipientId:string address:string "
        "attributeNames:string[] attributeValues:string[]",
        "int",
        add2,
    ),
    operation(
        "addAll3",
        f"sessionId:string {_ADD} recipientIds:string[] addresses:string[] "
        "attributeNames:string[] attributeValues:string[][]",
        "int[]",
        add_all3,
    ),
    operation(
        "addAll3Flat",
        f"sessionId:string {_ADD} recipientIds:string[] addresses:string[] "
        "attributeNames:string[] flatAttributeValues:string[]",
        "int[]",
        add_all3_flat,
    ),
    operation("clear", "sessionId:string recipientListId:long", None, clear),
    operation(
        "getAllFlat", "sessionId:string recipientListId:long attributeNames:string[]", "string[]", get_all_flat
    ),
    operation(
        "getAttributes",
        "sessionId:string recipientListId:long recipientId:string attributeNames:string[]",
        "string[]",
        get_attributes,
    ),
    operation(
        "setAttributes",
        "sessionId:string recipientListId:long recipientId:string "
        "attributeNames:string[] attributeValues:string[]",
        None,
        set_attributes,
    ),
    operation(
        "setAttributesInBatchFlat",
        "sessionId:string recipientListId:long recipientIds:string[] "
        "attributeNames:string[] flatAttributeValues:string[]",
        None,
        set_attributes_in_batch_flat,
    ),
    operation("getCount", "sessionId:string recipientListId:long recipientFilterId:long", "int", get_count),
    operation("contains", "sessionId:string recipientListId:long recipientId:string", "boolean", contains),
    operation("remove", "sessionId:string recipientListId:long recipientId:string", None, remove),
]
