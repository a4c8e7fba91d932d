"""Message templates of the fake WhatsApp: Meta's creation format, listing, and filling one in.

Creation checks what Meta checks before review (code 100): a lowercase name, a language, a
category, exactly one BODY of at most 1,024 characters whose positional parameters ``{{1}}``,
``{{2}}``... have no gaps and an example each, at most 10 buttons of 1-25 characters; the same name
and language twice is refused (subcode 2388024). Sending checks the template is APPROVED in that
language (else 132001) and gets as many body parameters as it has (else 132000).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.fakeapi.whatsapp.models import JSON, GraphError, Template, TemplateView
from bot.fakeapi.whatsapp.validation import malformed

_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_PARAM = re.compile(r"\{\{(\d+)\}\}")


def listing(templates: list[Template], query: Mapping[str, str]) -> JSON:
    """The answer of ``GET /{waba-id}/message_templates`` with Meta's filters and summary."""

    def wanted(template: Template) -> bool:
        # Meta's ``name`` filter matches a part of the name; the others are lists of values.
        return (
            query.get("name", "") in template.name
            and template.status in query.get("status", template.status).split(",")
            and template.language in query.get("language", template.language).split(",")
            and template.category in query.get("category", template.category).split(",")
        )

    answer: JSON = {
        "data": [t.as_json() for t in templates if wanted(t)],
        "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}},
    }
    if "summary" in query:
        answer["summary"] = {
            "total_count": len(templates),
            "message_template_count": len(templates),
            "message_template_limit": 250,
            "are_translations_complete": True,
        }
    return answer


def find(templates: list[Template], name: str, language: str | None = None) -> Template | None:
    """The template of that name (and language)."""
    return next(
        (t for t in templates if t.name == name and (language is None or t.language == language)),
        None,
    )


def create(templates: list[Template], payload: Any, *, new_id: str, approved: bool) -> Template:
    """A new template from Meta's creation format; raises :class:`GraphError` as Meta would."""
    if not isinstance(payload, dict):
        raise malformed("Invalid parameter")
    name, language = payload.get("name"), payload.get("language")
    category = payload.get("category")
    components = payload.get("components")
    if not isinstance(name, str) or not _TEMPLATE_NAME.match(name):
        raise GraphError(
            400,
            100,
            "(#100) Invalid parameter",
            "name: only lowercase letters, digits and underscores, at most 512 characters",
        )
    if not isinstance(language, str) or not language:
        raise GraphError(400, 100, "(#100) The parameter language is required.")
    if category not in ("UTILITY", "MARKETING", "AUTHENTICATION"):
        raise GraphError(400, 100, "(#100) Invalid parameter", f"category: {category!r}")
    if not isinstance(components, list) or not all(isinstance(c, dict) for c in components):
        raise GraphError(400, 100, "(#100) The parameter components is required.")
    bodies = [c for c in components if c.get("type") == "BODY"]
    if len(bodies) != 1 or not isinstance(bodies[0].get("text"), str):
        raise GraphError(400, 100, "(#100) Invalid parameter", "exactly one BODY with text")
    text = str(bodies[0]["text"])
    if len(text) > 1024:
        raise GraphError(400, 100, "(#100) Invalid parameter", "BODY text over 1024 characters")
    if any(not name.isdigit() for name in re.findall(r"\{\{(\w+)\}\}", text)):
        raise GraphError(
            400,
            100,
            "(#100) Invalid parameter",
            "The fake supports positional parameters ({{1}}, {{2}}...) only",
        )
    numbers = [int(n) for n in _PARAM.findall(text)]
    if sorted(set(numbers)) != list(range(1, len(set(numbers)) + 1)):
        raise GraphError(
            400,
            100,
            "(#100) Invalid parameter",
            "Variable parameters must be numbered {{1}}, {{2}}, ... without gaps",
            2388043,
        )
    if numbers:
        example = bodies[0].get("example", {}).get("body_text")
        if (
            not isinstance(example, list)
            or not example
            or not isinstance(example[0], list)
            or len(example[0]) != len(set(numbers))
        ):
            raise GraphError(
                400,
                100,
                "(#100) Invalid parameter",
                "Message template has variables but no example (body_text) for each",
                2388043,
            )
    for component in components:
        if component.get("type") == "BUTTONS":
            buttons = component.get("buttons", [])
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 10:
                raise GraphError(400, 100, "(#100) Invalid parameter", "1 to 10 buttons")
            for button in buttons:
                if not 1 <= len(str(button.get("text", ""))) <= 25:
                    raise GraphError(
                        400, 100, "(#100) Invalid parameter", "button text: 1-25 characters"
                    )
    if find(templates, name, language) is not None:
        raise GraphError(
            400,
            100,
            "(#100) Invalid parameter",
            f"Content in this language already exists: {name} ({language})",
            2388024,
        )
    return Template(
        id=new_id,
        name=name,
        language=language,
        category=str(category),
        components=components,
        status="APPROVED" if approved else "PENDING",
    )


def render(templates: list[Template], request: JSON) -> TemplateView:
    """The template a send request names, filled in; 132001 if it is not approved, 132000 if
    the parameter count is wrong."""
    name = str(request["name"])
    language = str(request["language"]["code"])
    template = find(templates, name, language)
    if template is None or template.status != "APPROVED":
        raise GraphError(
            404,
            132001,
            "(#132001) Template name does not exist in the translation",
            f"template name ({name}) does not exist in {language}",
        )
    params: list[str] = []
    payloads: dict[int, str] = {}
    for component in request.get("components", []):
        if not isinstance(component, dict):
            raise malformed("Param template['components'] must contain objects.")
        kind = str(component.get("type", "")).lower()
        if kind == "body":
            for parameter in component.get("parameters", []):
                if parameter.get("type") != "text" or not isinstance(parameter.get("text"), str):
                    raise GraphError(
                        400,
                        132012,
                        "(#132012) Parameter format does not match format in the created template",
                    )
                params.append(parameter["text"])
        elif kind == "button":
            index = int(component.get("index", 0))
            for parameter in component.get("parameters", []):
                if parameter.get("type") == "payload":
                    payloads[index] = str(parameter.get("payload", ""))
    if len(params) != template.param_count:
        raise GraphError(
            400,
            132000,
            "(#132000) Number of parameters does not match the expected number of params",
            f"body: number of localizable_params ({len(params)}) does not match the expected "
            f"number of params ({template.param_count})",
        )
    body = _PARAM.sub(lambda m: params[int(m.group(1)) - 1], template.body_text)
    labels = template.quick_replies
    return TemplateView(
        name=name,
        language=language,
        params=tuple(params),
        quick_replies=tuple(labels),
        payloads=tuple(payloads.get(i, label) for i, label in enumerate(labels)),
        body=body,
    )
