"""Generate seeds/country_calling_codes.csv from the `phonenumbers` metadata (rule R14).

Each row maps an E.164 prefix (calling code plus, for shared codes, the leading digits
of the national number) to an ISO 3166-1 country. The warehouse picks the longest
prefix that a user's number starts with; a number that matches nothing is `Unknown`.

For a calling code shared by several countries (+1, +7, +44, ...) the script follows
the order in which `phonenumbers.region_code_for_number` decides: regions in the
library's list order, a region with `leading_digits` claims every number those digits
start, a region without them claims numbers that fit one of its number-type patterns.
The prefix tree is refined digit by digit until a single region can own the prefix;
prefixes no other region can claim stay with the code's main country (R14: "+1
unlisted -> United States of America").

Run: .venv/bin/python scripts/generate_country_calling_codes.py > seeds/country_calling_codes.csv
Never imported at run time.
"""

from __future__ import annotations

import csv
import sys
from enum import Enum

import phonenumbers
import pycountry
import regex
from phonenumbers.phonemetadata import PhoneMetadata

MAX_NATIONAL_PREFIX_DIGITS = 6

# Names the spec fixes (R14/R22 precise readings) and regions pycountry does not list.
NAME_OVERRIDES = {
    "US": "United States of America",
    "GB": "United Kingdom of Great Britain and Northern Ireland",
    "AC": "Ascension Island",
    "TA": "Tristan da Cunha",
    "XK": "Kosovo",
}

TYPE_DESCS = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)


class Claim(Enum):
    NO = 0
    MAYBE = 1
    YES = 2


def country_name(region: str) -> str:
    if region in NAME_OVERRIDES:
        return NAME_OVERRIDES[region]
    country = pycountry.countries.get(alpha_2=region)
    if country is None:
        raise SystemExit(f"no ISO 3166-1 name for region {region}: add it to NAME_OVERRIDES")
    return country.name


def type_patterns(meta: PhoneMetadata) -> list[str]:
    patterns = []
    for name in TYPE_DESCS:
        desc = getattr(meta, name, None)
        if desc is not None and desc.national_number_pattern:
            patterns.append(desc.national_number_pattern)
    return patterns


def claim(meta: PhoneMetadata, prefix: str) -> Claim:
    """How surely `meta`'s region owns every national number starting with `prefix`."""
    if meta.leading_digits is not None:
        if regex.match(meta.leading_digits, prefix):
            return Claim.YES
        if regex.match(meta.leading_digits, prefix, partial=True):
            return Claim.MAYBE
        return Claim.NO
    for pattern in type_patterns(meta):
        if regex.fullmatch(pattern, prefix, partial=True):
            return Claim.MAYBE
    return Claim.NO


def owner(regions: tuple[str, ...], prefix: str, final: bool) -> str | None:
    """The region owning `prefix`, '' when nobody can, None when it must be refined."""
    claimants = [(r, claim(PhoneMetadata.metadata_for_region(r), prefix)) for r in regions]
    live = [(r, c) for r, c in claimants if c is not Claim.NO]
    if not live:
        return ""
    first_region, first_claim = live[0]
    if first_claim is Claim.YES or len(live) == 1 or final:
        return first_region
    return None


def shared_code_rows(code: int, regions: tuple[str, ...]) -> list[tuple[str, str]]:
    main = phonenumbers.region_code_for_country_code(code)
    rows = [(str(code), main)]

    def refine(prefix: str, inherited: str) -> None:
        for digit in "0123456789":
            national = prefix + digit
            found = owner(regions, national, final=len(national) >= MAX_NATIONAL_PREFIX_DIGITS)
            if found is None:
                refine(national, inherited)
                continue
            region = found or inherited
            if region != inherited:
                rows.append((f"{code}{national}", region))

    refine("", main)
    return rows


def main() -> None:
    rows: list[tuple[str, str]] = []
    for code, regions in sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()):
        geographic = tuple(r for r in regions if r != "001")
        if not geographic:
            continue
        if len(geographic) == 1:
            rows.append((str(code), geographic[0]))
        else:
            rows.extend(shared_code_rows(code, geographic))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["calling_prefix", "country_code", "country_name"])
    for prefix, region in sorted(rows):
        writer.writerow([prefix, region, country_name(region)])


if __name__ == "__main__":
    main()
