"""Read a daily response file into validated Arrow data, streaming, or fail saying where and why.

The format (seed 004) is exact: a header row, then records; every field in double quotes, a quote
inside a field doubled (`""`), fields separated by `;`, every line (the last included) ending in
one line feed, UTF-8. A file is loaded only if it is exactly in this format, so every value reaches
the warehouse byte for byte as it stands between its quotes. Otherwise ResponseFileError names the
file, the line where the record starts (1 = header), the column (wire name), the reason and the
offending text. The decisions, case by case:

| In the file                                         | Decision                                         |
| --------------------------------------------------- | ------------------------------------------------ |
| UTF-8 byte order mark before the header             | accepted, skipped (no value changes)             |
| `.csv.gz` (gzip, also a stream)                     | accepted, decompressed as read                   |
| `;`, line feeds, tabs inside a quoted field         | accepted as data                                 |
| CR, other control characters except NUL, inside a   | accepted as data, byte for byte                  |
| quoted field                                        |                                                  |
| empty field `""`                                    | accepted: NULL (empty and absent are one here)   |
| "NULL", "NA", "nan", spaces, leading zeros (text)   | accepted as the text it is                       |
| field not in double quotes (also an empty one, `;;`)| rejected: "field not enclosed in double quotes"  |
| single `"` inside a field, text after closing quote | rejected: "double quote inside a field not       |
|                                                     | written as "" (doubled)"                         |
| CRLF or CR line ends (header included)              | rejected: "carriage return: lines must end ..."  |
| empty line (also at the end)                        | rejected: "empty line"                           |
| data after the last line feed                       | rejected (unquoted field, or missing line feed)  |
| last line without its line feed                     | rejected: it cannot be told from a transfer cut  |
|                                                     | after a quote ("a""b" cut to "a"), nor a header- |
|                                                     | only file from a cut one                         |
| file ends inside a quoted field or record           | rejected: "... (truncated?)"                     |
| too many or too few fields in a record              | rejected: "10 fields, expected 9"                |
| NUL byte (anywhere)                                 | rejected: PostgreSQL text cannot hold it, so the |
|                                                     | engines would differ                             |
| field over 1 MiB, record over 8 MiB (in the file)   | rejected: bounds memory (FIELD_LIMIT,            |
|                                                     | RECORD_LIMIT in `structure`)                     |
| invalid UTF-8 in a value / in the header            | rejected: "not valid UTF-8" with line and column |
| header of exactly the column names, unquoted        | accepted: a header carries no values             |
| header not exactly the table's column names         | rejected on line 1: missing, extra, renamed      |
| repeated primary key (mailings, mailing recipients, | rejected after the last batch: the key, its      |
| links: `id`)                                        | first line and the repeating line                |
| truncated or corrupt gzip                           | rejected: "cannot be read ..."                   |

How: `structure.StrictParser` is the only parser. Numpy finds the double quotes of each block of
raw bytes; in the strict format they alone fix where every field starts and ends, and any byte
that does not fit is a violation. Arrow kernels then cut the values out of the block (two threads
read ahead: parse, and cut into columns). `schemas.validate_batch` types each batch and validates
it with the table's pandera model; key values are kept (8 bytes a row) and checked for repeats at
the end. Lines and reasons are worked out only when a file fails (`explain`, `lines`).

    for batch in iter_response_batches(path):          # table from the file name, or pass it
        ...                                            # load; ResponseFileError may come mid-file
    iter_response_batches(path, stream=download)       # the bytes of `path` as they arrive
    result = read_response_file(path, "clicks")        # result.data: pyarrow.Table
"""

from .errors import ResponseFileError, RowFailure
from .files import DEFAULT_BATCH_ROWS, MAX_REPORTED_FAILURES, ReadResult, iter_response_batches, read_response_file

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "MAX_REPORTED_FAILURES",
    "ReadResult",
    "ResponseFileError",
    "RowFailure",
    "iter_response_batches",
    "read_response_file",
]
