"""One loader per dataset format, each yielding labelled examples.

A dataset labels only the categories it covers: every other label is ``None``
(unknown), never 0. Each example carries its ``source`` (the dataset) and a
``group`` (the unit that must not be split between training and validation:
a video for YouTube, a file for the others), so splits can keep sources apart.

Text cleanup here is only what a format needs (escapes, HTML entities, tweet
artefacts such as "RT @user:"), so that the model does not learn a dataset's
formatting as a proxy for its labels.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from moderation.classifier.artifact import sha256_file  # noqa: F401 (training.train imports it from here)
from moderation.classifier.types import CATEGORIES

csv.field_size_limit(1 << 30)


@dataclass(frozen=True)
class Example:
    """One labelled comment."""

    text: str
    labels: dict[str, int | None]
    source: str
    group: str
    spans: tuple[tuple[int, int, str], ...] = field(default=(), compare=False)  # (start, end, category)
    key: str = ""  # the row's text as the file has it, before cleanup: splits hash this
    weight: float = field(default=1.0, compare=False)  # factor on the row's training weight: < 1 for weak labels
    level: float | None = field(default=None, compare=False)  # a graded toxicity (C3's crowd level, 1 to 4), if any

    def label(self, category: str) -> int | None:
        """Return the label for ``category``: 1, 0 or None (unknown)."""
        return self.labels.get(category)


def _labels(**known: int | None) -> dict[str, int | None]:
    return {c: known.get(c) for c in CATEGORIES}


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, for the model card."""

    name: str
    citation: str
    licence: str
    covers: tuple[str, ...]


# --- format cleanup -------------------------------------------------------------

_HEX = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_UESC = re.compile(r"\\u([0-9a-fA-F]{4})")
_TAG = re.compile(r"<br\s*/?>|</?(?:a|b|i|p|span|div)\b[^>]*>", re.IGNORECASE)


def unescape_impermium(raw: str) -> str:
    """Undo the Impermium escaping: quotes, ``\\xNN`` UTF-8 byte runs, ``\\n``."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]

    def bytes_run(m: re.Match) -> str:
        data = bytes(int(h, 16) for h in re.findall(r"[0-9a-fA-F]{2}", m.group()))
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")

    text = _HEX.sub(bytes_run, text)
    text = _UESC.sub(lambda m: chr(int(m.group(1), 16)), text)
    return text.replace("\\n", "\n").replace("\\t", " ").replace('\\"', '"').replace("\\'", "'").replace("\\\\", "\\")


def clean_html(text: str) -> str:
    """Turn HTML line breaks and simple tags into text, decode entities, drop BOMs."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).replace("\ufeff", "").split())


def clean_tweet(text: str) -> str:
    """Decode HTML entities ("&amp;") left in the tweet files.

    Tweet artefacts (@USER, URL, RT, hashtags) are kept: the service will see
    them in what sites send, and the normaliser turns handles into a
    placeholder. Per-source label balancing in training keeps them from
    standing for a label.
    """
    return " ".join(html.unescape(text).split())


# --- loaders --------------------------------------------------------------------


def load_impermium(path: Path) -> Iterator[Example]:
    """Impermium "Detecting Insults in Social Commentary": ``Insult`` -> attack."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = unescape_impermium(row["Comment"])
            if text.strip():
                yield Example(text, _labels(attack=int(row["Insult"])), "impermium", f"impermium/{path.stem}", key=row["Comment"])


def load_olid(path: Path) -> Iterator[Example]:
    """OLID/OffensEval 2019: NOT -> neither; OFF+TIN+IND -> attack; other OFF -> abuse.

    An insult at a person (TIN+IND) says nothing about obscene language, so its
    abuse label is unknown; untargeted profanity and offence at a group or a
    thing (UNT, GRP, OTH) are abusive language, not a personal attack, and
    their attack label is unknown too (a group insult is not "no attack" either).
    """
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            a, b, c = row["subtask_a"], row["subtask_b"], row["subtask_c"]
            if a == "NOT":
                labels = _labels(abuse=0, attack=0)
            elif b == "TIN" and c == "IND":
                labels = _labels(attack=1)
            else:
                labels = _labels(abuse=1)
            # The file is not CSV-quoted: quotes inside tweets come doubled.
            text = clean_tweet(row["tweet"].replace('""', '"').strip('"'))
            if text:
                yield Example(text, labels, "olid", "olid", key=row["tweet"])


def load_davidson(path: Path) -> Iterator[Example]:
    """Davidson et al. 2017: hate speech or offensive -> abuse=1, neither -> abuse=0."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = clean_tweet(row["tweet"])
            if text:
                yield Example(text, _labels(abuse=int(row["class"] in ("0", "1"))), "davidson", "davidson", key=row["tweet"])


# Training weight of a ToxicSpans post whose annotators' majority marked no span (see load_toxic_spans).
NEITHER_WEIGHT = 0.3


def load_toxic_spans(directory: Path) -> Iterator[Example]:
    """ToxicSpans: majority vote of annotators' typed spans -> abuse / attack, with spans.

    Profane/Obscene spans mark abuse; Insult and Threat spans mark attack. A
    category is positive when more than half of a post's annotators marked a
    span of that kind. When the majority marked one of them, the other is a
    hard negative (an obscene post that insults nobody). When the majority
    marked neither, both are weak negatives (``NEITHER_WEIGHT``): every post
    was rated toxic by Civil Comments raters, so "no majority span" is not
    "clean". Trained as full negatives they taught the model to approve toxic
    news comments (held-out ToxicSpans posts flagged: 64% at the same healthy
    budget); left unknown, nothing told the model that a bare "ridiculous" or
    "hypocrite" is not an attack worth removing. Weighted at 0.3 they keep
    most of the recall (75%) and bring those back to review (docs/MODEL.md).
    """
    comments = {}
    with open(directory / "comments.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            comments[row["comment_id"]] = row["comment_text"]
    annotators: dict[str, list[str]] = defaultdict(list)
    with open(directory / "annotations.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["comment_id"] in comments:
                annotators[row["comment_id"]].append(row["annotation"])
    kinds = {"Profane/Obscene": "abuse", "Insult": "attack", "Threat": "attack"}
    marks: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    with open(directory / "spans.csv", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            category = kinds.get(row["type"])
            if category and row["start"].isdigit() and row["end"].isdigit():
                marks[row["annotation"]].append((int(row["start"]), int(row["end"]), category))
    for comment_id in sorted(annotators, key=int):
        text = comments[comment_id]
        people = annotators[comment_id]
        if len(people) > 9:  # one post has hundreds of test annotations: not a real vote
            continue
        votes = {c: sum(any(m[2] == c for m in marks[a]) for a in people) for c in ("abuse", "attack")}
        marked = {c: int(v * 2 > len(people)) for c, v in votes.items()}
        weight = 1.0 if any(marked.values()) else NEITHER_WEIGHT
        spans = _majority_spans(text, [marks[a] for a in people])
        yield Example(text, _labels(**marked), "toxic-spans", "toxic-spans", spans, key=text, weight=weight)


def _majority_spans(text: str, per_annotator: list[list[tuple[int, int, str]]]) -> tuple[tuple[int, int, str], ...]:
    """Return character ranges that more than half of the annotators marked, per category."""
    need = len(per_annotator) / 2
    out = []
    for category in ("abuse", "attack"):
        count = [0] * (len(text) + 1)
        for marks in per_annotator:
            covered = set()
            for start, end, c in marks:
                if c == category:
                    covered.update(range(max(0, start), min(end, len(text))))
            for i in covered:
                count[i] += 1
        start = None
        for i in range(len(text) + 1):
            inside = i < len(text) and count[i] > need
            if inside and start is None:
                start = i
            elif not inside and start is not None:
                out.append((start, i, category))
                start = None
    return tuple(out)


def load_youtube(path: Path) -> Iterator[Example]:
    """YouTube Spam Collection: one video per file; CLASS/TAG 1 -> promotion."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            label = row.get("CLASS", row.get("TAG"))
            text = clean_html(row["CONTENT"])
            if text and label in ("0", "1"):
                yield Example(
                    text, _labels(promotion=int(label)), "youtube-spam", f"youtube-spam/{path.stem}", key=row["CONTENT"]
                )


def load_sms(path: Path) -> Iterator[Example]:
    """SMS Spam Collection: ``label<TAB>text``; spam -> promotion."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if label in ("ham", "spam") and text.strip():
                yield Example(html.unescape(text), _labels(promotion=int(label == "spam")), "sms-spam", "sms-spam", key=text)


def load_ucc(path: Path) -> Iterator[Example]:
    """Unhealthy Comments Corpus: healthy news comments are negatives for every category.

    Unhealthy comments (hostile, condescending, ...) are not labelled for our
    categories: they are kept with unknown labels so evaluation can report on
    them, and training ignores them.
    """
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["comment"].strip()
            if not text:
                continue
            healthy = row["healthy"].strip() in ("1", "1.0")
            labels = _labels(abuse=0, attack=0, promotion=0) if healthy else _labels()
            yield Example(text, labels, "ucc", "ucc", (), key=row["comment"])

# Training weight of a Wikipedia comment rated toxic without a label we map, or a Fox News comment not rated hateful
# (see load_jigsaw, load_fox_news): a weak negative, as a ToxicSpans post without a marked span.
WEAK_NEGATIVE_WEIGHT = NEITHER_WEIGHT


def load_jigsaw(path: Path) -> Iterator[Example]:
    """Jigsaw Toxic Comment Classification (Wikipedia talk): obscene, severe toxic, identity hate -> abuse; insult,
    threat -> attack; a comment with no label at all is a negative for both.

    Promotion is unknown: Jigsaw's raters were not asked about spam, and as promotion negatives the talk pages'
    links, headings and signatures outweigh a spam source left out (leave one dataset out: YouTube 0.860 with
    them, 0.900 without; SMS 0.853, 0.884; docs/MODEL.md).

    A comment rated ``toxic`` with none of the labels above says nothing we can map (rude, but not obscene and
    aimed at nobody in particular): both categories are weak negatives (``WEAK_NEGATIVE_WEIGHT``).
    """
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["comment_text"].strip()
            if not text:
                continue
            flags = {k: row[k].strip() == "1" for k in ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")}
            abuse = int(flags["obscene"] or flags["severe_toxic"] or flags["identity_hate"])
            attack = int(flags["insult"] or flags["threat"])
            weight = WEAK_NEGATIVE_WEIGHT if flags["toxic"] and not (abuse or attack) else 1.0
            yield Example(
                text,
                _labels(abuse=abuse, attack=attack),
                "jigsaw-wikipedia",
                "jigsaw-wikipedia",
                key=row["comment_text"],
                weight=weight,
            )


def load_fox_news(path: Path) -> Iterator[Example]:
    """Fox News comments (Gao and Huang 2017): hateful (demeaning a group for an identity trait) -> abuse.

    A comment not rated hateful may still insult another user or swear (the authors say so), so it is only a weak
    negative for abuse; attack is unknown (insults at users are labelled 0 on purpose); promotion 0 (news comments).
    """
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            text = str(row.get("text") or "").strip()
            if not text or row.get("label") not in (0, 1):
                continue
            hateful = row["label"] == 1
            yield Example(
                text,
                _labels(abuse=int(hateful), promotion=0),
                "fox-news",
                "fox-news",
                key=row["text"],
                weight=1.0 if hateful else WEAK_NEGATIVE_WEIGHT,
            )


def load_stormfront(path: Path) -> Iterator[Example]:
    """Stormfront sentences (de Gibert et al. 2018): hate -> abuse 1, noHate -> abuse 0; ``relation`` (hate only
    with the neighbouring sentences) and ``idk/skip`` are left out. A forum sentence says nothing of attack or
    promotion (some "hate" rows advertise downloads): both unknown."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            label, text = row["label"], row["text"].strip()
            if label not in ("hate", "noHate") or not text:
                continue
            yield Example(text, _labels(abuse=int(label == "hate")), "stormfront", "stormfront", key=row["text"])


def c3_votes(cell: str) -> dict[str, int]:
    """Parse C3's ``toxicity_characteristics``: ``name:count`` lines."""
    votes = {}
    for line in cell.splitlines():
        name, _, count = line.rpartition(":")
        try:
            votes[name.strip()] = int(float(count))
        except ValueError:
            continue
    return votes


def _c3_grade(votes: dict[str, int], name: str) -> int | None:
    """Return a C3 label from its votes: two or more 1, none 0, one unknown (None)."""
    n = votes.get(name, 0)
    return 1 if n >= 2 else 0 if n == 0 else None


def load_c3(path: Path) -> Iterator[Example]:
    """Constructive Comments Corpus (C3), Globe and Mail comments: for thresholds and judging only, never training.

    About five raters a comment. ``attack``: two votes or more for ``personal_attack`` (which includes insults at
    public figures, as our attack does), none: 0, one: unknown; ``abuse`` likewise from ``abusive``; ``level`` is the
    crowd's toxicity level (1 not toxic to 4). Promotion is not labelled. Grouped by article: the half of C3 given
    here is split by article again (``training/splits.py``). Its licence is not stated in the files we have and its
    parent corpus is non-commercial: no parameter of a shipped model is fitted on it (``splits.C3_SPLITS``)."""
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            text = row["comment_text"].strip()
            if not text:
                continue
            votes = c3_votes(row["toxicity_characteristics"])
            try:
                level = float(row["crowd_toxicity_level"])
            except ValueError:
                level = None
            yield Example(
                text,
                _labels(abuse=_c3_grade(votes, "abusive"), attack=_c3_grade(votes, "personal_attack")),
                "c3",
                f"c3/{row['article_id']}",
                key=row["comment_text"],
                level=level,
            )


def load_jsonl(path: Path) -> Iterator[Example]:
    """Generic JSON Lines: ``{"text": ..., "abuse": 0|1, ...}``; an omitted label is unknown."""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row["text"].strip():
                raise ValueError(f"{path}:{number}: expected an object with a non-empty 'text'")
            labels = {}
            for c in CATEGORIES:
                value = row.get(c)
                if value is not None and value not in (0, 1):
                    raise ValueError(f"{path}:{number}: '{c}' must be 0, 1 or omitted")
                labels[c] = value
            source = row.get("source") if isinstance(row.get("source"), str) else path.stem
            yield Example(row["text"], labels, "extra", f"extra/{source}", key=row["text"])


# --- the shared datasets folder ------------------------------------------------

DATASETS: dict[str, DatasetInfo] = {
    "impermium": DatasetInfo(
        "impermium-insults",
        'Impermium, "Detecting Insults in Social Commentary", Kaggle competition, 2012.',
        "Kaggle competition data, research use",
        ("attack",),
    ),
    "olid": DatasetInfo(
        "olid",
        'Zampieri et al., "Predicting the Type and Target of Offensive Posts in Social Media", NAACL 2019 (OLID / OffensEval 2019).',
        "none stated; cite the paper",
        ("abuse", "attack"),
    ),
    "davidson": DatasetInfo(
        "davidson",
        'Davidson et al., "Automated Hate Speech Detection and the Problem of Offensive Language", ICWSM 2017.',
        "MIT",
        ("abuse",),
    ),
    "toxic-spans": DatasetInfo(
        "toxic-spans",
        'Pavlopoulos et al., "From the Detection of Toxic Spans in Online Discussions to the Analysis of Toxic-to-Civil Transfer", ACL 2022 (SemEval-2021 Task 5).',
        "CC0 1.0",
        ("abuse", "attack"),
    ),
    "youtube-spam": DatasetInfo(
        "youtube-spam",
        'Alberto, Lochter and Almeida, "TubeSpam: Comment Spam Filtering on YouTube", ICMLA 2015.',
        "CC BY 4.0",
        ("promotion",),
    ),
    "sms-spam": DatasetInfo(
        "sms-spam",
        'Almeida, Gomez Hidalgo and Yamakami, "Contributions to the Study of SMS Spam Filtering: New Collection and Results", DocEng 2011.',
        "free for all purposes; cite the paper",
        ("promotion",),
    ),
    "ucc": DatasetInfo(
        "ucc",
        'Price et al., "Six Attributes of Unhealthy Conversations", WOAH 2020 (Unhealthy Comments Corpus).',
        "CC BY-SA 4.0",
        ("abuse", "attack", "promotion"),
    ),
    "jigsaw-wikipedia": DatasetInfo(
        "jigsaw-wikipedia",
        'Jigsaw/Conversation AI, "Toxic Comment Classification Challenge", Kaggle, 2018 (Wikipedia talk page comments; subsets merged on id by a third party).',
        "labels CC0; comment text CC BY-SA 3.0 (Wikipedia)",
        ("abuse", "attack"),
    ),
    "fox-news": DatasetInfo(
        "fox-news",
        'Gao and Huang, "Detecting Online Hate Speech Using Context Aware Models", RANLP 2017 (Fox News user comments).',
        "MIT",
        ("abuse", "promotion"),
    ),
    "stormfront": DatasetInfo(
        "stormfront",
        'de Gibert, Perez, Garcia-Pablos and Cuadros, "Hate Speech Dataset from a White Supremacy Forum", ALW 2018.',
        "CC BY-SA 3.0 ES",
        ("abuse",),
    ),
    "c3": DatasetInfo(
        "c3",
        'Kolhatkar, Thain, Sorensen, Dixon and Taboada, "C3: The Constructive Comments Corpus", Jigsaw and Simon Fraser University, 2020 (DOI 10.25314/ea49062a-5cf6-4403-9918-539e15fd7b52).',
        "not stated in the files we have (parent corpus SOCC: CC BY-NC-SA 4.0): thresholds and evaluation only, never training",
        ("abuse", "attack"),
    ),
}

# file (relative to the datasets folder) -> (dataset key, loader)
FILES: dict[str, tuple[str, Callable[[Path], Iterator[Example]]]] = {
    "impermium-insults/train.csv": ("impermium", load_impermium),
    "impermium-insults/test_with_solutions.csv": ("impermium", load_impermium),
    "olid/olid-training-v1.0.tsv": ("olid", load_olid),
    "davidson/labeled_data.csv": ("davidson", load_davidson),
    "toxic-spans": ("toxic-spans", load_toxic_spans),
    "youtube-spam/Youtube01-Psy.csv": ("youtube-spam", load_youtube),
    "youtube-spam/Youtube02-KatyPerry.csv": ("youtube-spam", load_youtube),
    "youtube-spam/Youtube03-LMFAO.csv": ("youtube-spam", load_youtube),
    "youtube-spam/Youtube04-Eminem.csv": ("youtube-spam", load_youtube),
    "youtube-spam/pilot-KatyPerry_CevxZvSJLk8.csv": ("youtube-spam", load_youtube),
    "youtube-spam/pilot-Psy_9bZkp7q19f0.csv": ("youtube-spam", load_youtube),
    "sms-spam/SMSSpamCollection": ("sms-spam", load_sms),
    "ucc/val.csv": ("ucc", load_ucc),
    "jigsaw-wikipedia/jigsaw_subsets.csv": ("jigsaw-wikipedia", load_jigsaw),
    "fox-news/fox-news-comments.json": ("fox-news", load_fox_news),
    "stormfront/stormfront.csv": ("stormfront", load_stormfront),
    "c3/C3_dev_half.csv": ("c3", load_c3),
}

_TOXIC_SPANS_FILES = ("comments.csv", "annotations.csv", "spans.csv")


def default_data_dir() -> Path | None:
    """Return ``../shared/datasets`` next to the project (or the cwd), if it exists."""
    for base in (Path(__file__).resolve().parent.parent, Path.cwd()):
        candidate = base.parent / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    return None





def _present(data_dir: Path) -> list[tuple[str, Path, list[Path]]]:
    """Return (file key, path to load, files read) for every known dataset under ``data_dir``."""
    found = []
    for rel in FILES:
        path = data_dir / rel
        files = [path / name for name in _TOXIC_SPANS_FILES] if rel == "toxic-spans" else [path]
        if all(f.is_file() for f in files):
            found.append((rel, path, files))
    return found


def dataset_files(data_dir: Path) -> list[tuple[str, Path]]:
    """Return (file key, path) for every file read from ``data_dir``."""
    return [(rel, f) for rel, _, files in _present(data_dir) for f in files]


def load_dir(data_dir: Path) -> list[Example]:
    """Load every known dataset file under ``data_dir``."""
    return [ex for rel, path, _ in _present(data_dir) for ex in FILES[rel][1](path)]
