"""Tests that pass: the plugin must leave them alone."""


def test_arithmetic():
    assert 1 + 1 == 2


def test_strings():
    assert "py" + "autopsy" == "pyautopsy"
