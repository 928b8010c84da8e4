"""Base classes of every contract: frozen pydantic models with a type and a schema version."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A frozen value that crosses a service boundary."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    """Something that happened; `type` names it in the past tense, e.g. `page.analyzed`."""

    type: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "type" in cls.__dict__:
            from contracts.registry import register_event

            register_event(cls)

    @classmethod
    def aggregate(cls) -> str:
        return cls.type.split(".", 1)[0]


class Command(Contract):
    """Something asked of Recto, named in the imperative, e.g. `RequestImport`."""

    schema_version: ClassVar[int] = 1
