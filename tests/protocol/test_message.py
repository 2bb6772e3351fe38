"""ChatMessage's fast constructor behaves as the dataclass's own would."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from papo.protocol.message import ChatMessage, MessageType


def test_the_constructor_takes_every_field_in_order_with_its_default() -> None:
    parameters = list(inspect.signature(ChatMessage).parameters.values())
    fields = dataclasses.fields(ChatMessage)
    assert [p.name for p in parameters] == [f.name for f in fields]
    for parameter, field in zip(parameters, fields, strict=True):
        expected = (
            inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        )
        assert parameter.default == expected


def test_every_field_is_set_positionally_and_by_keyword() -> None:
    values = [f"v{index}" for index, _ in enumerate(dataclasses.fields(ChatMessage))]
    by_position = ChatMessage(*values)  # type: ignore[arg-type]
    names = [field.name for field in dataclasses.fields(ChatMessage)]
    by_name = ChatMessage(**dict(zip(names, values, strict=True)))  # type: ignore[arg-type]
    assert by_position == by_name
    assert [getattr(by_position, f.name) for f in dataclasses.fields(ChatMessage)] == values


def test_defaults_are_the_dataclass_defaults() -> None:
    message = ChatMessage("ana", "oi")
    assert message.type == MessageType.CHAT and message.plain is False
    assert (message.v, message.seq, message.source, message.sig) == (None,) * 4


def test_the_message_stays_frozen_hashable_replaceable_and_picklable() -> None:
    message = ChatMessage("ana", "oi", seq=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        message.user = "bia"  # type: ignore[misc]
    assert hash(message) == hash(ChatMessage("ana", "oi", seq=3))
    assert dataclasses.replace(message, data="tchau") == ChatMessage("ana", "tchau", seq=3)
    assert pickle.loads(pickle.dumps(message)) == message


def test_missing_required_arguments_are_a_type_error() -> None:
    with pytest.raises(TypeError):
        ChatMessage("ana")  # type: ignore[call-arg]
