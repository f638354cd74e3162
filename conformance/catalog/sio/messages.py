"""Events and acknowledgements: socket.io-protocol test-suite #26-#32, an ack the server asks for (SIO-1)
and attachments that do not come (SIO-3).

The testee answers ``message`` with ``message-back`` and the same arguments, acks ``message-with-ack`` with
its arguments, and for ``emit-with-ack`` emits ``ack-request`` asking for an ack, then ``ack-response`` with
what the ack carried (docs/testee-contract.md). Every event and ack the target sends is also checked
against the README's payload rules on the way in (:meth:`SioContext.receive`).
"""

from __future__ import annotations

from typing import Any

from conformance.catalog.sio.context import SioContext
from conformance.catalog.sio.matrix import both
from conformance.model import MAY, MUST, STRICT, CaseFailed, Verdict, group
from conformance.wire.sio import SioClient, SioPacket, SioType

E = group("sio", "sending-and-receiving-data", "Sending and receiving data")
A = group("sio", "acknowledgement", "Acknowledgement")
F = group("sio", "packet-encoding", "Packet encoding")

NON_EMPTY = ("The payload is mandatory and MUST be a non-empty array. If that's not the case, then the "
             "receiver MUST close the connection.")
SAME_ID = "The receiver MUST respond with an `ACK` packet with the same event ID."
FORMAT = ("<packet type>[<# of binary attachments>-][<namespace>,][<acknowledgment id>][JSON-stringified "
          "payload without binary]")
ARGS: list[Any] = [1, "2", {"3": [True]}]
BLOBS = [b"\x01\x02\x03", b"\x04\x05\x06"]


async def expect_packet(ctx: SioContext, client: SioClient, want: SioPacket) -> Verdict:
    got = await ctx.expect(client, str(want))
    if (got.type, got.nsp, got.id, got.data) != (want.type, want.nsp, want.id, want.data):
        raise CaseFailed([str(want)], str(got))
    return Verdict(actual=str(got))


@both(E, "plain-text-event", level=MUST, origin="sio-suite #26",
      desc="Emits 'message' [1, \"2\", {\"3\": [true]}] on /",
      requirement="The testee emits 'message-back' with the same arguments; every event the server sends "
                  "MUST have a non-empty array payload.",
      quote=NON_EMPTY)
async def plain_text_event(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport)
    await client.send(SioPacket(SioType.EVENT, "/", ["message", *ARGS]))
    return await expect_packet(ctx, client, SioPacket(SioType.EVENT, "/", ["message-back", *ARGS]))


@both(E, "binary-event", level=STRICT, origin="sio-suite #27",
      desc="Emits 'message' with two binary arguments (BINARY_EVENT, 2 attachments 01 02 03, 04 05 06)",
      requirement="The testee emits 'message-back' as a BINARY_EVENT whose two attachments are the same "
                  "bytes (over polling: base64 'b' packets).",
      quote=FORMAT)
async def binary_event(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport)
    await client.send(SioPacket(SioType.EVENT, "/", ["message", *BLOBS]))
    return await expect_packet(ctx, client, SioPacket(SioType.BINARY_EVENT, "/", ["message-back", *BLOBS]))


@both(A, "event-with-ack", level=MUST, origin="sio-suite #28",
      desc="Emits 'message-with-ack' [1, \"2\", {\"3\": [false]}] with ack id 456",
      requirement="The server MUST answer ACK 456; the testee acks with the same arguments.",
      quote=SAME_ID)
async def event_with_ack(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport)
    args = [1, "2", {"3": [False]}]
    await client.send(SioPacket(SioType.EVENT, "/", ["message-with-ack", *args], 456))
    return await expect_packet(ctx, client, SioPacket(SioType.ACK, "/", args, 456))


@both(A, "binary-event-with-ack", level=MUST, origin="sio-suite #29",
      desc="Emits 'message-with-ack' with two binary arguments and ack id 789",
      requirement="The server MUST answer with ack id 789; the testee acks with the same bytes, so as a "
                  "BINARY_ACK with two attachments.",
      quote=SAME_ID)
async def binary_event_with_ack(ctx: SioContext, transport: str) -> Verdict:
    client = await ctx.connected(transport)
    await client.send(SioPacket(SioType.EVENT, "/", ["message-with-ack", *BLOBS], 789))
    return await expect_packet(ctx, client, SioPacket(SioType.BINARY_ACK, "/", BLOBS, 789))


async def closes_on(ctx: SioContext, transport: str, *messages: str) -> Verdict:
    """Connects /, sends ``messages`` (Engine.IO message texts): the session must end within 3 s."""
    client = await ctx.connected(transport)
    await client.send_raw(*messages)
    if not await ctx.closed(client):
        raise CaseFailed(["the session closed"], f"after 3 s: {ctx.state(client)}")
    return Verdict(actual=ctx.state(client))


@both(F, "unknown-type-closes", level=STRICT, origin="sio-suite #30",
      desc="Sends 'abc' (no Socket.IO packet type) after connecting /",
      requirement="The server closes the session, as the test suite expects (the README lists the types "
                  "and says nothing of others).",
      quote="Here is the list of available packet types:")
async def unknown_type(ctx: SioContext, transport: str) -> Verdict:
    return await closes_on(ctx, transport, "abc")


@both(E, "object-payload-closes", level=MUST, origin="sio-suite #31",
      desc="Sends EVENT '2{}' (an object, not an array) after connecting /",
      requirement="The server MUST close the connection.", quote=NON_EMPTY)
async def object_payload(ctx: SioContext, transport: str) -> Verdict:
    return await closes_on(ctx, transport, "2{}")


@both(F, "invalid-ack-id-closes", level=STRICT, origin="sio-suite #32",
      desc="Sends '2abc[\"message-with-ack\",1,\"2\",{\"3\":[false]}]' (letters where the ack id goes)",
      requirement="The server closes the session, as the test suite expects (the README's format has no "
                  "place for the letters).",
      quote=FORMAT)
async def invalid_ack_id(ctx: SioContext, transport: str) -> Verdict:
    return await closes_on(ctx, transport, '2abc["message-with-ack",1,"2",{"3":[false]}]')


@both(F, "missing-attachment-closes", level=STRICT, origin="SIO-3",
      desc="Sends a BINARY_EVENT announcing 1 attachment, then a text EVENT instead of the attachment",
      requirement="The server closes the session: the announced attachment never came.",
      quote="+ binary attachments extracted")
async def missing_attachment(ctx: SioContext, transport: str) -> Verdict:
    return await closes_on(ctx, transport, '51-["message",{"_placeholder":true,"num":0}]',
                           '2["message","not an attachment"]')


async def server_asks_ack(ctx: SioContext, transport: str, reply: list[Any]) -> Verdict:
    client = await ctx.connected(transport)
    await client.send(SioPacket(SioType.EVENT, "/", ["emit-with-ack", "x", 1]))
    request = await ctx.expect(client, "EVENT 'ack-request' with an ack id")
    if request.type is not SioType.EVENT or request.data != ["ack-request", "x", 1] or request.id is None:
        raise CaseFailed(["EVENT / ['ack-request', 'x', 1] with an ack id"], str(request))
    await client.send(SioPacket(SioType.ACK, "/", reply, request.id))
    verdict = await expect_packet(ctx, client, SioPacket(
        SioType.BINARY_EVENT if any(isinstance(r, bytes) for r in reply) else SioType.EVENT, "/",
        ["ack-response", *reply]))
    return Verdict(actual=f"{request}; after the ack: {verdict.actual}")


@both(A, "server-ack-request", level=MAY, origin="SIO-1",
      desc="Emits 'emit-with-ack'; acks the server's 'ack-request' with [\"got\", 2]",
      requirement="The server's event carries an ack id and it takes the client's ACK: the testee emits "
                  "'ack-response' with what the ack carried.",
      quote="The sender MAY include an event ID in order to request an acknowledgement from the receiver:")
async def server_ack_request(ctx: SioContext, transport: str) -> Verdict:
    return await server_asks_ack(ctx, transport, ["got", 2])


@both(A, "server-ack-request-binary", level=STRICT, origin="SIO-1 (binary)",
      desc="Emits 'emit-with-ack'; acks the server's 'ack-request' with a BINARY_ACK [07 08]",
      requirement="The server takes a BINARY_ACK: the testee emits 'ack-response' with the same bytes.",
      quote="Used to [acknowledge](#acknowledgement) an event (the response includes binary data).")
async def server_ack_request_binary(ctx: SioContext, transport: str) -> Verdict:
    return await server_asks_ack(ctx, transport, [b"\x07\x08"])
