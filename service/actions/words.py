"""A site's own word lists: read, replace, add and remove entries, import and export them as text or CSV.

Entries are checked all together: a change with any bad entry is refused as a
whole (``Invalid`` lists each one) and nothing of it is applied. A change is
one store script (entries, version and audit entry together); every process
uses it within about ``MODERATION_CHANGE_POLL_S`` (``Services.site_rules``).

Text format, one entry a line: ``<severity>[:<category>] <word or phrase>``,
optionally followed by ``  # note``; blank lines and lines starting with ``#``
are skipped. CSV: a header with ``pattern,severity`` and optionally
``category,note`` (an export adds ``added_by,added_at``).
"""

from __future__ import annotations

import csv
import io
import re

from classifier.site_rules import DEFAULT_CATEGORY, DOMAIN_CATEGORY, MAX_ENTRY, SEVERITIES, canonical, check, is_domain
from classifier.types import CATEGORIES

from .context import Services
from .errors import Invalid

#: The most entries one site may have.
MAX_ENTRIES = 50_000
#: The longest note kept with an entry.
MAX_NOTE = 500


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


_UNSTORABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(value: object, most: int) -> str | None:
    """Why ``value`` cannot be kept as a name or a note (None: it can): text of at most ``most`` characters, without
    control characters or unpaired surrogates."""
    if not isinstance(value, str) or len(value) > most:
        return f"must be text of at most {most} characters"
    if _UNSTORABLE.search(value):
        return "must not hold control characters or unpaired surrogates"
    return None


def _entry(raw: object, path: str, who: str, now: float, errors: list[dict]) -> tuple[str, dict] | None:
    if not isinstance(raw, dict):
        errors.append({"field": path, "message": "must be an object with pattern and severity"})
        return None
    unknown = sorted(set(raw) - {"pattern", "severity", "category", "note"})
    if unknown:
        errors.append({"field": f"{path}.{unknown[0]}", "message": "is not a field of an entry"})
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        errors.append({"field": f"{path}.severity", "message": f"must be one of {', '.join(SEVERITIES)}"})
        severity = "block"
    pattern, problem = check(raw.get("pattern"), severity)
    if problem:
        errors.append({"field": f"{path}.pattern", "message": problem})
    category = raw.get("category")
    if "category" in raw and category not in CATEGORIES:
        errors.append({"field": f"{path}.category", "message": f"must be one of {', '.join(CATEGORIES)}"})
        category = "?"
    note = raw.get("note", "")
    note_problem = text_problem(note, MAX_NOTE)
    if note_problem:
        errors.append({"field": f"{path}.note", "message": note_problem})
    if problem or note_problem or category not in (None, *CATEGORIES) or severity not in SEVERITIES:
        return None
    if severity == "allow":
        category = ""
    elif category is None:
        category = DOMAIN_CATEGORY if is_domain(pattern) else DEFAULT_CATEGORY
    return pattern, {
        "severity": severity,
        "category": category,
        "note": note if isinstance(note, str) else "",
        "added_by": who,
        "added_at": now,
    }


def _checked(raw_entries: object, who: str, now: float, field: str = "entries") -> dict[str, dict]:
    if not isinstance(raw_entries, list):
        raise Invalid([{"field": field, "message": "must be a list of entries"}])
    errors: list[dict] = []
    out: dict[str, dict] = {}
    for index, raw in enumerate(raw_entries):
        made = _entry(raw, f"{field}[{index}]", who, now, errors)
        if made is not None:
            pattern, entry = made
            if pattern in out:
                errors.append({"field": f"{field}[{index}].pattern", "message": f"{pattern!r} is listed twice"})
            out[pattern] = entry
    if errors:
        raise Invalid(errors)
    return out


def _audit(who: str, now: float, summary: str, key_name: str) -> dict[str, str]:
    return {
        "type": "rules",
        "decision": "rules",
        "change": summary,
        "moderator": who,
        "key": key_name,
        "note": "",
        "at": str(now),
    }


def _summary(put: dict[str, dict], removed: int, replaced: bool) -> str:
    counts: dict[str, int] = {}
    for entry in put.values():
        counts[entry["severity"]] = counts.get(entry["severity"], 0) + 1
    added = ", ".join(f"{n} {severity}" for severity, n in sorted(counts.items())) or "nothing"
    if replaced:
        return f"replaced the lists: {added}"
    return f"added or changed {added}; removed {removed}"


def _apply(
    services: Services, site: str, put: dict[str, dict], remove: list[str], replace: bool, who: str, key_name: str
) -> dict:
    now = services.clock()
    _, current = services.store.words.load(site)
    after = len(put) if replace else len((set(current) - set(remove)) | set(put))
    if after > MAX_ENTRIES:
        raise Invalid([{"field": "entries", "message": f"a site may have at most {MAX_ENTRIES:,} entries ({after:,} asked)"}])
    version, count = services.store.words.change(
        site, put, remove, _audit(who, now, _summary(put, len(set(remove) & set(current)), replace), key_name), replace=replace
    )
    services.forget_site_rules(site)
    return {"version": version, "entries": count}


def replace_all(services: Services, site: str, raw_entries: object, who: str, key_name: str = "") -> dict:
    """Replace every entry of the site's lists; return {version, entries}."""
    put = _checked(raw_entries, who, services.clock())
    return _apply(services, site, put, [], True, who, key_name)


def change(services: Services, site: str, add: object, remove: object, who: str, key_name: str = "") -> dict:
    """Add (or change) entries and remove patterns; return {version, entries}."""
    errors: list[dict] = []
    put: dict[str, dict] = {}
    try:
        put = _checked(add if add is not None else [], who, services.clock(), field="add")
    except Invalid as exc:
        errors += exc.fields
    patterns: list[str] = []
    if remove is not None and not isinstance(remove, list):
        errors.append({"field": "remove", "message": "must be a list of patterns"})
    for index, raw in enumerate(remove if isinstance(remove, list) else []):
        pattern = canonical(raw) if text_problem(raw, MAX_ENTRY) is None else ""
        if not pattern:
            errors.append({"field": f"remove[{index}]", "message": "must be an entry's pattern"})
        else:
            patterns.append(pattern)
    if errors:
        raise Invalid(errors)
    if not put and not patterns:
        raise Invalid([{"field": "(body)", "message": "give entries to add or patterns to remove"}])
    return _apply(services, site, put, patterns, False, who, key_name)


def parse_text(text: str) -> list[dict]:
    """Read the text format (see the module) into entries; a line that cannot be read is an error naming it."""
    out: list[dict] = []
    errors: list[dict] = []
    for number, line in enumerate(text.splitlines(), 1):
        body, _, note = line.partition("  #")
        body = body.strip()
        if not body or body.startswith("#"):
            continue
        head, _, pattern = body.partition(" ")
        severity, _, category = head.partition(":")
        if severity not in SEVERITIES or not pattern.strip():
            errors.append({"field": f"line {number}", "message": "write <block|review|allow>[:<category>] <word or phrase>"})
            continue
        entry = {"pattern": pattern.strip(), "severity": severity, "note": note.strip()}
        if category:
            entry["category"] = category
        out.append(entry)
    if errors:
        raise Invalid(errors)
    return out


def parse_csv(text: str) -> list[dict]:
    """Read CSV with a header (``pattern,severity[,category][,note]``; other columns are ignored)."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"pattern", "severity"} <= set(reader.fieldnames):
        raise Invalid([{"field": "line 1", "message": "a CSV header with pattern and severity columns is needed"}])
    out = []
    for row in reader:
        entry = {"pattern": row.get("pattern") or "", "severity": (row.get("severity") or "").strip()}
        if (row.get("category") or "").strip():
            entry["category"] = row["category"].strip()
        if row.get("note"):
            entry["note"] = row["note"]
        out.append(entry)
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
    """The site's entries as CSV (with who added each and when)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, ["pattern", "severity", "category", "note", "added_by", "added_at"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _cell(row.get(name, "")) for name in writer.fieldnames})
    return out.getvalue()


def _cell(value: object) -> object:
    """A free-text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
