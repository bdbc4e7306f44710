from gatefixture import double


def test_gate_passes() -> None:
    assert double(2) == 4
