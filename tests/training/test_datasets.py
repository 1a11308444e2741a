"""One loader per dataset format, on small files the tests write in each format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from moderation.training.datasets import (
    NEITHER_WEIGHT,
    WEAK_NEGATIVE_WEIGHT,
    c3_votes,
    clean_html,
    dataset_files,
    load_c3,
    load_davidson,
    load_dir,
    load_fox_news,
    load_impermium,
    load_jigsaw,
    load_jsonl,
    load_olid,
    load_sms,
    load_stormfront,
    load_toxic_spans,
    load_ucc,
    load_youtube,
    unescape_impermium,
)
from moderation.training.splits import (
    C3_EVALUATION,
    C3_THRESHOLDS,
    TEST,
    TRAIN,
    VALIDATION,
    healthy_news,
    label_matrix,
    split_of,
    toxic_news,
    training_weights,
)


def test_impermium(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(
        'Insult,Date,Comment\n1,20120101000000Z,"""you are a clown\\n"""\n0,,"""caf\\xc3\\xa9 and\\xa0more\\nlines"""\n',
        encoding="utf-8",
    )
    rows = list(load_impermium(path))
    assert [r.labels for r in rows] == [
        {"abuse": None, "attack": 1, "promotion": None},
        {"abuse": None, "attack": 0, "promotion": None},
    ]
    assert rows[0].text == "you are a clown\n"
    assert rows[1].text == "café and\xa0more\nlines"
    assert rows[0].group == "impermium/train"


def test_unescape_impermium_keeps_bad_bytes_readable():
    assert unescape_impermium('"caf\\xe9"') == "café"


def test_olid_labels_only_what_each_row_says(tmp_path):
    path = tmp_path / "olid.tsv"
    path.write_text(
        "id\ttweet\tsubtask_a\tsubtask_b\tsubtask_c\n"
        "1\t@USER you are a clown &amp; a fool\tOFF\tTIN\tIND\n"
        "2\twhat a crap day\tOFF\tUNT\tNULL\n"
        "3\tthat group is awful\tOFF\tTIN\tGRP\n"
        '4\t"nice ""quote"" here"\tNOT\tNULL\tNULL\n',
        encoding="utf-8",
    )
    rows = list(load_olid(path))
    assert [(r.labels["abuse"], r.labels["attack"]) for r in rows] == [(None, 1), (1, None), (1, None), (0, 0)]
    assert rows[0].text == "@USER you are a clown & a fool"
    assert rows[3].text == 'nice "quote" here'
    assert all(r.labels["promotion"] is None for r in rows)


def test_davidson(tmp_path):
    path = tmp_path / "labeled_data.csv"
    path.write_text(
        ",count,hate_speech,offensive_language,neither,class,tweet\n0,3,0,3,0,1,crap &amp; more\n1,3,0,0,3,2,a nice day\n2,3,3,0,0,0,hateful words\n",
        encoding="utf-8",
    )
    rows = list(load_davidson(path))
    assert [r.labels["abuse"] for r in rows] == [1, 0, 1]
    assert rows[0].text == "crap & more"


def test_toxic_spans_majority_vote(tmp_path):
    (tmp_path / "comments.csv").write_text(
        'comment_id,comment_text\n10,"you clown, damn it"\n11,plain words here\n', encoding="utf-8"
    )
    (tmp_path / "annotations.csv").write_text(
        "annotation,comment_id,worker,country,all toxic,not toxic\n"
        "0,10,1,X,False,False\n1,10,2,X,False,False\n2,10,3,X,False,False\n"
        "3,11,1,X,False,True\n4,11,2,X,False,False\n5,11,3,X,False,False\n",
        encoding="utf-8",
    )
    (tmp_path / "spans.csv").write_text(
        "annotation,type,start,end\n0,Insult,4,9\n1,Insult,4,9\n2,Profane/Obscene,11,15\n4,Insult,0,5\n",
        encoding="utf-8",
    )
    first, second = load_toxic_spans(tmp_path)
    assert first.labels == {"abuse": 0, "attack": 1, "promotion": None}  # profanity marked by 1 of 3
    assert [(first.text[a:b], c) for a, b, c in first.spans] == [("clown", "attack")]
    assert first.weight == 1.0
    # rated toxic, but no majority span: not clean, so a weak negative rather than a full one
    assert second.labels == {"abuse": 0, "attack": 0, "promotion": None}
    assert second.weight == NEITHER_WEIGHT < 1


def test_youtube_both_formats(tmp_path):
    main = tmp_path / "Youtube09-Test.csv"
    main.write_text(
        "\ufeffCOMMENT_ID,AUTHOR,DATE,CONTENT,CLASS\na,b,,check my channel&#39;s videos<br />now\ufeff,1\nc,d,,love it,0\n",
        encoding="utf-8",
    )
    pilot = tmp_path / "pilot-Test_x.csv"
    pilot.write_text("COMMENT_ID,CONTENT,TAG\ne,great song,0\n", encoding="utf-8")
    rows = list(load_youtube(main)) + list(load_youtube(pilot))
    assert [r.labels["promotion"] for r in rows] == [1, 0, 0]
    assert rows[0].text == "check my channel's videos now"
    assert {r.group for r in rows} == {"youtube-spam/Youtube09-Test", "youtube-spam/pilot-Test_x"}


def test_clean_html():
    assert clean_html('<a href="x">link</a> &amp; more<br/>end') == "link & more end"


def test_sms(tmp_path):
    path = tmp_path / "SMSSpamCollection"
    path.write_text("ham\tsee you at lunch\nspam\tWIN a prize now\nbroken line\n", encoding="utf-8")
    assert [(r.text, r.labels["promotion"]) for r in load_sms(path)] == [("see you at lunch", 0), ("WIN a prize now", 1)]


def test_ucc_healthy_rows_are_negatives_and_the_rest_unknown(tmp_path):
    path = tmp_path / "val.csv"
    header = "_unit_id,_trusted_judgments,comment,antagonize,antagonize:confidence,healthy,healthy:confidence,hostile,hostile:confidence"
    path.write_text(f"{header}\n1,3,a fine comment,0,1,1,1,0,1\n2,3,a rude one,1,1,0,1,1,1\n", encoding="utf-8")
    fine, rude = load_ucc(path)
    assert fine.labels == {"abuse": 0, "attack": 0, "promotion": 0}
    assert rude.labels == {"abuse": None, "attack": None, "promotion": None}


def test_jsonl_missing_labels_are_unknown(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"text": "a", "abuse": 1}\n\n{"text": "b", "attack": 0, "promotion": 1, "source": "site-a"}\n', encoding="utf-8"
    )
    a, b = load_jsonl(path)
    assert a.labels == {"abuse": 1, "attack": None, "promotion": None}
    assert b.group == "extra/site-a"


@pytest.mark.parametrize(
    ("line", "message"),
    [("not json", ":1: not JSON"), ('{"abuse": 1}', "non-empty 'text'"), ('{"text": "a", "abuse": 2}', "'abuse' must be 0, 1")],
)
def test_jsonl_errors_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        list(load_jsonl(path))


def test_load_dir_reads_known_files_only(tmp_path):
    (tmp_path / "sms-spam").mkdir()
    (tmp_path / "sms-spam" / "SMSSpamCollection").write_text("ham\thello\n", encoding="utf-8")
    (tmp_path / "toxic-spans").mkdir()
    (tmp_path / "toxic-spans" / "comments.csv").write_text("comment_id,comment_text\n", encoding="utf-8")  # incomplete: skipped
    (tmp_path / "unrelated.csv").write_text("x\n", encoding="utf-8")
    assert [e.text for e in load_dir(tmp_path)] == ["hello"]
    assert [rel for rel, _ in dataset_files(tmp_path)] == ["sms-spam/SMSSpamCollection"]


def test_splits_keep_groups_apart_and_are_stable(tmp_path):
    from moderation.training.datasets import Example

    held = Example("x", {"abuse": None, "attack": 1, "promotion": None}, "impermium", "impermium/test_with_solutions")
    video = Example("y", {"abuse": None, "attack": None, "promotion": 1}, "youtube-spam", "youtube-spam/Youtube03-LMFAO")
    assert split_of(held) == TEST
    assert split_of(video) == VALIDATION
    rows = [
        Example(f"comment {i}", {"abuse": i % 2, "attack": None, "promotion": None}, "davidson", "davidson") for i in range(2000)
    ]
    sides = [split_of(r) for r in rows]
    assert sides == [split_of(r) for r in rows]
    assert 0.05 < sides.count(VALIDATION) / len(sides) < 0.15
    assert sides.count(TRAIN) > 0.8 * len(sides)


def test_training_weights_balance_labels_within_each_source():
    from moderation.training.datasets import Example

    rows = [
        Example(f"a{i}", {"abuse": int(i < 90), "attack": None, "promotion": None}, "davidson", "davidson") for i in range(100)
    ]
    rows += [Example(f"b{i}", {"abuse": int(i < 10), "attack": None, "promotion": None}, "olid", "olid") for i in range(100)]
    W = training_weights(rows, balance=1.0)
    Y = label_matrix(rows)
    for source in ("davidson", "olid"):
        idx = [i for i, r in enumerate(rows) if r.source == source]
        pos = sum(W[i, 0] for i in idx if Y[i, 0] == 1)
        neg = sum(W[i, 0] for i in idx if Y[i, 0] == 0)
        assert pos == pytest.approx(neg)
    assert (W[:, 1] == 0).all()  # unknown labels carry no weight
    assert json.dumps(W.tolist())  # plain numbers


def test_a_weak_label_weighs_less_for_its_own_categories_only():
    from moderation.training.datasets import Example

    def row(i, weight):
        return Example(f"t{i}", {"abuse": int(i < 50), "attack": None, "promotion": None}, "toxic-spans", "t", weight=weight)

    rows = [row(i, 1.0 if i < 90 else 0.3) for i in range(100)]
    W = training_weights(rows)
    assert W[95, 0] == pytest.approx(0.3 * W[60, 0])  # both negatives; the weak one counts 0.3
    shared = training_weights(rows, Y=np.ones(100))  # another target: every row counts the same
    assert shared[95, 0] == pytest.approx(shared[60, 0])


def test_a_source_can_weigh_differently_per_category():
    from moderation.training.splits import SOURCE_WEIGHT, source_weight

    assert isinstance(SOURCE_WEIGHT["ucc"], dict)
    # healthy news comments count double as abuse and attack negatives, and as the shared "offensive" target...
    assert source_weight("ucc", "abuse") == source_weight("ucc", "attack") == source_weight("ucc") == 2.0
    # ...but not as promotion negatives (they cost spam recall on sources never seen: docs/MODEL.md)
    assert source_weight("ucc", "promotion") == 1.0
    assert source_weight("olid", "abuse") == 2.0
    assert source_weight("a source nobody listed", "abuse") == 1.0


def test_jigsaw_maps_obscene_and_hate_to_abuse_insults_and_threats_to_attack(tmp_path):
    path = tmp_path / "jigsaw_subsets.csv"
    path.write_text(
        "id,comment_text,toxic,severe_toxic,obscene,threat,insult,identity_hate,is_bad\n"
        "a1,what a filthy word,1,0,1,0,0,0,True\n"
        "a2,you are a fool,1,0,0,0,1,0,True\n"
        "a3,I will find you,1,0,0,1,0,0,True\n"
        "a4,this edit is rude,1,0,0,0,0,0,True\n"
        '"a5","== Sources ==\nSee [[Talk:Page]], thanks",0,0,0,0,0,0,False\n',
        encoding="utf-8",
    )
    rows = list(load_jigsaw(path))
    assert [(r.labels["abuse"], r.labels["attack"], r.labels["promotion"]) for r in rows] == [
        (1, 0, None),
        (0, 1, None),
        (0, 1, None),
        (0, 0, None),
        (0, 0, None),  # talk pages' links and headings: promotion unknown, not a negative
    ]
    assert [r.weight for r in rows] == [1.0, 1.0, 1.0, WEAK_NEGATIVE_WEIGHT, 1.0]  # toxic, but nothing we map
    assert rows[4].text.startswith("== Sources ==")


def test_fox_news_labels_group_hate_as_abuse_and_leaves_attack_unknown(tmp_path):
    path = tmp_path / "fox-news-comments.json"
    rows = [{"text": "those people ruin everything", "label": 1}, {"text": "you are wrong, sir", "label": 0}, {"text": "", "label": 0}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    hateful, other = load_fox_news(path)
    assert hateful.labels == {"abuse": 1, "attack": None, "promotion": 0} and hateful.weight == 1.0
    assert other.labels == {"abuse": 0, "attack": None, "promotion": 0} and other.weight == WEAK_NEGATIVE_WEIGHT


def test_stormfront_keeps_hate_and_no_hate_only(tmp_path):
    path = tmp_path / "stormfront.csv"
    path.write_text(
        "file_id,text,label,context,subforum_id,user_id\n"
        "1_1,a hateful sentence,hate,0,1,1\n1_2,a plain sentence,noHate,0,1,1\n"
        "1_3,needs its neighbours,relation,0,1,1\n1_4,unsure,idk/skip,0,1,1\n",
        encoding="utf-8",
    )
    assert [(r.text, r.labels["abuse"], r.labels["attack"]) for r in load_stormfront(path)] == [
        ("a hateful sentence", 1, None),
        ("a plain sentence", 0, None),
    ]


def test_c3_votes_grade_attack_and_abuse_and_keep_the_toxicity_level(tmp_path):
    assert c3_votes("abusive:3\npersonal_attack:1\nbad line\nteasing:x") == {"abusive": 3, "personal_attack": 1}
    path = tmp_path / "C3_dev_half.csv"
    path.write_text(
        "article_id,comment_text,crowd_toxicity_level,toxicity_characteristics\n"
        '1,"you clown",2.4,"personal_attack:3\nabusive:1"\n'
        '1,"a fine point",1.0,"no_toxic:5"\n'
        '2,"meh",,"abusive:2"\n',
        encoding="utf-8",
    )
    attack, fine, unrated = load_c3(path)
    assert attack.labels == {"abuse": None, "attack": 1, "promotion": None} and attack.level == 2.4
    assert fine.labels == {"abuse": 0, "attack": 0, "promotion": None} and fine.level == 1.0
    assert unrated.labels["abuse"] == 1 and unrated.level is None
    assert {attack.group, unrated.group} == {"c3/1", "c3/2"}
    assert list(healthy_news([attack, fine, unrated])) == [False, True, False]
    assert list(toxic_news([attack, fine, unrated])) == [True, False, False]
    assert list(toxic_news([attack], c3=False)) == [False]


def test_c3_never_trains_and_splits_by_article(tmp_path):
    path = tmp_path / "C3_dev_half.csv"
    lines = ["article_id,comment_text,crowd_toxicity_level,toxicity_characteristics"]
    lines += [f'{n // 5},"comment {n}",1.0,"no_toxic:5"' for n in range(400)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(load_c3(path))
    sides = {e.group: set() for e in rows}
    for e in rows:
        sides[e.group].add(split_of(e))
    assert all(len(s) == 1 for s in sides.values())  # a whole article on one side
    assert {s for side in sides.values() for s in side} == {C3_THRESHOLDS, C3_EVALUATION}
