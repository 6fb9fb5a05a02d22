"""Reading files piece by piece (a worker reads the upload from the database a megabyte at a
time): the same table as reading it whole, whatever falls on a piece's edge."""

from __future__ import annotations

import pytest

from apps.imports.files import FileProblem, read_table


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: nothing here touches the database."""


TEXT = 'code;label;category\r\nzoë;"Zoë ""the""\nsecond";skill\r\nx;Ärger;skill\n'


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _read(content) -> tuple[list[str], list[tuple[int, list[str]]]]:
    table = read_table(content, "csv")
    return table.header, list(table.rows)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_pieces_of_any_size_read_as_the_whole(size):
    data = ("\ufeff" + TEXT).encode()
    assert _read(_pieces(data, size)) == _read(data)
    header, rows = _read(data)
    assert header == ["code", "label", "category"]
    assert rows[0] == (2, ["zoë", 'Zoë "the"\nsecond', "skill"])
    assert rows[1] == (3, ["x", "Ärger", "skill"])


def test_a_bad_byte_in_a_later_piece_names_its_line():
    data = TEXT.encode() + b"y;caf\xe9;skill\n"
    with pytest.raises(FileProblem) as problem:
        _read(_pieces(data, 5))
    assert problem.value.extra["line"] == 5  # the physical line (a quoted cell spans two)
    assert "0xe9" in str(problem.value.detail)


def test_a_character_cut_at_the_very_end_is_an_encoding_error():
    with pytest.raises(FileProblem) as problem:
        _read([b"code,label,category\n", b"x,caf\xc3"])
    assert problem.value.code == "invalid_encoding"
