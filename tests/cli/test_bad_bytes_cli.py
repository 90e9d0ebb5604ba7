"""The small files an operator or modeller hands in — declarations, a benefit catalogue, a CSV of accounts,
a shard map — saved in another encoding: one error naming the file, the line (a CSV's row) and the byte,
exit 2, and nothing written."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from lucidscore.store import make_engine
from tests.fixtures.bureau import Lucid


def _rows(url: str, table: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
    engine.dispose()
    return int(n)


def test_declarations_in_latin_1(tmp_path: Path, lucid: Lucid) -> None:
    data = tmp_path / "t.csv"
    data.write_text("x,bad\n" + "".join(f"{i % 7},{int(i % 7 > 3)}\n" for i in range(400)))
    decl = tmp_path / "d.toml"
    decl.write_bytes(
        '[x]\nfamily = "credit_history"\ndescription = "Paiements réguliers"\n'.encode("latin-1")
    )
    out = tmp_path / "m.json"
    code, _, err = lucid(
        "train", str(data), "--target", "bad", "--declarations", str(decl), "--out", str(out)
    )
    assert code == 2, err
    assert f"{decl} line 3: byte 27 of the line (0xe9) is not UTF-8" in err
    assert "Traceback" not in err and not out.exists()


def test_catalogue_accounts_and_shard_map_in_another_encoding(tmp_path: Path, lucid: Lucid) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    code, _, err = lucid("admin", "create", "analyst", "ann", "--db", url)
    assert code == 0, err
    catalogue = tmp_path / "c.json"
    catalogue.write_bytes(b'{"benefits": [\n {"product": "cr\xe9dit", "kind": "credit_line"}]}\n')
    code, _, err = lucid("catalogue", "set", str(catalogue), "--db", url)
    assert code == 2 and f"{catalogue} line 2: byte 17 of the line (0xe9) is not UTF-8" in err
    assert _rows(url, "benefit_catalogues") <= 1  # at most the seed version; none from this file

    accounts = tmp_path / "a.csv"
    accounts.write_bytes(b"\xef\xbb\xbfrole,username\nanalyst,zoe\nmerchant,caf\xe9\n")
    code, _, err = lucid("admin", "import", str(accounts), "--db", url)
    assert code == 2 and f"{accounts} row 3: byte 13 of the line (0xe9) is not UTF-8" in err
    assert _rows(url, "users") == 1  # ann only: zoe, on a good row, was not created either

    shard_map = tmp_path / "s.toml"
    shard_map.write_bytes(b'[[shard]]\nurl = "sqlite:///d\xfcsseldorf.db"\n')
    code, _, err = lucid("shards", "status", str(shard_map))
    assert code == 2 and f"{shard_map} line 2: byte 19 of the line (0xfc) is not UTF-8" in err
