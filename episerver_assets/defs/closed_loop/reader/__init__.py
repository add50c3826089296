"""Read a daily response file into validated Arrow data, streaming, or fail saying where and why.

Format (seed 004): `;`-separated, fields in double quotes with quotes doubled, a header row, UTF-8,
values are strings. Also accepted: a UTF-8 BOM, CRLF line ends, line breaks inside quoted fields,
unquoted fields, and `.csv.gz` (decompressed as a stream). Arrow's streaming CSV reader parses
blocks on a read-ahead thread; `schemas.validate_batch` types each block and validates it with the
table's pandera model. Line numbers are worked out only when a file fails.

    for batch in iter_response_batches(path):          # table from the file name, or pass it
        ...                                            # load; ResponseFileError may come mid-file
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
