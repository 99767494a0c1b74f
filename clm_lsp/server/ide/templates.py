"""Starting text for a new blueprint, per scale.

A workspace may supply its own: `.clm/templates/<scale>.blueprint.md` (the server
reads those; this module only renders). Placeholders: `{id}`, `{title}`,
`{scale}`, `{parent}`; the parent line is dropped when there is no parent.
Sections are `<!-- synthesize -->` placeholders, so they are synthesis targets.
"""

from __future__ import annotations

from collections.abc import Mapping

_COMMON_HEAD = "---\nid: {id}\ntitle: {title}\nscale: {scale}\nparent: {parent}\nstatus: draft\n---\n# {title}\n\n## Vision\n<!-- synthesize -->\n"

# What people usually describe about an entity of each scale, beyond its vision.
SECTIONS_BY_SCALE: dict[str, tuple[str, ...]] = {
    "individual": ("Roles", "Skills", "Commitments"),
    "team": ("Members", "Work", "Resources"),
    "organization": ("Governance", "Resources", "Finance", "Risks"),
    "network": ("Members", "Governance", "Flows"),
    "district": ("Structure", "Governance", "Resources", "Flows"),
    "city": ("Structure", "Governance", "Resources", "Flows", "Metrics"),
    "region": ("Structure", "Governance", "Flows", "Metrics"),
    "commons": ("Structure", "Governance", "Flows"),
}
_DEFAULT_SECTIONS = ("Structure", "Governance", "Resources")


def default_template(scale: str) -> str:
    sections = SECTIONS_BY_SCALE.get(scale, _DEFAULT_SECTIONS)
    body = "".join(f"\n## {name}\n<!-- synthesize -->\n" for name in sections)
    return _COMMON_HEAD + body


def render(template: str, entity_id: str, title: str, scale: str, parent: str | None) -> str:
    lines = template.split("\n")
    if parent is None:
        lines = [ln for ln in lines if ln.strip() != "parent: {parent}"]
    values: Mapping[str, str] = {"id": entity_id, "title": title, "scale": scale, "parent": parent or ""}
    text = "\n".join(lines)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def template_for(scale: str, custom: Mapping[str, str]) -> str:
    return custom.get(scale) or default_template(scale)
