"""The artifact store a service uses, chosen by `RECTO_ARTIFACT_STORE`: every composition root
calls this, so no service depends on which one it is."""

from __future__ import annotations

from infra.artifacts import ArtifactStore, FileArtifactStore
from infra.settings import Settings


def artifact_store(settings: Settings) -> ArtifactStore:
    if settings.artifact_store == "s3":
        from infra.artifacts_s3 import S3ArtifactStore

        return S3ArtifactStore.from_settings(settings)
    return FileArtifactStore(settings.artifacts)
