"""The closed-loop ingest benchmark's printed figures: per day size, the stages, then each target with
its figure, its reference and the ratio; last, peak memory by size."""

from __future__ import annotations

import os

TRANSFER_TARGET = 1.5  # our SFTP time / OpenSSH's
END_TO_END_TARGET = 1.25  # our day / the slower of transfer and the engine's bulk load
BINARY_COPY_TARGET = 0.75  # binary COPY of pre-encoded rows' time / our load's (our share of its rate)
CORES = os.cpu_count() or 1
TARGET_PEAK_MIB = 1024
FLAT_GROWTH_MIB = 128
"""'Flat': a stage's peak grows by less than this from the smallest day to the largest."""
SERVER_CPU = ("sftp_server_cpu_seconds", "server_cpu_seconds")  # the SFTP server's, the PostgreSQL backend's
ENGINES = {"duckdb": ("DuckDB", "read_csv + INSERT"), "postgres": ("PostgreSQL", "CSV COPY FROM STDIN")}
OURS = ("transfer", "download", "parse_validate", "reader", "duckdb_end_to_end", "duckdb_load",
        "postgres_end_to_end", "postgres_load")


def _line(label: str, figure: dict, rows: int, megabytes: float, seconds: float | None = None) -> str:
    """One stage; a part of a stage (`seconds` given) shows neither the stage's CPU time nor its RSS."""
    part = seconds is not None
    seconds = figure["seconds"] if seconds is None else seconds

    def own(value: float | None, width: int, digits: int) -> str:
        return f"{value:{width}.{digits}f}" if value is not None and not part else " " * width

    servers = [figure[key] for key in SERVER_CPU if key in figure]
    cpu, memory = own(figure.get("cpu_seconds"), 7, 1), own(figure.get("peak_rss_mib"), 8, 0)
    server = own(sum(servers) if servers else None, 7, 1)
    return f"{label:<52} {seconds:7.2f} {cpu} {server} {rows / seconds / 1e6:8.2f} {megabytes / seconds:7.1f} {memory}"


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def _stage_table(figures: dict) -> list[str]:
    rows, megabytes = figures["generate"]["file_rows"], figures["generate"]["bytes"] / 1e6
    out = [f"{'stage':<52} {'wall s':>7} {'CPU s':>7} {'srv CPU':>7} {'Mrows/s':>8} {'MB/s':>7} {'RSS MiB':>8}"]

    def add(name: str, label: str, part: str | None = None) -> None:
        if name in figures:
            figure = figures[name]
            out.append(_line(label, figure, rows, megabytes, figure[part] if part else None))

    add("openssh", "transfer: OpenSSH sftp -b, one session (reference)")
    add("transfer", "transfer: ours, SftpSession.download_to, one session")
    add("download", "download: ours, SftpSession.download (fsync, rename)")
    add("parse_validate", "parse + validate, serial (the reader's parts)")
    add("reader", "reader: iter_response_batches (read-ahead)")
    for engine, (name, reference) in ENGINES.items():
        add(f"{engine}_end_to_end", f"{name}: end-to-end day (sensor + load_days)")
        add(f"{engine}_end_to_end", f"{name}:   sensor, two looks at the listing", "sensor")
        add(f"{engine}_end_to_end", f"{name}:   run: load_days (SFTP, validate, load)", "run")
        add(f"{engine}_load", f"{name}: load_response_file from local files")
        add(f"{engine}_load", f"{name}:   in the engine insert (load_arrow)", "insert")
        add(f"{engine}_reference", f"{name}: reference {reference}")
        add(f"{engine}_binary_copy", f"{name}: reference binary COPY, pre-encoded rows")
    return out


def _ratio_line(what: str, ours: float, reference_text: str, ratio: float, target: str, ok: bool) -> str:
    return f"  {what}: {ours:.2f} s vs {reference_text}: {ratio:.2f}x  (target {target}) {_verdict(ok)}"


def _targets(figures: dict) -> list[str]:
    out = []
    if "transfer" in figures and "openssh" in figures:
        ours, openssh = figures["transfer"]["seconds"], figures["openssh"]["seconds"]
        out.append(_ratio_line("SFTP transfer, ours", ours, f"OpenSSH sftp {openssh:.2f} s", ours / openssh,
                               f"<= {TRANSFER_TARGET}x", ours / openssh <= TRANSFER_TARGET))
    for engine, (name, reference) in ENGINES.items():
        day, bulk = figures.get(f"{engine}_end_to_end"), figures.get(f"{engine}_reference")
        if day and bulk and "transfer" in figures:
            transfer = figures["transfer"]["seconds"]
            slower = max(transfer, bulk["seconds"])
            text = f"slower reference {slower:.2f} s (transfer {transfer:.2f} s, {reference} {bulk['seconds']:.2f} s)"
            ratio = day["seconds"] / slower
            out.append(_ratio_line(f"{name} end-to-end day", day["seconds"], text, ratio,
                                   f"<= {END_TO_END_TARGET}x", ratio <= END_TO_END_TARGET))
        if day:
            # The SFTP server and, on PostgreSQL, the backend share this machine's cores with the run.
            spent = day["cpu_seconds"] + sum(day.get(key, 0.0) for key in SERVER_CPU)
            out.append(f"  {name} end-to-end day used {spent:.1f} CPU s (ours, SFTP server, PostgreSQL backend): "
                       f"no less than {spent / CORES:.2f} s of wall time on {CORES} cores")
            read, size = day["transferred_bytes"], day["bytes"]
            out.append(f"  {name} bytes read from the SFTP server for the day (the sensor reads none): {read:,} for "
                       f"files of {size:,} bytes  (target: equal) {_verdict(read == size)}")
    load, binary = figures.get("postgres_load"), figures.get("postgres_binary_copy")
    if load and binary:
        share = binary["seconds"] / load["seconds"]
        csv = figures.get("postgres_reference")
        versus_csv = f"; CSV COPY {csv['seconds']:.2f} s, {csv['seconds'] / load['seconds']:.0%}" if csv else ""
        out.append(f"  PostgreSQL load, ours: {load['seconds']:.2f} s vs binary COPY of pre-encoded rows "
                   f"{binary['seconds']:.2f} s (encoded beforehand in {binary['encode']:.1f} s): {share:.0%} of its "
                   f"rate  (target >= {BINARY_COPY_TARGET:.0%}) {_verdict(share >= BINARY_COPY_TARGET)}{versus_csv}")
    return out


def _memory(results: dict[int, dict], baseline: dict | None) -> list[str]:
    """Peak RSS and, in brackets, the peak of Arrow's memory pool (our batches, without the libraries
    and the engine's caches), by size; then the two memory targets."""
    sizes = sorted(results)
    out = [f"{'peak RSS (Arrow pool peak), MiB, one process each':<50}" + "".join(f"{f'{s:,} rows':>18}" for s in sizes)]
    if baseline:
        out.append(f"{'imports only (dagster, pandas, pandera, ...)':<50}{baseline['peak_rss_mib']:>18.0f}")
    stages = [s for s in results[sizes[-1]] if "peak_rss_mib" in results[sizes[-1]][s]]
    for stage in stages:
        cells = [f"{results[s][stage]['peak_rss_mib']:.0f} ({results[s][stage]['arrow_peak_mib']:.0f})"
                 if stage in results[s] else "-" for s in sizes]
        out.append(f"{stage + ('' if stage in OURS else ' (reference)'):<50}" + "".join(f"{c:>18}" for c in cells))
    ours = [(s, stage, results[s][stage]["peak_rss_mib"]) for s in sizes for stage in OURS if stage in results[s]]
    if ours:
        size, stage, peak = max(ours, key=lambda item: item[2])
        out.append(f"  peak RSS of our stages: {peak:.0f} MiB ({stage}, {size:,} rows)  (target < {TARGET_PEAK_MIB} MiB) "
                   f"{_verdict(peak < TARGET_PEAK_MIB)}")
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        growth = {stage: large[stage]["peak_rss_mib"] - small[stage]["peak_rss_mib"]
                  for stage in OURS if stage in small and stage in large}
        worst = max(growth, key=growth.get)
        out.append(f"  peak RSS growth from {sizes[0]:,} to {sizes[-1]:,} rows: at most {growth[worst]:+.0f} MiB "
                   f"({worst})  (target < {FLAT_GROWTH_MIB} MiB) {_verdict(growth[worst] < FLAT_GROWTH_MIB)}")
    return out


def print_report(results: dict[int, dict], baseline: dict | None, load_average: tuple[float, float]) -> None:
    print()
    print(f"Closed-loop ingest (1-minute load average {load_average[0]:.1f} before, {load_average[1]:.1f} after; "
          f"{CORES} cores). srv CPU: the SFTP server's and the PostgreSQL backend's during the stage.")
    for rows in sorted(results):
        figures = results[rows]
        generated = figures["generate"]
        print()
        print(f"{generated['file_rows']:,} rows in 8 files, {generated['bytes'] / 1e6:,.0f} MB")
        for line in [*_stage_table(figures), f"Targets at {rows:,} rows:", *_targets(figures)]:
            print(line)
    print()
    for line in _memory(results, baseline):
        print(line)
