"""The closed-loop ingest benchmark's printed figures: stages of the main size, targets, memory by size."""

from __future__ import annotations

TARGET_RATIO = 0.70
TARGET_PEAK_MIB = 1536
FLAT_GROWTH_MIB = 128
"""'Flat': a stage's peak grows by less than this from the smaller to the larger day."""
ENGINES = {"duckdb": ("DuckDB", "read_csv + INSERT"), "postgres": ("PostgreSQL", "COPY FROM STDIN")}


def _line(label: str, figure: dict, rows: int, megabytes: float, seconds: float | None = None) -> str:
    """One stage; a part of a stage (`seconds` given) shows neither the stage's CPU time nor its RSS."""
    part = seconds is not None
    seconds = figure["seconds"] if seconds is None else seconds

    def own(key: str, width: int, digits: int) -> str:
        return f"{figure[key]:{width}.{digits}f}" if key in figure and not part else " " * width

    cpu, server, memory = own("cpu_seconds", 7, 1), own("server_cpu_seconds", 7, 1), own("peak_rss_mib", 8, 0)
    return f"{label:<48} {seconds:7.2f} {cpu} {server} {rows / seconds / 1e6:8.2f} {megabytes / seconds:7.1f} {memory}"


def _verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def _stage_table(figures: dict) -> list[str]:
    rows, megabytes = figures["reader"]["rows"], figures["download"]["bytes"] / 1e6
    parse_validate = figures["parse_validate"]
    out = [f"{'stage':<48} {'wall s':>7} {'CPU s':>7} {'srv CPU':>7} {'Mrows/s':>8} {'MB/s':>7} {'RSS MiB':>8}",
           _line("generate (sandbox, not measured against)", figures["generate"], rows, megabytes),
           _line("download (SFTP, one session, 8 files)", figures["download"], rows, megabytes),
           _line("parse (pyarrow, the reader's options)", parse_validate, rows, megabytes,
                 parse_validate["parse"]),
           _line("validate (Arrow casts + pandera model)", parse_validate, rows, megabytes,
                 parse_validate["validate"]),
           _line("parse + validate, serial (CPU/RSS of both)", parse_validate, rows, megabytes),
           _line("reader: iter_response_batches (read-ahead)", figures["reader"], rows, megabytes)]
    for engine, (name, reference) in ENGINES.items():
        if f"{engine}_load" not in figures:
            continue
        load, ref = figures[f"{engine}_load"], figures[f"{engine}_reference"]
        out += [_line(f"{name}: load_response_file (end to end)", load, rows, megabytes),
                _line(f"{name}:   waiting for the reader", load, rows, megabytes, load["read"]),
                _line(f"{name}:   in the engine insert (load_arrow)", load, rows, megabytes, load["insert"]),
                _line(f"{name}:   the rest (delete, commit, sha256)", load, rows, megabytes,
                      load["seconds"] - load["read"] - load["insert"]),
                _line(f"{name}: reference {reference}", ref, rows, megabytes),
                _line(f"{name}: download + load_response_file", load, rows, megabytes,
                      figures["download"]["seconds"] + load["seconds"])]
    return out


def _targets(figures: dict) -> list[str]:
    out = []
    for engine, (name, reference) in ENGINES.items():
        if f"{engine}_load" not in figures:
            continue
        ratio = figures[f"{engine}_reference"]["seconds"] / figures[f"{engine}_load"]["seconds"]
        out.append(f"{name} end to end / {reference}: {ratio:6.1%}  (target >= {TARGET_RATIO:.0%}) "
                   f"{_verdict(ratio >= TARGET_RATIO)}")
    ours = {k: v for k, v in figures.items() if "peak_rss_mib" in v and not k.endswith("_reference")}
    worst = max(ours, key=lambda k: ours[k]["peak_rss_mib"])
    peak = ours[worst]["peak_rss_mib"]
    out.append(f"peak RSS of our stages: {peak:.0f} MiB in {worst}  (target < {TARGET_PEAK_MIB} MiB) "
               f"{_verdict(peak < TARGET_PEAK_MIB)}")
    return out


def _flatness(results: dict[int, dict], key: str, what: str) -> str:
    sizes = sorted(results)
    if len(sizes) < 2:
        return f"{what} flat as files grow: not measured (one size only)"
    small, large = results[sizes[0]], results[sizes[-1]]
    growth = {stage: large[stage][key] - small[stage][key]
              for stage in large if key in large[stage] and not stage.endswith("_reference")}
    growing = ", ".join(f"{stage} {mib:+.0f} MiB" for stage, mib in growth.items() if mib >= FLAT_GROWTH_MIB)
    return (f"{what} flat from {sizes[0]:,} to {sizes[-1]:,} rows (each of our stages grows < {FLAT_GROWTH_MIB} "
            f"MiB): {_verdict(not growing)}{f' ({growing})' if growing else ''}")


def _memory_table(results: dict[int, dict], baseline: dict) -> list[str]:
    """Peak RSS and, in brackets, the peak of Arrow's memory pool: the reader's batches, without the
    libraries and the engine's own caches."""
    sizes = sorted(results)
    header = f"{'peak RSS (Arrow pool peak), MiB, one process each':<48}" + "".join(f"{f'{s:,} rows':>18}" for s in sizes)
    out = [header, f"{'imports only (dagster, pandas, pandera, ...)':<48}{baseline['peak_rss_mib']:>18.0f}"]
    for stage in results[sizes[-1]]:
        if "peak_rss_mib" not in results[sizes[-1]][stage]:
            continue
        cells = [f"{results[s][stage]['peak_rss_mib']:.0f} ({results[s][stage]['arrow_peak_mib']:.0f})" for s in sizes]
        growth = results[sizes[-1]][stage]["peak_rss_mib"] - results[sizes[0]][stage]["peak_rss_mib"]
        out.append(f"{stage:<48}" + "".join(f"{c:>18}" for c in cells) + (f"   {growth:+.0f} MiB" if len(sizes) > 1 else ""))
    return out


def print_report(results: dict[int, dict], rows: int, baseline: dict, load_average: tuple[float, float]) -> None:
    figures = results[rows]
    generated = figures["generate"]
    print()
    print(f"Closed-loop ingest: {generated['file_rows']:,} rows in 8 files, {generated['bytes'] / 1e6:,.0f} MB "
          f"(1-minute load average {load_average[0]:.1f} before, {load_average[1]:.1f} after; 2 cores)")
    flatness = [_flatness(results, "peak_rss_mib", "peak RSS"), _flatness(results, "arrow_peak_mib", "Arrow pool peak")]
    lines = [*_stage_table(figures), "", *_targets(figures), *flatness, "", *_memory_table(results, baseline)]
    for line in lines:
        print(line)
