"""Filling in and submitting a modal the bot opened (callback type 9 -> interaction type 5).

Rules:
- a user can submit only the latest modal the bot showed them, by its
  custom_id, once; the submission goes to the channel (and message, for a
  modal opened from a component) where the modal was opened;
- `values` maps each input's custom_id to text (text inputs) or a list of
  option values (selects); unknown custom_ids are refused;
- as Discord's client does: a required text input (the default) needs a
  non-empty value, and min_length/max_length hold (max 4000); a select's
  values must be among its options and within min_values/max_values;
- the submission is dispatched as INTERACTION_CREATE type 5 whose
  components mirror the modal's (action rows or labels), and waits like a
  command (3 s for the first response).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from bot.sandbox.fake_discord import interactions as kinds
from bot.sandbox.fake_discord import invoking, payloads
from bot.sandbox.fake_discord.payloads import JSON
from bot.sandbox.fake_discord.payloads.interactions import SELECT_TYPES, TEXT_INPUT
from bot.sandbox.fake_discord.records import CommandOutcome
from bot.sandbox.fake_discord.state import SandboxState
from bot.sandbox.fake_discord.validation import CommandRefused

TEXT_INPUT_LIMIT = 4000
STRING_SELECT = 3
ModalValues = Mapping[str, str | list[str]]


def _inputs(components: list[JSON]) -> Iterator[tuple[JSON, str]]:
    """Every input of a modal with the label a person sees next to it."""
    for component in components:
        inner = component.get("component")
        if isinstance(inner, dict):
            yield inner, str(component.get("label") or inner.get("custom_id"))
        for child in component.get("components") or []:
            if child.get("type") == TEXT_INPUT or child.get("type") in SELECT_TYPES:
                yield child, str(child.get("label") or child.get("custom_id"))


def _check_text(schema: JSON, label: str, value: str | list[str]) -> None:
    if not isinstance(value, str):
        raise CommandRefused(f"'{label}' takes text, not a list.")
    if not value:
        if schema.get("required", True):
            raise CommandRefused(f"'{label}' is required.")
        return
    low = int(schema.get("min_length") or 0)
    high = int(schema.get("max_length") or TEXT_INPUT_LIMIT)
    if len(value) < low:
        raise CommandRefused(f"'{label}' needs at least {low} characters.")
    if len(value) > high:
        raise CommandRefused(f"'{label}' takes at most {high} characters.")


def _check_select(schema: JSON, label: str, value: str | list[str]) -> None:
    chosen = [value] if isinstance(value, str) else list(value)
    low = int(schema.get("min_values", 1 if schema.get("required", True) else 0))
    high = int(schema.get("max_values") or 1)
    if not low <= len(chosen) <= high:
        raise CommandRefused(f"'{label}' needs between {low} and {high} choices.")
    if schema.get("type") == STRING_SELECT:
        options = [str(o.get("value")) for o in schema.get("options") or []]
        wrong = [v for v in chosen if v not in options]
        if wrong:
            raise CommandRefused(f"'{label}': choose among {', '.join(options)}.")


def check_values(modal: JSON, values: ModalValues) -> None:
    """Refuse values Discord's client would not let a person submit."""
    found = list(_inputs(list(modal.get("components") or [])))
    known = {str(schema.get("custom_id")) for schema, _ in found}
    unknown = [name for name in values if name not in known]
    if unknown:
        raise CommandRefused(
            f"The form has no field '{unknown[0]}' (fields: {', '.join(sorted(known))})."
        )
    for schema, label in found:
        value = values.get(str(schema.get("custom_id")), "")
        if schema.get("type") == TEXT_INPUT:
            _check_text(schema, label, value)
        elif value or schema.get("required", True):
            _check_select(schema, label, value)


async def submit_modal(
    state: SandboxState,
    custom_id: str,
    values: ModalValues,
    *,
    user: str,
    wait_seconds: float,
) -> CommandOutcome:
    """Submit the modal `custom_id` open for `user` with `values`; return what happened."""
    try:
        user_id = state.world.user_id(user)
    except KeyError:
        return CommandOutcome(refused=f"There is no user called {user} in the sandbox.")
    origin = state.open_modals.get(user_id)
    modal = origin.response_data if origin is not None else None
    if origin is None or modal is None or modal.get("custom_id") != custom_id:
        return CommandOutcome(refused=f"{user} has no open form '{custom_id}'.")
    try:
        check_values(modal, values)
        found = state.world.live_channel(origin.channel_id)
        if found is None:
            raise CommandRefused("The form's channel no longer exists.")
        guild, channel, _ = invoking.place(state, user, origin.channel_id, found[0].name)
    except CommandRefused as refusal:
        return CommandOutcome(refused=str(refusal))
    del state.open_modals[user_id]
    record = state.interactions.create(
        state.snowflakes.next(),
        interaction_type=kinds.MODAL_SUBMIT,
        guild_id=guild.id,
        channel_id=channel.id,
        user_id=user_id,
    )
    record.component_message_id = origin.component_message_id
    stored = state.store.get(origin.component_message_id or 0)
    components = payloads.modal_submit_components(list(modal.get("components") or []), values)
    return await invoking.send_interaction(
        state,
        record,
        data={"custom_id": custom_id, "components": components},
        guild=guild,
        channel=channel,
        message=state.gateway_message(stored) if stored is not None else None,
        wait_seconds=wait_seconds,
    )
