from uuid import uuid4

from analyzer.adapters.event_history import StoredPageImages, StoredPlans
from contracts import (
    EngineStep,
    ImageRef,
    JobCreated,
    PageImageNormalized,
    Plan,
    job_stream,
    page_stream,
)
from infra.eventstore import InMemoryEventStore


def image(width: int) -> ImageRef:
    return ImageRef(sha256="a" * 64, media_type="image/jpeg", bytes=10, width=width, height=10)


async def test_plan_comes_from_the_job() -> None:
    store = InMemoryEventStore()
    job_id = uuid4()
    plan = Plan(primary=EngineStep(engine="null"), profile="medieval-textual")
    await store.append(job_stream(job_id), [JobCreated(job_id=job_id, kind="analyze", plan=plan)])
    plans = StoredPlans(store)
    assert await plans.plan_for(uuid4(), job_id) == plan
    assert await plans.plan_for(uuid4(), None) is None
    assert await plans.plan_for(uuid4(), uuid4()) is None


async def test_latest_normalized_image_wins() -> None:
    store = InMemoryEventStore()
    page_id = uuid4()
    for width in (100, 200):
        event = PageImageNormalized(
            page_id=page_id, master=image(width), derivative=image(50), thumbnail=image(10)
        )
        await store.append(page_stream(page_id), [event])
    found = await StoredPageImages(store).normalized(page_id)
    assert found is not None
    assert found.master.width == 200
    assert await StoredPageImages(store).normalized(uuid4()) is None
