"""Append chunks of a table to one Parquet or CSV file, so memory stays bounded by the chunk size."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

Format = Literal["parquet", "csv"]


class TableSink:
    """One output file per table, written chunk by chunk to a temporary name and renamed on close."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: Format) -> None:
        self.path = path
        self.rows = 0
        self._tmp = path.with_name(f".{path.name}.tmp")
        self._writer: pq.ParquetWriter | pacsv.CSVWriter
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(self._tmp, schema, compression="zstd")
        else:
            self._writer = pacsv.CSVWriter(self._tmp, schema)

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        self._tmp.replace(self.path)

    def abort(self) -> None:
        self._writer.close()
        self._tmp.unlink(missing_ok=True)
