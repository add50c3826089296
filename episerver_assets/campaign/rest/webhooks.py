"""Webhook registrations: create, list, update, activate, deactivate, delete, verify."""

from __future__ import annotations

from ..errors import CampaignInvalidResponse, CampaignPagingError
from .http import RestSession, Safety
from .webhook_models import Webhook, WebhookAuthentication, WebhookVerification

WEBHOOK_TYPES = (
    "open", "click", "sent", "bounce", "unsubscribe", "spamcomplaint", "singleoptin",
    "confirmedoptin", "doubleoptin", "blocklist", "archive", "filteredbyblocklist",
)
_LIST_PAGE = 1000


def _webhook_form(type: str, target_url: str, authentication: WebhookAuthentication | None) -> dict[str, str]:
    if type not in WEBHOOK_TYPES:
        raise ValueError(f"webhook type must be one of {WEBHOOK_TYPES}, not {type!r}")
    return {
        "type": type,
        "format": "json",
        "targetUrl": target_url,
        "authentication": (authentication or WebhookAuthentication()).to_form_value(),
    }


class WebhookOperations:
    """Mixed into `CampaignRestClient`; needs `_session`."""

    _session: RestSession

    def webhooks(self) -> list[Webhook]:
        """All webhooks. `GET /webhooks` returns a plain array, so pages end when one comes back short
        (or, against a server that always answers full pages, after `max_pages` with an error)."""
        found: list[Webhook] = []
        url = self._session.url("webhooks")
        for number in range(self._session.limits.max_pages):
            page = self._session.send_json("GET", url, params={"offset": number * _LIST_PAGE, "limit": _LIST_PAGE})
            if page is not None and not isinstance(page, list):
                raise CampaignInvalidResponse("GET", url, "expected a JSON array of webhooks")
            found.extend(Webhook.from_json(w) for w in page or [])
            if len(page or []) < _LIST_PAGE:
                return found
        raise CampaignPagingError("GET", url, f"more than {self._session.limits.max_pages} pages; stopped there")

    def webhook(self, webhook_id: int) -> Webhook | None:
        """One webhook by id (the API has no single-webhook GET: looked up in the list)."""
        return next((w for w in self.webhooks() if w.id == webhook_id), None)

    def create_webhook(self, type: str, target_url: str,
                       authentication: WebhookAuthentication | None = None) -> Webhook:
        """Register a webhook. After a lost reply, a webhook of the same type and target that did not
        exist before is taken as ours, instead of creating a second one."""
        form = _webhook_form(type, target_url, authentication)
        before = {w.id for w in self.webhooks()}

        def send() -> Webhook:
            body = self._session.send_json("POST", self._session.url("webhooks"), data=form,
                                           safety=Safety.NOT_REPEATABLE)
            return Webhook.from_json(body)

        def check() -> Webhook | None:
            return next((w for w in self.webhooks()
                         if w.id not in before and w.type == type and w.target_url == target_url), None)

        return self._session.write_checked(f"create {type} webhook", send, check)

    def update_webhook(self, webhook_id: int, type: str, target_url: str,
                       authentication: WebhookAuthentication | None = None) -> Webhook:
        """Replace a webhook's settings (PUT: idempotent, resent after a lost reply)."""
        body = self._session.send_json("PUT", self._session.url("webhooks", webhook_id),
                                       data=_webhook_form(type, target_url, authentication))
        return Webhook.from_json(body)

    def activate_webhook(self, webhook_id: int) -> Webhook:
        """Activate (400 if already active). After a lost reply the status is read before a resend."""
        return self._change_status(webhook_id, "activate", "activated")

    def deactivate_webhook(self, webhook_id: int) -> Webhook:
        return self._change_status(webhook_id, "deactivate", "deactivated")

    def _change_status(self, webhook_id: int, action: str, status: str) -> Webhook:
        url = self._session.url("webhooks", webhook_id, action)

        def check() -> Webhook | None:
            current = self.webhook(webhook_id)
            return current if current is not None and current.status == status else None

        return self._session.write_checked(
            f"{action} webhook {webhook_id}",
            lambda: Webhook.from_json(self._session.send_json("POST", url, safety=Safety.NOT_REPEATABLE)),
            check,
        )

    def delete_webhook(self, webhook_id: int) -> None:
        """Delete a webhook (it must be deactivated first, else 400).

        After a lost reply, a webhook that is gone counts as deleted; otherwise 404 is raised."""
        url = self._session.url("webhooks", webhook_id)

        def send() -> bool:
            self._session.send("DELETE", url, safety=Safety.NOT_REPEATABLE)
            return True

        def check() -> bool | None:
            return True if self.webhook(webhook_id) is None else None

        self._session.write_checked(f"delete webhook {webhook_id}", send, check)

    def verify_webhook(self, webhook_id: int, mailing_id: int,
                       number_of_events: int | None = None) -> list[WebhookVerification]:
        """Ask Campaign to send test events of a mailing to the webhook target."""
        params: dict[str, int] = {"mailingId": mailing_id}
        if number_of_events is not None:
            params["numberOfEvents"] = number_of_events
        body = self._session.send_json("GET", self._session.url("webhooks", webhook_id, "verify"), params=params)
        return [WebhookVerification.from_json(v) for v in body or []]

