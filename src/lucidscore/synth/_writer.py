"""Append chunks of a table to one Parquet or CSV file, so memory stays bounded by the chunk size."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lucidscore.paths import temporary_sibling

Format = Literal["parquet", "csv"]


class TableSink:
    """One output file per table, written chunk by chunk to a temporary name: ``finish`` completes the
    temporary file, ``publish`` renames it into place, ``abort`` removes it."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: Format) -> None:
        self.path = path
        self.rows = 0
        self._tmp = temporary_sibling(path)
        self._open = True
        self._writer: pq.ParquetWriter | pacsv.CSVWriter
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")
        else:
            self._writer = pacsv.CSVWriter(self._tmp, schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def finish(self) -> None:
        """Write the file's end (Parquet's footer) to the temporary file."""
        if self._open:
            self._open = False
            self._writer.close()

    def publish(self) -> None:
        """Rename the finished temporary file into place (a rename: it is whole or absent)."""
        self._tmp.replace(self.path)

    def abort(self) -> None:
        self.finish()
        self._tmp.unlink(missing_ok=True)
