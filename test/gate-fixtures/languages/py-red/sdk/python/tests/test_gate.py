from gatefixture import double


def test_gate_fails() -> None:
    assert double(2) == 5, "gate fixture: this Python assertion is meant to fail"
