"""One client's whole state, and the sandbox's clients by id."""

from __future__ import annotations

from .mailings import Mailings
from .records import ClientAccount
from .webhooks import Webhooks


class ClientState(Mailings, Webhooks):
    """Lists and recipients, suppressions, recipient queries, mailings and webhooks of one client, one lock."""


class SandboxState:
    """All clients of one sandbox, by client id."""

    def __init__(self, accounts: list[ClientAccount]):
        self.clients = {a.client_id: ClientState(a) for a in accounts}

    def client(self, client_id: int) -> ClientState:
        return self.clients[client_id]

    def webhook_owner(self, webhook_id: int) -> int | None:
        """The client id a webhook belongs to, if any (Campaign answers 409 for another client's)."""
        return next((c for c, state in self.clients.items() if webhook_id in state.webhooks), None)

    def authenticate(self, client_id: int, user: str, password: str) -> ClientState | None:
        state = self.clients.get(client_id)
        if state and state.account.api_user == user and state.account.api_password == password:
            return state
        return None
