"""One protocol's run of the workload through the impairment relay, and what it measured.

Order of a run: start the subscriber relay (the impaired network) and, for SSE and polling, the
publisher's relay (the same delays and bandwidth, nothing that breaks a connection: a publisher is a client
on a similar path, and a publish lost there would not say anything about the protocol); start the
subscribers and wait until they are subscribed (at most :data:`READY_TIMEOUT`); settle one round trip;
publish for the workload's duration while the server's CPU and memory are measured; then wait for what is
in flight (at most :func:`drain_time`), stop everything and summarise (:mod:`conformance.compare.metrics`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from conformance.compare.impair import ImpairRelay
from conformance.compare.impairment import Impairment
from conformance.compare.metrics import Observed, summarise
from conformance.compare.publisher import Publisher
from conformance.compare.resources import LoopLag, ServerMeter
from conformance.compare.socketio import SioPublisher, SioSubscriber
from conformance.compare.subscribers import Dial, PollSubscriber, SseSubscriber, Subscriber, WsSubscriber
from conformance.compare.tally import Tally
from conformance.compare.workload import Server, Workload

__all__ = ["READY_TIMEOUT", "drain_time", "run_protocol"]

#: Seconds the subscribers get to subscribe before publishing starts anyway.
READY_TIMEOUT = 5.0
#: Seconds a stopping subscriber gets to finish.
STOP_TIMEOUT = 3.0


def drain_time(workload: Workload, imp: Impairment) -> float:
    """Seconds to wait for messages in flight after the last publish."""
    return 1.0 + 4 * (imp.rtt + imp.jitter) + imp.stall_for + workload.reconnect_delay


def _subscribers(server: Server, workload: Workload, relay: ImpairRelay, tally: Tally) -> list[Subscriber]:
    _, _, path = server.host_port_path()
    dial = Dial("127.0.0.1", relay.port, path)
    delay = workload.reconnect_delay
    subs: list[Subscriber] = []
    for i in range(workload.subscribers):
        name = f"s{i}"
        if server.protocol == "ws":
            offset = i / (workload.rate * workload.subscribers)  # spread the sends over the period
            subs.append(WsSubscriber(name, dial, tally, rate=workload.rate, size=workload.size, offset=offset,
                                     reconnect_delay=delay))
        elif server.protocol == "sse":
            subs.append(SseSubscriber(name, dial, tally, reconnect_delay=delay))
        elif server.protocol == "poll":
            subs.append(PollSubscriber(name, dial, tally, reconnect_delay=delay))
        elif server.protocol == "sio":
            subs.append(SioSubscriber(name, dial, tally, reconnect_delay=delay))
        else:
            raise ValueError(f"unknown protocol {server.protocol!r}")
    return subs


async def _publish(server: Server, workload: Workload, subs: list[Subscriber],
                   publisher: Publisher | SioPublisher | None) -> None:
    """The publishing window."""
    loop = asyncio.get_running_loop()
    if publisher is None:  # WebSocket: every subscriber sends its own
        for sub in subs:
            if isinstance(sub, WsSubscriber):
                sub.sending = True
        await asyncio.sleep(workload.duration)
        for sub in subs:
            if isinstance(sub, WsSubscriber):
                sub.sending = False
        return
    period = 1.0 / workload.rate
    start = loop.time()
    count = max(1, round(workload.duration * workload.rate))
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i * period - loop.time()))
        publisher.publish()


async def _subscribed(subs: list[Subscriber], relay: ImpairRelay, timeout: float) -> None:
    """Wait until every subscriber is subscribed or was refused; a refusal, or a server the relay failed to
    reach twice per subscriber with none subscribed, does not wait out the timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if all(sub.ready.is_set() or sub.stats.refused for sub in subs):
            return
        unreachable = relay.dial_errors and relay.connections_opened >= 2 * len(subs)
        if unreachable and not any(sub.ready.is_set() for sub in subs):
            return
        await asyncio.sleep(0.02)


async def _drain(tally: Tally, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while tally.delivered() < tally.expected() and loop.time() < deadline:
        await asyncio.sleep(0.05)


async def run_protocol(server: Server, workload: Workload, imp: Impairment, *,
                       seed: int = 1) -> dict[str, Any]:
    """Run ``workload`` over ``server.protocol`` through ``imp``; the protocol's section of compare.json."""
    loop = asyncio.get_running_loop()
    host, port, _ = server.host_port_path()
    tally = Tally()
    relay = ImpairRelay(host, port, imp, seed=seed)
    await relay.start()
    pub_relay: ImpairRelay | None = None
    publisher: Publisher | SioPublisher | None = None
    if server.protocol != "ws":
        pub_host, pub_port, pub_path = server.host_port_path(server.publish_url)
        pub_relay = ImpairRelay(pub_host, pub_port, imp.delay_only(), seed=seed + 1)
        await pub_relay.start()
        kind = SioPublisher if server.protocol == "sio" else Publisher
        publisher = kind("127.0.0.1", pub_relay.port, pub_path, tally, workload.size)
    subs = _subscribers(server, workload, relay, tally)
    tasks = [asyncio.ensure_future(sub.run()) for sub in subs]
    meter = ServerMeter(server.pid)
    lag = LoopLag()
    try:
        ready_at = loop.time()
        await _subscribed(subs, relay, READY_TIMEOUT)
        ready = sum(sub.ready.is_set() for sub in subs)
        ready_time = loop.time() - ready_at
        if isinstance(publisher, SioPublisher):
            await publisher.start()  # what went wrong is in its problem, reported with the errors
        await asyncio.sleep(imp.rtt + imp.jitter + 0.2)
        meter.start()
        lag.start()
        publish_start = loop.time()
        await _publish(server, workload, subs, publisher)
        publish_end = loop.time()
        if publisher is not None:
            await publisher.drain(drain_time(workload, imp))
        await _drain(tally, drain_time(workload, imp))
        usage = meter.stop()
        lag.stop()
    finally:
        for sub in subs:
            sub.stop()
        await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
        for task in tasks:
            task.cancel()
        if publisher is not None:
            await publisher.drain(0.0)
        await relay.close()
        if pub_relay is not None:
            await pub_relay.close()
    observed = Observed(server=server, workload=workload, impairment=imp, tally=tally, relay=relay,
                        pub_relay=pub_relay, subscribers=subs, publisher=publisher, usage=usage,
                        ready=ready, ready_time=ready_time, lag=lag, publish_start=publish_start,
                        publish_end=publish_end)
    return summarise(observed)
