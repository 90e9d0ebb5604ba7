"""The declaration file: how a flat-file user says what each characteristic is (SPEC section 5).

One TOML table (or JSON object) per column, named by the column::

    [utilisation]
    family = "fulfilment_capacity"            # required: one of the four usable families
    description = "Share of credit limits in use"
    unit = "percent"                          # money, percent, months, days, count, flag, number
    advice = "lower"                          # lower, higher or none: which way recourse may move it
    code = "U01"                              # stable reason code (default: the column name)
    statement = "You are using {value} of your credit limits; {better} scores higher."
    adverse_action = "Proportion of balances to credit limits is too high"
    missing_means = "no credit limit"         # what a missing value means (default: "not reported")
    higher_is = "worse"                       # better, worse or unknown (documentation)

Only ``family`` is required. A column without a declaration keeps the defaults (family guessed from its
name, description = the name, advice none, the default statement). Any mistake is one error naming the
file, the characteristic and the field.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from lucidscore.errors import InputError, absent, utf8_text
from lucidscore.policy.families import Advice, Family, FeatureMeta, Unit


class Declaration(BaseModel):
    """One characteristic's entry in a declaration file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    family: Family
    description: str = ""
    unit: Unit = "number"
    advice: Advice = "none"
    code: str = ""
    statement: str = ""
    adverse_action: str = ""
    missing_means: str = ""
    higher_is: str = "unknown"

    def meta(self, name: str) -> FeatureMeta:
        """As ``FeatureMeta`` (which checks the code and the statement template)."""
        return FeatureMeta(
            name=name,
            family=self.family,
            description=self.description or name,
            advice=self.advice,
            unit=self.unit,
            higher_is=self.higher_is,  # type: ignore[arg-type]  # checked by FeatureMeta
            code=self.code,
            statement=self.statement,
            adverse_action=self.adverse_action,
            missing_means=self.missing_means,
        )


def _read(path: Path) -> object:
    text = utf8_text(path, "a declarations file (TOML or JSON)")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"{path}: not valid TOML ({exc}); expected one [column] table per characteristic"
        ) from None


def parse_declarations(raw: object, source: str) -> dict[str, FeatureMeta]:
    """Declarations from parsed TOML/JSON: ``{column: {field: value}}``."""
    if not isinstance(raw, dict):
        raise InputError(f"{source}: expected one table (object) per characteristic, named by its column")
    out: dict[str, FeatureMeta] = {}
    for name, entry in raw.items():
        where = f"{source}: characteristic {name}"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected a table of fields (family, description, unit, advice, ...)")
        try:
            out[name] = Declaration.model_validate(entry).meta(name)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(x) for x in first["loc"]) or "entry"
            raise InputError(f"{where} field {field}: {first['msg']}") from None
        except ValueError as exc:  # FeatureMeta's checks: code, statement template
            raise InputError(f"{where}: {str(exc).split(': ', 1)[-1]}") from None
    return out


def load_declarations(path: str | Path) -> dict[str, FeatureMeta]:
    """Read a declaration file (TOML, or JSON when it ends in .json) into ``FeatureMeta`` per column.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.toml"
    >>> _ = p.write_text('[util]\\nfamily = "fulfilment_capacity"\\nunit = "percent"\\nadvice = "lower"\\n')
    >>> load_declarations(p)["util"].advice
    'lower'
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {absent(p, 'declaration file')}; expected TOML with one [column] table each")
    return parse_declarations(_read(p), str(p))
