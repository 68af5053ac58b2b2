"""French agreement from the patient's sex: "née" for a woman, "né" for a man, both forms only when unknown."""

from oncodcc.patients.models import Patient


def test_words_agree_with_the_patients_sex():
    assert Patient(sex="F").born == "née" and Patient(sex="M").born == "né" and Patient(sex="I").born == "né(e)"
    assert Patient(sex="F").agree("inscrit", "inscrite") == "inscrite"
    assert Patient(sex="I").agree("soigné", "soignée") == "soigné(e)"


def test_french_plural_is_singular_for_zero_and_one():
    from oncodcc.core.templatetags.french import pluriel

    assert [pluriel(n) for n in (0, 1, 2, 40)] == ["", "", "s", "s"]
    assert pluriel("x") == ""
