"""Host keys when both a known_hosts file and a pinned fingerprint are configured, and when neither is."""

from __future__ import annotations

import asyncssh
import pytest

from episerver_assets.campaign.errors import CampaignHostKeyError
from episerver_assets.campaign.sftp import CampaignSftpResource
from episerver_assets.settings import SettingError, load_settings

from .sftp_loopback import known_hosts, loopback_resource, root, server  # noqa: F401  (pytest fixtures)

OTHER_FINGERPRINT = "SHA256:" + "A" * 43


def test_known_hosts_and_matching_pin_connect(server, known_hosts, root):
    (root / "response" / "20240517_links.csv").write_text("id\n")
    client = loopback_resource(server.port, known_hosts_path=str(known_hosts),
                               host_key_fingerprint=server.host_key_fingerprint)
    assert [f.name for f in client.list("response")] == ["20240517_links.csv"]


def test_a_pin_that_does_not_match_is_refused_even_when_known_hosts_lists_the_key(server, known_hosts):
    client = loopback_resource(server.port, known_hosts_path=str(known_hosts), host_key_fingerprint=OTHER_FINGERPRINT)
    with pytest.raises(CampaignHostKeyError, match="does not match configured fingerprint"):
        client.list("response")


def test_a_matching_pin_does_not_admit_a_host_known_hosts_does_not_list(server, tmp_path):
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()
    path = tmp_path / "other_hosts"
    path.write_text(f"sftp.example.net {other[0]} {other[1]}\n")
    client = loopback_resource(server.port, known_hosts_path=str(path),
                               host_key_fingerprint=server.host_key_fingerprint)
    with pytest.raises(CampaignHostKeyError, match="not in the configured known_hosts"):
        client.list("response")


def test_a_matching_pin_does_not_admit_another_key_listed_for_the_host(server, tmp_path):
    other = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh").decode().split()
    path = tmp_path / "stale_known_hosts"
    path.write_text(f"[127.0.0.1]:{server.port} {other[0]} {other[1]}\n")
    client = loopback_resource(server.port, known_hosts_path=str(path),
                               host_key_fingerprint=server.host_key_fingerprint)
    with pytest.raises(CampaignHostKeyError, match="known_hosts has"):
        client.list("response")


def test_a_configured_host_without_known_hosts_or_pin_is_refused_naming_the_variables(tmp_path):
    with pytest.raises(SettingError) as refused:
        CampaignSftpResource.from_env({"EPISERVER_SFTP_HOST": "sftp.example.net", "EPISERVER_DATA_DIR": str(tmp_path)})
    message = str(refused.value)
    assert "\n" not in message
    assert all(name in message for name in
               ("EPISERVER_SFTP_HOST", "EPISERVER_SFTP_KNOWN_HOSTS", "EPISERVER_SFTP_HOST_KEY_FINGERPRINT"))


@pytest.mark.parametrize("extra", [{"EPISERVER_SFTP_KNOWN_HOSTS": "/etc/ssh/acme_known_hosts"},
                                   {"EPISERVER_SFTP_HOST_KEY_FINGERPRINT": OTHER_FINGERPRINT}])
def test_a_configured_host_with_known_hosts_or_pin_never_uses_the_sandbox_known_hosts(tmp_path, extra):
    settings = load_settings({"EPISERVER_SFTP_HOST": "sftp.example.net", "EPISERVER_DATA_DIR": str(tmp_path), **extra})
    resource = CampaignSftpResource.from_settings(settings)
    assert resource.known_hosts_path == extra.get("EPISERVER_SFTP_KNOWN_HOSTS")
    assert resource.host_key_fingerprint == extra.get("EPISERVER_SFTP_HOST_KEY_FINGERPRINT")


def test_the_sandbox_known_hosts_applies_only_while_the_host_is_the_sandbox(tmp_path):
    resource = CampaignSftpResource.from_env({"EPISERVER_DATA_DIR": str(tmp_path), "EPISERVER_SFTP_PORT": "9022"})
    assert resource.known_hosts_path == str(tmp_path / "sandbox" / "known_hosts")
    assert (resource.host, resource.port) == ("127.0.0.1", 9022)
