import json

from contracts import CorpusCreated
from contracts.schemas import SCHEMA_DIR, changed_without_bump, render, schema_path


def test_every_contract_matches_the_schema_of_its_version() -> None:
    assert changed_without_bump() == []


def test_a_changed_model_is_caught(tmp_path, monkeypatch) -> None:
    # Simulate an edit of corpus.created v2 by storing a schema that differs from the model.
    stored = json.loads(schema_path("corpus.created", 2).read_text())
    stored["properties"].pop("profile")
    monkeypatch.setattr("contracts.schemas.SCHEMA_DIR", tmp_path)
    for path in SCHEMA_DIR.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "corpus.created.v2.json").write_text(json.dumps(stored))
    assert changed_without_bump() == [
        "corpus.created v2: model changed without a schema_version bump"
    ]


def test_old_versions_stay_published() -> None:
    v1 = json.loads(schema_path("corpus.created", 1).read_text())
    assert "profile" not in v1["properties"]
    assert render(CorpusCreated) == schema_path("corpus.created", 2).read_text()


def test_a_version_1_job_completion_reads_as_version_2_without_a_reason() -> None:
    from uuid import uuid4

    from contracts import JobCompleted, decode_event

    stored = {
        "job_id": str(uuid4()),
        "status": "failed",
        "summary": {"pages": 0, "exported": 0, "failed": 0, "failures": []},
    }
    completed = decode_event("job.completed", 1, stored)
    assert isinstance(completed, JobCompleted)
    assert completed.reason is None
    assert schema_path("job.completed", 1).exists()
    assert render(JobCompleted) == schema_path("job.completed", 2).read_text()


def test_a_version_2_page_registration_reads_as_version_4_with_no_known_profile() -> None:
    from uuid import uuid4

    from contracts import PageRegistered, decode_event

    stored = {
        "page_id": str(uuid4()),
        "manuscript_id": str(uuid4()),
        "corpus_id": str(uuid4()),
        "index": 0,
        "image_service": "https://images.example/iiif/p1",
        "image_service_version": 2,
        "upload_page": None,
    }
    registered = decode_event("page.registered", 2, stored)
    assert isinstance(registered, PageRegistered)
    assert registered.image_service_profile is None
    assert registered.image_service_version == 2
    assert registered.canvas_resolution is None
    assert render(PageRegistered) == schema_path("page.registered", 4).read_text()


def test_version_1_pages_and_jobs_read_as_version_2() -> None:
    from uuid import uuid4

    from contracts import JobCreated, PageAnalyzed, PageImageNormalized, decode_event

    image = {"sha256": "ab" * 32, "media_type": "image/png", "bytes": 10, "width": 4, "height": 6}
    normalized = decode_event(
        "page.image_normalized",
        1,
        {"page_id": str(uuid4()), "master": image, "derivative": image, "thumbnail": image},
    )
    assert isinstance(normalized, PageImageNormalized)
    assert normalized.resolution is None
    analyzed = decode_event(
        "page.analyzed",
        1,
        {
            "page_id": str(uuid4()),
            "analysis": {"sha256": "cd" * 32, "media_type": "application/json", "bytes": 3},
            "engine": "tesseract",
            "duration_ms": 5.0,
        },
    )
    assert isinstance(analyzed, PageAnalyzed)
    assert analyzed.candidates == []
    plan = {"primary": {"engine": "tesseract", "languages": ["deu", "frk"]}}
    created = decode_event(
        "job.created", 1, {"job_id": str(uuid4()), "kind": "import", "plan": plan}
    )
    assert isinstance(created, JobCreated)
    assert created.plan.primary.runs() == [created.plan.primary]


def test_a_step_with_candidates_runs_each_filled_from_the_step() -> None:
    from contracts import Candidate, EngineStep

    step = EngineStep(
        engine="tesseract",
        languages=["deu"],
        params={"psm": 3},
        candidates=[Candidate(languages=["deu", "frk"]), Candidate(), Candidate(engine="vlm")],
    )

    runs = step.runs()

    assert [(r.engine, r.languages) for r in runs] == [
        ("tesseract", ["deu", "frk"]),
        ("tesseract", ["deu"]),
        ("vlm", ["deu"]),
    ]
    assert [r.params for r in runs] == [{"psm": 3}, {"psm": 3}, {}]
    assert all(not r.candidates for r in runs)
