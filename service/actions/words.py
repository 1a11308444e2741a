"""A site's own word lists: read, replace, add and remove entries, import and export them as text or CSV.

Entries are checked all together: a change with any bad entry is refused as a
whole (``Invalid`` lists every problem at once) and nothing of it is applied.
A change is one store script (entries, version and audit entry together, the
audit entry naming the entries changed); every process uses it within about
``MODERATION_CHANGE_POLL_S`` (``Services.site_words``).

Text format, one entry a line: ``<severity>[:<category>] <word or phrase>``,
optionally followed by ``  # note``; blank lines and lines starting with ``#``
are skipped. CSV: a header with ``pattern,severity`` and optionally
``category,note`` (an export adds ``added_by,added_at``, the time in ISO 8601).
A text or CSV body is read into an ``Imported``: every problem in it, of its
syntax or of an entry, is named by its line in that body (``line 7``, lines
counted from 1 at ``\n``, ``\r\n`` or ``\r``, as an editor counts them).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from moderation.classifier.site_words import DEFAULT_CATEGORY, DOMAIN_CATEGORY, SEVERITIES, canonical, check, is_domain

from ..schemas import WORD_ENTRY, WORDS_REMOVED, field_errors
from ..times import iso
from .context import Services
from .errors import Invalid

#: The most entries one site may have.
MAX_ENTRIES = 50_000
#: The most entries an audit entry names (then how many more).
AUDIT_NAMES = 20


@dataclass
class Imported:
    """Entries read from a text or CSV body, each with its line in it, and the lines that could not be read."""

    entries: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def add(self, entry: dict, line: int) -> None:
        self.entries.append(entry)
        self.lines.append(line)

    def problem(self, line: int, message: str) -> None:
        self.errors.append({"field": f"line {line}", "message": message})


def entries(services: Services, site: str, query: str = "", severity: str | None = None) -> tuple[int, list[dict]]:
    """Return the lists' version and the site's entries, sorted by pattern, those containing ``query`` and of
    ``severity`` when given."""
    version, found = services.store.words.load(site)
    query = query.casefold().strip()
    out = []
    for pattern in sorted(found):
        entry = found[pattern]
        if (query and query not in pattern and query not in entry.get("note", "").casefold()) or (
            severity and entry["severity"] != severity
        ):
            continue
        out.append({"pattern": pattern, **entry})
    return version, out


#: The order an entry's problems are told in: its unknown fields first (by name), then its own.
_ORDER = {"severity": 1, "pattern": 2, "category": 3, "note": 4}


def _entry(raw: object, report, who: str, now: float) -> tuple[str, dict] | None:
    """Return (pattern, entry) of one raw entry, or None after telling ``report(part, message)`` each problem (part
    None: the entry itself). The entry's shape is ``service.schemas.SiteWordInput``, validated as request bodies are."""
    problems = field_errors(raw, WORD_ENTRY)
    if problems:
        for problem in sorted(problems, key=lambda p: (_ORDER.get(p["field"], 0), p["field"])):
            report(None if problem["field"] == "(body)" else problem["field"], problem["message"])
        return None
    severity, category = raw["severity"], raw.get("category")
    pattern, _ = check(raw["pattern"], severity)
    if severity == "allow":
        category = ""
    elif category is None:
        category = DOMAIN_CATEGORY if is_domain(pattern) else DEFAULT_CATEGORY
    return pattern, {"severity": severity, "category": category, "note": raw.get("note", ""), "added_by": who, "added_at": now}


def _checked(
    raw_entries: object, who: str, now: float, field: str = "entries", errors: list[dict] | None = None
) -> dict[str, dict]:
    """Return {pattern: entry} of every raw entry, or raise ``Invalid`` with ``errors`` and every problem found.

    Entries of an ``Imported`` body are named by their line (``line 7``, "pattern is empty"), the body's own syntax
    problems among them in line order; others by their place in ``field`` (``entries[3].pattern``, "is empty")."""
    errors = list(errors or [])
    if isinstance(raw_entries, Imported):
        raws, lines, found = raw_entries.entries, raw_entries.lines, list(raw_entries.errors)
    elif isinstance(raw_entries, list):
        raws, lines, found = raw_entries, None, []
    else:
        raise Invalid([*errors, {"field": field, "message": "must be a list of entries"}])
    out: dict[str, dict] = {}
    first: dict[str, int] = {}
    for index, raw in enumerate(raws):
        if lines is None:
            path = f"{field}[{index}]"

            def report(part, message, path=path):
                found.append({"field": f"{path}.{part}" if part else path, "message": message})
        else:

            def report(part, message, line=lines[index]):
                found.append({"field": f"line {line}", "message": f"{part} {message}" if part else message})

        made = _entry(raw, report, who, now)
        if made is not None:
            pattern, entry = made
            if pattern in out:
                where = f"line {lines[first[pattern]]}" if lines else f"{field}[{first[pattern]}]"
                report("pattern", f"{pattern!r} is listed twice (first at {where})")
            else:
                first[pattern] = index
            out[pattern] = entry
    if lines is not None:
        found.sort(key=lambda e: int(e["field"].split()[1]))  # every problem in the order of the body's lines
    if errors or found:
        raise Invalid(errors + found)
    return out


def _audit(who: str, now: float, summary: str, key_name: str) -> dict:
    return {
        "type": "rules",
        "decision": "rules",
        "change": summary,
        "moderator": who,
        "key": key_name,
        "note": "",
        "at": now,
    }


def _named(count: str, patterns: list[str], room: int) -> str:
    """``count`` followed by the first ``room`` of ``patterns`` (sorted) and how many more, in parentheses."""
    if room <= 0 or not patterns:
        return count
    shown = sorted(patterns)
    more = len(shown) - room
    return f"{count} ({', '.join(shown[:room])}{f' and {more:,} more' if more > 0 else ''})"


def _summary(put: dict[str, dict], removed: list[str], replaced: bool) -> str:
    """What a change did, for the audit log: how many entries of each list, and which (``AUDIT_NAMES`` named in all,
    then how many more): ``added or changed 2 block (troll, troll*), 1 review (plonker); removed 1 (scunthorpe)``."""
    by_severity: dict[str, list[str]] = {}
    for pattern, entry in put.items():
        by_severity.setdefault(entry["severity"], []).append(pattern)
    parts, room = [], AUDIT_NAMES
    for severity, patterns in sorted(by_severity.items()):
        parts.append(_named(f"{len(patterns):,} {severity}", patterns, room))
        room -= len(patterns)
    added = ", ".join(parts) or "nothing"
    gone = _named(f"removed {len(removed):,}", removed, room)
    if replaced:
        return f"replaced the lists: {added}" + (f"; {gone}" if removed else "")
    return f"added or changed {added}; {gone}"


def _apply(
    services: Services, site: str, put: dict[str, dict], remove: list[str], replace: bool, who: str, key_name: str
) -> dict:
    now = services.clock()
    _, current = services.store.words.load(site)
    after = len(put) if replace else len((set(current) - set(remove)) | set(put))
    if after > MAX_ENTRIES:
        raise Invalid([{"field": "entries", "message": f"a site may have at most {MAX_ENTRIES:,} entries ({after:,} asked)"}])
    removed = sorted((set(current) - set(put)) if replace else (set(remove) & set(current)))
    version, count = services.store.words.change(
        site, put, remove, _audit(who, now, _summary(put, removed, replace), key_name), replace=replace
    )
    services.forget_site_rules(site)
    return {"version": version, "entries": count}


def replace_all(
    services: Services, site: str, raw_entries: object, who: str, key_name: str = "", problems: list[dict] | None = None
) -> dict:
    """Replace every entry of the site's lists (a list of raw entries, or an ``Imported`` body); return {version,
    entries}. ``problems`` found in the rest of the request are answered with the entries' own, nothing applied."""
    put = _checked(raw_entries, who, services.clock(), errors=problems)
    return _apply(services, site, put, [], True, who, key_name)


def change(
    services: Services,
    site: str,
    add: object,
    remove: object,
    who: str,
    key_name: str = "",
    problems: list[dict] | None = None,
) -> dict:
    """Add (or change) entries (a list of raw entries, or an ``Imported`` body) and remove patterns; return {version,
    entries}. ``problems`` found in the rest of the request are answered with the entries' own, nothing applied."""
    errors: list[dict] = list(problems or [])
    put: dict[str, dict] = {}
    try:
        put = _checked(add if add is not None else [], who, services.clock(), field="add")
    except Invalid as exc:
        errors += exc.fields
    removed = field_errors({"remove": remove}, WORDS_REMOVED) if remove is not None else []
    errors += removed
    patterns = [canonical(raw) for raw in remove] if remove is not None and not removed else []
    if errors:
        raise Invalid(errors)
    if not put and not patterns:
        raise Invalid([{"field": "(body)", "message": "give entries to add or patterns to remove"}])
    return _apply(services, site, put, patterns, False, who, key_name)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def parse_text(text: str) -> Imported:
    """Read the text format (see the module) into entries with their lines; a line that cannot be read is a problem
    naming it. Nothing is refused here: the change checks the entries and answers every problem at once."""
    out = Imported()
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        body, _, note = line.partition("  #")
        body = body.strip()
        if not body or body.startswith("#"):
            continue
        head, _, pattern = body.partition(" ")
        severity, _, category = head.partition(":")
        if severity not in SEVERITIES or not pattern.strip():
            out.problem(number, "write <block|review|allow>[:<category>] <word or phrase>")
            continue
        entry = {"pattern": pattern.strip(), "severity": severity, "note": note.strip()}
        if category:
            entry["category"] = category
        out.add(entry, number)
    return out


def parse_csv(text: str) -> Imported:
    """Read CSV with a header (``pattern,severity[,category][,note]``; other columns are ignored) into entries with
    the line each starts on (a quoted cell may hold line breaks). Empty lines are skipped."""
    out = Imported()
    reader = csv.reader(io.StringIO(text, newline=""))
    columns: dict[str, int] | None = None
    line = 1
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row:
                continue
            if columns is None:
                names = [name.strip() for name in row]
                if not {"pattern", "severity"} <= set(names):
                    out.problem(start, "a CSV header with pattern and severity columns is needed")
                    return out
                columns = {name: i for i, name in enumerate(names)}
                continue
            cell = {name: row[i] if i < len(row) else "" for name, i in columns.items()}
            entry = {"pattern": cell["pattern"], "severity": cell["severity"].strip()}
            if cell.get("category", "").strip():
                entry["category"] = cell["category"].strip()
            if cell.get("note"):
                entry["note"] = cell["note"]
            out.add(entry, start)
    except csv.Error as exc:  # a cell over the csv module's size limit: what follows cannot be read
        out.problem(line, f"cannot be read as CSV: {exc}")
    if columns is None and not out.errors:
        out.problem(1, "a CSV header with pattern and severity columns is needed")
    return out


def to_text(rows: list[dict]) -> str:
    """The site's entries in the text format."""
    lines = []
    for row in rows:
        head = row["severity"] + (f":{row['category']}" if row.get("category") else "")
        note = f"  # {row['note']}" if row.get("note") else ""
        lines.append(f"{head} {row['pattern']}{note}")
    return "\n".join(lines) + ("\n" if lines else "")


def to_csv(rows: list[dict]) -> str:
    """The site's entries as CSV (with who added each and when, in ISO 8601 as everywhere else)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, ["pattern", "severity", "category", "note", "added_by", "added_at"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {name: _cell(row.get(name, "")) for name in writer.fieldnames}
        cells["added_at"] = iso(float(row["added_at"])) if row.get("added_at") else ""
        writer.writerow(cells)
    return out.getvalue()


def _cell(value: object) -> object:
    """A free-text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
