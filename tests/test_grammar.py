"""The grammar universe against a table spelled out by hand, not by the module's rules."""

import numpy as np
import pytest

from labs.x2_multimodal import grammar as g

# One row per verb, in VERBS order; within a row: present simple, past simple, future simple,
# present progressive, present perfect, each for I, you, she.
# fmt: off
EXPECTED = [
    ["I walk", "you walk", "she walks", "I walked", "you walked", "she walked",
     "I will walk", "you will walk", "she will walk",
     "I am walking", "you are walking", "she is walking",
     "I have walked", "you have walked", "she has walked"],
    ["I talk", "you talk", "she talks", "I talked", "you talked", "she talked",
     "I will talk", "you will talk", "she will talk",
     "I am talking", "you are talking", "she is talking",
     "I have talked", "you have talked", "she has talked"],
    ["I play", "you play", "she plays", "I played", "you played", "she played",
     "I will play", "you will play", "she will play",
     "I am playing", "you are playing", "she is playing",
     "I have played", "you have played", "she has played"],
    ["I cook", "you cook", "she cooks", "I cooked", "you cooked", "she cooked",
     "I will cook", "you will cook", "she will cook",
     "I am cooking", "you are cooking", "she is cooking",
     "I have cooked", "you have cooked", "she has cooked"],
    ["I open", "you open", "she opens", "I opened", "you opened", "she opened",
     "I will open", "you will open", "she will open",
     "I am opening", "you are opening", "she is opening",
     "I have opened", "you have opened", "she has opened"],
    ["I jump", "you jump", "she jumps", "I jumped", "you jumped", "she jumped",
     "I will jump", "you will jump", "she will jump",
     "I am jumping", "you are jumping", "she is jumping",
     "I have jumped", "you have jumped", "she has jumped"],
    ["I watch", "you watch", "she watches", "I watched", "you watched", "she watched",
     "I will watch", "you will watch", "she will watch",
     "I am watching", "you are watching", "she is watching",
     "I have watched", "you have watched", "she has watched"],
    ["I clean", "you clean", "she cleans", "I cleaned", "you cleaned", "she cleaned",
     "I will clean", "you will clean", "she will clean",
     "I am cleaning", "you are cleaning", "she is cleaning",
     "I have cleaned", "you have cleaned", "she has cleaned"],
    ["I eat", "you eat", "she eats", "I ate", "you ate", "she ate",
     "I will eat", "you will eat", "she will eat",
     "I am eating", "you are eating", "she is eating",
     "I have eaten", "you have eaten", "she has eaten"],
    ["I drink", "you drink", "she drinks", "I drank", "you drank", "she drank",
     "I will drink", "you will drink", "she will drink",
     "I am drinking", "you are drinking", "she is drinking",
     "I have drunk", "you have drunk", "she has drunk"],
    ["I run", "you run", "she runs", "I ran", "you ran", "she ran",
     "I will run", "you will run", "she will run",
     "I am running", "you are running", "she is running",
     "I have run", "you have run", "she has run"],
    ["I see", "you see", "she sees", "I saw", "you saw", "she saw",
     "I will see", "you will see", "she will see",
     "I am seeing", "you are seeing", "she is seeing",
     "I have seen", "you have seen", "she has seen"],
    ["I go", "you go", "she goes", "I went", "you went", "she went",
     "I will go", "you will go", "she will go",
     "I am going", "you are going", "she is going",
     "I have gone", "you have gone", "she has gone"],
    ["I write", "you write", "she writes", "I wrote", "you wrote", "she wrote",
     "I will write", "you will write", "she will write",
     "I am writing", "you are writing", "she is writing",
     "I have written", "you have written", "she has written"],
    ["I read", "you read", "she reads", "I read", "you read", "she read",
     "I will read", "you will read", "she will read",
     "I am reading", "you are reading", "she is reading",
     "I have read", "you have read", "she has read"],
    ["I sing", "you sing", "she sings", "I sang", "you sang", "she sang",
     "I will sing", "you will sing", "she will sing",
     "I am singing", "you are singing", "she is singing",
     "I have sung", "you have sung", "she has sung"],
    ["I sleep", "you sleep", "she sleeps", "I slept", "you slept", "she slept",
     "I will sleep", "you will sleep", "she will sleep",
     "I am sleeping", "you are sleeping", "she is sleeping",
     "I have slept", "you have slept", "she has slept"],
    ["I swim", "you swim", "she swims", "I swam", "you swam", "she swam",
     "I will swim", "you will swim", "she will swim",
     "I am swimming", "you are swimming", "she is swimming",
     "I have swum", "you have swum", "she has swum"],
    ["I give", "you give", "she gives", "I gave", "you gave", "she gave",
     "I will give", "you will give", "she will give",
     "I am giving", "you are giving", "she is giving",
     "I have given", "you have given", "she has given"],
    ["I take", "you take", "she takes", "I took", "you took", "she took",
     "I will take", "you will take", "she will take",
     "I am taking", "you are taking", "she is taking",
     "I have taken", "you have taken", "she has taken"],
]
# fmt: on


def test_the_table_is_complete():
    assert len(EXPECTED) == 20 and all(len(row) == 15 for row in EXPECTED)


@pytest.mark.parametrize("verb", range(20), ids=list(g.VERBS))
def test_every_form_of_a_verb_reads_as_the_table_says(verb):
    forms = g.all_forms()[verb * 15 : (verb + 1) * 15]
    got = [f.text for f in forms]
    wrong = [
        (f.tense, f.person, t, e)
        for f, t, e in zip(forms, got, EXPECTED[verb], strict=True)
        if t != e
    ]
    assert not wrong, f"{g.VERBS[verb]}: (tense, person, got, expected) {wrong}"


def test_indices_round_trip_and_follow_the_documented_order():
    forms = g.all_forms()
    assert len(forms) == 300
    for i, form in enumerate(forms):
        assert form.index == i
        assert g.form_from_index(i) == form
        assert i == g.form_index(form.verb_index, form.tense_index, form.person_index)
    assert g.form_from_index(0) == g.VerbForm("walk", "present simple", "I")
    assert g.form_from_index(299) == g.VerbForm("take", "present perfect", "she")


def test_label_arrays_agree_with_the_forms():
    idx = np.arange(300)
    forms = g.all_forms()
    assert g.verb_of(idx).tolist() == [f.verb_index for f in forms]
    assert g.tense_of(idx).tolist() == [f.tense_index for f in forms]
    assert g.person_of(idx).tolist() == [f.person_index for f in forms]
    assert g.texts([2, 299]) == ["she walks", "she has taken"]


def test_out_of_range_and_unknown_values_are_refused_with_the_value():
    with pytest.raises(IndexError, match="300"):
        g.form_from_index(300)
    with pytest.raises(ValueError, match="'fly'"):
        g.VerbForm("fly", "past simple", "I")


def test_only_read_coincides_and_only_without_the_third_person():
    flat = [t for row in EXPECTED for t in row]
    repeated = {t for t in flat if flat.count(t) > 1}
    assert repeated == {"I read", "you read"}
    got = g.coinciding_texts()
    assert set(got) == repeated
    for text, forms in got.items():
        assert {f.tense for f in forms} == {"present simple", "past simple"}
        assert all(f.verb == "read" and f.text == text for f in forms)
    assert len(g.distinct_texts()) == 298


def test_vocabulary_is_exactly_the_words_of_the_table():
    words = {w for row in EXPECTED for t in row for w in t.split()}
    assert g.vocabulary() == sorted(words)
    assert {"I", "you", "she", "will", "am", "are", "is", "have", "has"} <= set(g.vocabulary())
