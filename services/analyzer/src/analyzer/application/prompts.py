"""Jinja2 prompt templates: shipped ones by name, or inline text from a job's plan.

Plans come from API clients, so templates render in Jinja2's sandbox with strict undefined
variables: a typo fails loudly instead of sending an empty prompt to a paid model.

Jinja2 is imported with the first template: most plans use none, and every analyzer and
gateway process would otherwise pay its import (~0.1 s of CPU) at start-up.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

from contracts.errors import ContractError

if TYPE_CHECKING:
    from jinja2 import Template
    from jinja2.sandbox import SandboxedEnvironment

_TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class PromptTemplates:
    @cached_property
    def _env(self) -> SandboxedEnvironment:
        from jinja2 import PackageLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        return SandboxedEnvironment(
            loader=PackageLoader("analyzer", "prompts"),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
        )

    def template(self, name_or_text: str) -> Template:
        """A shipped template when the text is a bare name, otherwise an inline template."""
        from jinja2 import TemplateError, TemplateNotFound

        try:
            if _TEMPLATE_NAME.match(name_or_text):
                return self._env.get_template(f"{name_or_text}.j2")
            return self._env.from_string(name_or_text)
        except TemplateNotFound:
            raise ContractError(f"unknown prompt template {name_or_text!r}") from None
        except TemplateError as error:
            raise ContractError(f"prompt template does not parse: {error}") from None

    def problem(self, name_or_text: str) -> str | None:
        """Why a template cannot be used, or None."""
        try:
            self.template(name_or_text)
        except ContractError as error:
            return str(error)
        return None

    def render(self, name_or_text: str, context: Mapping[str, Any]) -> str:
        from jinja2 import TemplateError

        try:
            return self.template(name_or_text).render(**context).strip()
        except TemplateError as error:
            raise ContractError(f"prompt template failed to render: {error}") from None


def prompt_hash(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()
