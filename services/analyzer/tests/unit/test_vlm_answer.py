import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analyzer.adapters.vlm_answer import parse_answer, regions_from_answer
from analyzer.domain.geometry import Scaling, Size
from contracts import RegionType
from contracts.errors import UnparseableResponse

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
boxes = st.lists(st.integers(0, 3000), min_size=4, max_size=4)
lines = st.fixed_dictionaries({"text": texts, "bbox": boxes})
regions = st.fixed_dictionaries(
    {
        "type": st.sampled_from([t.value for t in RegionType]),
        "bbox": boxes,
        "lines": st.lists(lines, max_size=4),
    }
)
answers = st.fixed_dictionaries(
    {"language": st.sampled_from(["fra", "lat", "deu"]), "regions": st.lists(regions, max_size=4)}
)


def with_trailing_commas(value: object) -> str:
    """JSON with a comma after the last member of every non-empty object and array."""
    if isinstance(value, dict):
        members = "".join(f"{json.dumps(k)}: {with_trailing_commas(v)}, " for k, v in value.items())
        return "{" + members + "}"
    if isinstance(value, list):
        return "[" + "".join(f"{with_trailing_commas(v)}, " for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@given(answers, st.sampled_from(["plain", "fenced", "prose", "commas"]))
def test_wrapped_answers_parse_to_the_same_page(answer: dict, wrapping: str) -> None:
    document = json.dumps(answer, ensure_ascii=False, indent=1)
    wrapped = {
        "plain": document,
        "fenced": f"```json\n{document}\n```",
        "prose": f"Here is the transcription you asked for:\n{document}\nHope this helps!",
        "commas": with_trailing_commas(answer),
    }[wrapping]

    parsed = parse_answer(wrapped)

    assert parsed.model_dump(mode="json", exclude_none=True) == {
        "language": answer["language"],
        "regions": [
            {
                "type": r["type"],
                "bbox": [float(v) for v in r["bbox"]],
                "lines": [
                    {"text": ln["text"], "bbox": [float(v) for v in ln["bbox"]]}
                    for ln in r["lines"]
                ],
            }
            for r in answer["regions"]
        ],
    }


def test_commas_inside_strings_are_kept() -> None:
    parsed = parse_answer('{"regions": [{"lines": [{"text": "a ,] b \\", }"},],},]}')

    assert parsed.regions[0].lines[0].text == 'a ,] b ", }'


@pytest.mark.parametrize(
    "garbage",
    [
        "I cannot read this image.",
        "{not json at all}",
        '{"regions": "many"}',
        "```\n[1, 2]\n```",
        "",
    ],
)
def test_garbage_is_unparseable(garbage: str) -> None:
    with pytest.raises(UnparseableResponse):
        parse_answer(garbage)


def test_region_boxes_are_scaled_from_the_derivative_to_the_master() -> None:
    answer = parse_answer(
        '{"regions": [{"type": "text", "bbox": [10, 20, 100, 50],'
        ' "lines": [{"text": " Incipit ", "bbox": [12, 22, 90, 20]}, {"text": "  "}]}]}'
    )

    (region,) = regions_from_answer(answer, Scaling(Size(500, 800), Size(1000, 1600)))

    assert (region.bbox.x, region.bbox.y, region.bbox.width, region.bbox.height) == (
        20,
        40,
        200,
        100,
    )
    assert [line.text for line in region.lines] == ["Incipit"]
    assert region.lines[0].bbox.x == 24
