"""A fixture of test/gate/languages.test.ts."""


def double(n: int) -> int:
    return 2 * n
