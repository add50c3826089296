"""The CRM full refresh (`crm_refresh/recipient_list_refresh`: clear + addAll3 over SOAP) of a large CRM.

    .venv/bin/python benchmarks/crm_refresh_soap.py [--recipients 1000000] [--engine duckdb|postgresql]
        [--postgres-url URL] [--threads 1 2 4 8 16 25] [--sweep-requests 50]

The sandbox's REST and SOAP apps run in a child process (`activation_sandbox.py`). N CRM contacts of one
opt-in go into `crm.contacts` (Arrow bulk load), suppressions stay empty, and the refresh replaces an
empty list that has the seed's technical fields (the sandbox's CRM refresh list fields).
Reference, same run: the product's own selection turned into the same addAll3 batches (the product's
batch size), rendered once as SOAP envelopes on one session (the product's builder, byte for byte
zeep's) and posted with bare httpx to other empty lists: a thread sweep on --sweep-requests batches
picks the best count, then the full reference runs at that count before the product and with one
thread (sequential) after it. Every list is checked against the expected recipients (count and
digest of sorted id + entity id).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import httpx
import pyarrow as pa
from zeep.wsdl.utils import etree_to_string

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from activation_sandbox import (  # noqa: E402
    CLIENT_ID, PASSWORD, USER, ChildSandbox, Stopwatch, digest, load_average, peak_rss_mib, send_all,
)
from episerver_assets.campaign.soap import CampaignSoapResource  # noqa: E402
from episerver_assets.campaign.soap import add_all3, add_all3_wire  # noqa: E402
from episerver_assets.campaign.soap.add_all3 import batches  # noqa: E402
from episerver_assets.campaign.soap.caller import SoapCaller  # noqa: E402
from episerver_assets.campaign.soap.client import CampaignSoapClient  # noqa: E402
from episerver_assets.defs.crm.contacts import contacts  # noqa: E402
from episerver_assets.defs.crm_refresh import refresh_asset  # noqa: E402
from episerver_assets.defs.crm_refresh.config import RecipientListRefreshConfig  # noqa: E402
from episerver_assets.defs.crm_refresh.matching import SuppressionMatcher  # noqa: E402
from episerver_assets.defs.crm_refresh.refresh_asset import recipient_list_refresh  # noqa: E402
from episerver_assets.defs.crm_refresh.selection import select_recipients  # noqa: E402
from episerver_assets.defs.crm_refresh.tables import suppressions  # noqa: E402
from episerver_assets.sandbox.generator.activation_lists import CRM_REFRESH_FIELDS  # noqa: E402
from episerver_assets.pools import soap_share_per_step  # noqa: E402
from episerver_assets.warehouse import WarehouseResource  # noqa: E402
from episerver_assets.warehouse.bulk_load import load_arrow  # noqa: E402
from episerver_assets_tests.postgres_server import ThrowawayPostgres, find_postgres_bin  # noqa: E402

OPTIN_ID, PRODUCT_LIST, CHECK_FIELD = 9_100_000, 700_000, "entity-id"
PLACEHOLDER_LIST = 987_654_321
TIMED = [(refresh_asset, "select_recipients", "selection (warehouse)"), (refresh_asset, "_require_fields", "list fields"),
         (CampaignSoapClient, "clear", "clear"), (CampaignSoapClient, "add_all3", "addAll3 total"),
         (add_all3, "build_envelope", "  build envelopes"), (SoapCaller, "_post_with_retries", "  post (wire + sandbox)"),
         (add_all3_wire, "parse_codes", "  parse replies (lxml)"), (SoapCaller, "_parse", "  parse replies (zeep)"),
         (refresh_asset, "record_refresh", "record results")]
"""What the product's time is split into (the indented ones are inside addAll3)."""
SOAP_HEADERS = {"SOAPAction": '""', "Content-Type": "text/xml; charset=utf-8"}


def load_contacts(warehouse: WarehouseResource, count: int) -> float:
    warehouse.ensure_table(contacts, suppressions)
    stamp = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    ids = [f"C{i:08d}" for i in range(count)]
    table = pa.table({
        "entity_type": ["contact"] * count, "entity_id": ids,
        "email": [f"Crm.Contact{i:08d}@Bench.Example" for i in range(count)],
        "optin_id": pa.array([OPTIN_ID] * count, pa.int64()),
        "optin_description": ["Newsletter (double opt-in)"] * count, "media_type": ["EMAIL"] * count,
        "salutation": ["Frau" if i % 2 else "Herr" for i in range(count)],
        "first_name": [f"Vorname{i}" for i in range(count)], "last_name": ["Bench"] * count,
        **{c: pa.nulls(count, pa.string()) for c in ("company", "city", "zip")},
        "created_at": pa.array([stamp] * count, pa.timestamp("us", tz="UTC")),
        "modified_at": pa.array([stamp] * count, pa.timestamp("us", tz="UTC")),
    })
    began = time.perf_counter()
    with warehouse.begin() as connection:
        load_arrow(connection, contacts, table)
    return time.perf_counter() - began


def expected_pairs(count: int) -> tuple[int, str]:
    return digest((f"crm.contact{i:08d}@bench.example", f"C{i:08d}") for i in range(count))


class Reference:
    """The product's batches as pre-rendered envelopes on one session, posted with bare httpx."""

    def __init__(self, soap: CampaignSoapResource, warehouse: WarehouseResource, config: RecipientListRefreshConfig):
        self.client = soap.get_client()
        self.session_id = self.client.login()
        self.caller: SoapCaller = self.client._caller
        self.loaded = self.caller.service("RpcRecipient")
        selection = select_recipients(warehouse, config, SuppressionMatcher((), ()))
        self.records, self.fields = selection.recipients, list(config.fields.values())
        self.batch_size = soap.batch_size

    def render(self) -> None:
        """clear, then one addAll3 per batch, as the product's caller renders them (for a placeholder list)."""
        self.rendered = [self._render("clear", PLACEHOLDER_LIST)]
        for batch in batches(self.records, self.fields, self.batch_size, PLACEHOLDER_LIST):
            self.rendered.append(batch.envelope.render(self.session_id))
        placeholder = f">{PLACEHOLDER_LIST}<".encode()
        if any(envelope.count(placeholder) != 1 for envelope in self.rendered):
            raise RuntimeError("the placeholder list id is not found exactly once in each envelope")

    def envelopes(self, list_id: int, limit: int | None = None) -> list[bytes]:
        """The rendered envelopes addressed to `list_id`: clear and the first `limit` addAll3 batches."""
        chosen = self.rendered if limit is None else self.rendered[: limit + 1]
        return [e.replace(f">{PLACEHOLDER_LIST}<".encode(), f">{list_id}<".encode()) for e in chosen]

    def _render(self, operation: str, *args: object) -> bytes:
        return etree_to_string(self.caller.envelope(self.loaded, operation, (self.session_id, *args)))

    def send(self, sandbox: ChildSandbox, list_id: int, envelopes: list[bytes], threads: int) -> float:
        """Seconds for clear (alone, first, as the product) and the addAll3s from `threads` threads."""
        sandbox.create_list(list_id, CRM_REFRESH_FIELDS)
        limits = httpx.Limits(max_connections=threads, max_keepalive_connections=threads)
        with httpx.Client(limits=limits, timeout=300, headers=SOAP_HEADERS) as http:
            def post(envelope: bytes) -> None:
                response = http.post(self.loaded.address, content=envelope)
                if response.status_code != 200 or b"Fault" in response.content[:400]:
                    raise RuntimeError(f"reference: HTTP {response.status_code} {response.text[:300]}")

            began = time.perf_counter()
            post(envelopes[0])
            return time.perf_counter() - began + send_all(envelopes[1:], threads, post)

    def close(self) -> None:
        self.client.close()


def _rss_mib(field: str) -> float:
    """VmRSS or VmHWM (the peak since the last reset) of this process, from /proc."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def run_product(sandbox: ChildSandbox, warehouse: WarehouseResource, soap: CampaignSoapResource,
                config: RecipientListRefreshConfig) -> tuple[float, Stopwatch]:
    sandbox.create_list(PRODUCT_LIST, CRM_REFRESH_FIELDS)
    Path("/proc/self/clear_refs").write_text("5")  # the peak restarts here: the reference's memory is not counted
    before = _rss_mib("VmRSS")
    watch = Stopwatch(*TIMED)
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            began = time.perf_counter()
            dg.materialize([recipient_list_refresh], instance=instance,
                           resources={"warehouse": warehouse, "soap": soap},
                           run_config={"ops": {"crm_refresh__recipient_list_refresh": {
                                           "config": config.model_dump(mode="json")}},
                                       "loggers": {"console": {"config": {"log_level": "WARNING"}}}})
            seconds = time.perf_counter() - began
    finally:
        watch.restore()
    print(f"  the product's peak RSS {_rss_mib('VmHWM'):,.0f} MiB, {before:,.0f} MiB before it", flush=True)
    return seconds, watch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["duckdb", "postgresql"], default="duckdb")
    parser.add_argument("--postgres-url", default=os.environ.get("EPISERVER_TEST_POSTGRES_URL"))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4, 8, 16, 25])
    parser.add_argument("--sweep-requests", type=int, default=50, help="addAll3 batches per thread count in the sweep")
    args = parser.parse_args()
    n = args.recipients
    print(f"CRM full refresh of {n:,} recipients over SOAP ({args.engine}); load average {load_average()}", flush=True)
    server = None
    with ChildSandbox() as sandbox, tempfile.TemporaryDirectory() as scratch:
        try:
            if args.engine == "duckdb":
                url = f"duckdb:///{scratch}/warehouse.duckdb"
            else:
                if not args.postgres_url:
                    server = ThrowawayPostgres(find_postgres_bin())
                    args.postgres_url = server.start()
                url = args.postgres_url
            warehouse = WarehouseResource(url=url)
            print(f"  contacts bulk-loaded into {contacts.fullname} in {load_contacts(warehouse, n):.2f} s")
            soap = CampaignSoapResource(soap_url=sandbox.soap_url, client_id=str(CLIENT_ID), api_user=USER,
                                        api_password=PASSWORD)
            config = RecipientListRefreshConfig(recipient_list_id=PRODUCT_LIST, optin_id=OPTIN_ID, confirm=True)
            want = expected_pairs(n)
            reference = Reference(soap, warehouse, config)
            try:
                began = time.perf_counter()
                reference.render()
                print(f"  reference envelopes rendered (not timed below) in {time.perf_counter() - began:.1f} s, "
                      f"{sum(map(len, reference.rendered)) / 2**20:,.0f} MiB", flush=True)
                rates = {}
                for threads in args.threads:
                    list_id = 710_000 + threads
                    envelopes = reference.envelopes(list_id, args.sweep_requests)
                    seconds = reference.send(sandbox, list_id, envelopes, threads)
                    rates[threads] = (len(envelopes) - 1) * soap.batch_size / seconds
                    sandbox.drop_list(list_id)
                    print(f"  reference sweep: {threads} threads {rates[threads]:9,.0f} recipients/s "
                          f"({len(envelopes) - 1} batches of {soap.batch_size})", flush=True)
                best = max(rates, key=rates.get)
                full = {}
                for label, threads, list_id in (("before", best, 720_000), ("after", 1, 730_000)):
                    envelopes = reference.envelopes(list_id)
                    if label == "after":
                        product_seconds, watch = run_product(sandbox, warehouse, soap, config)
                        print(f"  product (one step, up to {soap_share_per_step()} batches in flight) {product_seconds:7.2f} s  "
                              f"{n / product_seconds:9,.0f} recipients/s  (load average {load_average()})")
                        for _, _, name in TIMED:
                            print(f"    {name:28} {watch.seconds[name]:7.2f} s  {watch.calls[name]:5} calls")
                        print("  " + sandbox.check_list(PRODUCT_LIST, CHECK_FIELD, want, "product"), flush=True)
                        sandbox.drop_list(PRODUCT_LIST)
                    full[label] = n / reference.send(sandbox, list_id, envelopes, threads)
                    del envelopes
                    print(f"  reference, {threads} thread(s), clear + {n // soap.batch_size} addAll3: "
                          f"{full[label]:9,.0f} recipients/s", flush=True)
                    checked = sandbox.check_list(list_id, CHECK_FIELD, want, f"reference {threads} thread(s)")
                    print("  " + checked, flush=True)
                    sandbox.drop_list(list_id)
            finally:
                reference.close()
            product_rate = n / product_seconds
            # The sweep's best count runs before the product and one thread after it; when the best count is
            # one thread too, the faster of the two runs is the reference.
            best_rate = max(full.values()) if best == 1 else full["before"]
            print(f"  ratio: product / best reference ({best} threads) {product_rate / best_rate:.0%}; "
                  f"product / sequential reference {product_rate / full['after']:.0%}; sending sequentially costs "
                  f"{1 - full['after'] / best_rate:.0%} of the reference's rate")
        finally:
            if server is not None:
                server.stop()
    print(f"load average at the end {load_average()}; peak RSS of this process: {peak_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
