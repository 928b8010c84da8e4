from hypothesis import given
from hypothesis import strategies as st

from analyzer.domain.geometry import Scaling, Size
from contracts import Box

sizes = st.builds(Size, st.integers(1, 12000), st.integers(1, 12000))


@st.composite
def box_inside(draw: st.DrawFn, size: Size) -> Box:
    x = draw(st.integers(0, size.width))
    y = draw(st.integers(0, size.height))
    return Box(
        x=x,
        y=y,
        width=draw(st.integers(0, size.width - x)),
        height=draw(st.integers(0, size.height - y)),
    )


def inside(box: Box, size: Size) -> bool:
    return box.x >= 0 and box.y >= 0 and box.right <= size.width and box.bottom <= size.height


@given(st.data(), sizes, sizes)
def test_scaling_to_master_and_back_keeps_boxes_inside_each_page(
    data: st.DataObject, derivative: Size, master: Size
) -> None:
    box = data.draw(box_inside(derivative))
    to_master = Scaling(derivative, master)

    on_master = to_master.box(box)
    back = to_master.inverse.box(on_master)

    assert inside(on_master, master)
    assert inside(back, derivative)


@given(st.data(), sizes, st.integers(1, 8))
def test_scaling_up_then_down_returns_the_box_within_a_pixel(
    data: st.DataObject, derivative: Size, factor: int
) -> None:
    master = Size(derivative.width * factor, derivative.height * factor)
    box = data.draw(box_inside(derivative))

    back = Scaling(derivative, master).inverse.box(Scaling(derivative, master).box(box))

    assert abs(back.x - box.x) <= 1
    assert abs(back.y - box.y) <= 1
    assert abs(back.right - box.right) <= 1
    assert abs(back.bottom - box.bottom) <= 1


@given(
    sizes,
    sizes,
    st.floats(-5000, 20000, allow_nan=False),
    st.floats(-5000, 20000, allow_nan=False),
    st.floats(-5000, 20000, allow_nan=False),
    st.floats(-5000, 20000, allow_nan=False),
)
def test_engine_corners_outside_the_derivative_are_clamped_to_the_master(
    derivative: Size, master: Size, left: float, top: float, right: float, bottom: float
) -> None:
    # Engines (a VLM especially) can answer boxes past the edge or with swapped corners.
    box = Scaling(derivative, master).corners(left, top, right, bottom)

    assert inside(box, master)


def test_a_half_size_derivative_doubles_coordinates() -> None:
    scaling = Scaling(Size(1000, 1500), Size(2000, 3000))

    assert scaling.box(Box(x=10, y=20, width=30, height=40)) == Box(x=20, y=40, width=60, height=80)
    assert scaling.points([(5, 7)]) == [(10, 14)]
