"""The Campaign SOAP resource: sandbox defaults, the environment, validated settings."""

from __future__ import annotations

import dagster as dg
import pytest

from episerver_assets.campaign.soap import CampaignSoapResource, SoapSettings

from .scripted_soap_server import SOAP_URL

def test_resource_defaults_point_at_the_sandbox():
    resource = CampaignSoapResource.from_env({})
    resolved = resource.settings()
    assert resolved.soap_url == "http://127.0.0.1:8765/soap11"
    assert (resolved.client_id, resolved.api_user, resolved.api_password) == (1000, "sandbox-api", "sandbox-secret")
    assert "sandbox-secret" not in repr(resource) and "sandbox-secret" not in repr(resolved)


def test_resource_reads_the_environment(monkeypatch):
    env = {
        "EPISERVER_SOAP_URL": "https://api.campaign.episerver.net/soap11",
        "EPISERVER_CLIENT_ID": "4321",
        "EPISERVER_API_USER": "crm",
        "EPISERVER_API_PASSWORD": "from-env",
        "EPISERVER_SOAP_BATCH_SIZE": "250",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    resource = CampaignSoapResource.from_env()
    assert isinstance(resource.api_password, dg.EnvVar)
    resolved = resource.settings()
    assert (resolved.soap_url, resolved.client_id, resolved.api_user, resolved.api_password, resolved.batch_size) == (
        "https://api.campaign.episerver.net/soap11", 4321, "crm", "from-env", 250
    )


def test_settings_are_validated():
    with pytest.raises(ValueError, match="batch_size"):
        SoapSettings(SOAP_URL, 1, "u", "p", batch_size=0)
    with pytest.raises(ValueError, match="soap_url"):
        SoapSettings("ftp://x", 1, "u", "p")
    with pytest.raises(ValueError, match="client_id"):
        CampaignSoapResource(client_id="abc").settings()
