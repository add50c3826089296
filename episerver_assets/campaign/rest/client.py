"""`CampaignRestClient`: the Campaign REST API as typed Python calls over one httpx client.

What happens when an attempt fails with its effect unknown (5xx, timeout, dropped connection);
429 and failures before sending are always retried, other 4xx never:

| operation                                   | after a lost outcome                                  |
|---------------------------------------------|-------------------------------------------------------|
| every GET (lists, recipients, count, ...)   | resent                                                |
| add_recipient (POST /recipients/{l})        | GET the recipient first; resent only if absent        |
| upsert_recipient (POST add, 409 -> update)  | resent: a repeat gets 409 and sets the same values    |
| update_recipient / modify_recipients "set"  | resent (idempotent)                                   |
| ... with mode append/prepend                | never resent: CampaignOutcomeUnknown is raised        |
| add_recipients (PUT /recipients/{l})        | resent: existing ids are refused, never duplicated;   |
|                                             | result marked `uncertain`                             |
| delete_recipient(s) (DELETE with ids)       | resent (idempotent)                                   |
| delete_all_recipients                       | resent (idempotent); refused without confirm=True     |
| add_unsubscribes (POST /unsubscribes)       | resent (unsubscribing twice changes nothing)          |
| add_blocklist_entry (POST /blacklistentries)| GET the entry first; resent only if absent            |
| create_webhook (POST /webhooks)             | list webhooks: a new one with the same type and target|
|                                             | is ours; resent only if none                          |
| activate/deactivate_webhook                 | list webhooks: resent only if the status is unchanged |
| update_webhook (PUT)                        | resent (idempotent)                                   |
| delete_webhook                              | list webhooks: done if gone, else resent              |
| verify_webhook (GET, sends test events)     | resent (a repeat only sends test events again)        |
"""

from __future__ import annotations

from dataclasses import replace
from types import TracebackType

import httpx

from ..errors import CampaignError, redact_url
from .http import RestSession
from .models import AuthenticatedUser, CheckResult
from .recipients import RecipientOperations
from .suppressions import SuppressionOperations
from .webhooks import WebhookOperations

CHECK_DEADLINE_SECONDS = 30.0
"""Deadline of the `doctor` check's one request, whatever the calls' deadline is."""


class CampaignRestClient(RecipientOperations, SuppressionOperations, WebhookOperations):
    """One Campaign client's REST API. Thread-safe; close it (or use `with`) to free connections."""

    def __init__(self, session: RestSession, page_size: int = 1000, batch_size: int = 1000) -> None:
        self._session = session
        self._page_size = page_size
        self._batch_size = batch_size

    def authenticated_user(self) -> AuthenticatedUser:
        url = self._session.url("users", "authenticated")
        return AuthenticatedUser.from_json(self._session.send_json("GET", url, expect=dict))

    def check(self) -> CheckResult:
        """Cheap check of URL, client id and credentials (`GET /users/authenticated`), for `doctor`.

        One attempt within `CHECK_DEADLINE_SECONDS`: `doctor` should answer quickly, not wait out the
        backoff or a dripping server. Passes only when the answer names the authenticated user:
        anything else (a proxy's page, an empty object) means we did not reach the API as ourselves.
        """
        policy, limits = self._session.policy, self._session.limits
        once = self._session.reconfigured(
            policy=replace(policy, max_attempts=1),
            limits=replace(limits, deadline_seconds=min(limits.deadline_seconds, CHECK_DEADLINE_SECONDS)),
        )
        url = once.url("users", "authenticated")
        try:
            user = AuthenticatedUser.from_json(once.send_json("GET", url, expect=dict))
        except CampaignError as error:
            return CheckResult(False, str(error))
        if not isinstance(user.username, str) or not user.username.strip():
            return CheckResult(False, f"GET {redact_url(url)}: the answer names no authenticated user")
        return CheckResult(True, f"REST API at {redact_url(self._session.base)}: authenticated as {user.username}")

    @property
    def http(self) -> httpx.Client:
        return self._session.http

    def close(self) -> None:
        self._session.http.close()

    def __enter__(self) -> CampaignRestClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
