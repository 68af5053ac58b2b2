"""The HL7 v2 listener: MLLP (Minimal Lower Layer Protocol) over TCP, with asyncio.

Each frame <VT> message <FS><CR> is handed to `processing.handle_message` in a worker thread (the database work is
blocking) and its ACK framed back before the next frame of the same connection is read: HL7 original mode, one
message at a time per connection, ACKs in the order of the messages. Many connections are served at once; at most
`workers` messages are processed at the same time.

The framing is done at the byte level (`framing.py`) rather than with python-hl7's `hl7.mllp` streams: those decode every
frame with one fixed encoding chosen for the whole server, whereas the charset is a property of each message (MSH-18:
UTF-8 or ISO 8859-1) and is read by `handle_message` from the bytes. They also clear their buffer on an oversized
frame without answering it, and stop on the first byte outside a frame; a hospital interface engine expects an AR
and a listener that keeps going.

With a TLS context (`--tls-cert`, `--tls-key`, `--tls-client-ca`), each connection does its TLS handshake first
and must present a client certificate signed by the client CA; the connection's `Channel` (address, certificate)
goes with each of its messages to the processing, which checks it against the sender named by MSH-3/MSH-4
(channel.py). Without TLS the listener binds the loopback interface only, unless `MLLP_ALLOW_PLAIN`. Before
accepting connections it finishes the messages a killed predecessor left unanswered (recovery.py).

Logs carry the peer address, counts, and per message its type, control id and ACK code: never message content
(names, identifiers) — the raw message is kept in the database message log. One line per refused frame or TLS
handshake; bytes outside frames are counted and reported in one line (before the next frame, or at the end of
the connection), not one line per stray <VT>.
"""

import asyncio
import contextlib
import logging
import signal
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, reset_queries

from .channel import Channel, check_plain_allowed
from .framing import CR, HEAD_BYTES, Deframer, Frame, Oversized, frame

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024
DEFAULT_IDLE_SECONDS = 600
DEFAULT_WORKERS = 8
DEFAULT_STOP_GRACE_SECONDS = 60
TLS_HANDSHAKE_SECONDS = 30

Handler = Callable[..., bytes]


# --- ACKs written by the listener itself ----------------------------------------------------------------------------


def reject(head: bytes, reason: str, *, ack_code: str = "AR", code: str = "207") -> bytes:
    """An ACK for a message that did not reach the processing (oversized frame) or whose processing failed: built
    with the processing's own ACK writer, from the MSH read leniently from the first bytes."""
    try:
        from . import ack, parsing

        header = parsing.read_header(head)
        codec = parsing.CHARSETS.get(header.charset, "utf-8")
        return ack.build(header, ack_code, codec=codec, problem=ack.Problem(ack_code, code, reason))
    except Exception:  # the last resort must not fail: a fixed ACK without echo
        logger.exception("MLLP: construction de l'acquittement de rejet impossible")
        stamp = time.strftime("%Y%m%d%H%M%S")
        return (f"MSH|^~\\&|ONCODCC||||{stamp}||ACK|{int(time.time() * 1000)}|P|2.5\r"
                f"MSA|{ack_code}|\rERR||||E||||{reason}\r").encode()


def _too_large_reason(limit: int) -> str:
    return f"Message trop volumineux : la taille maximale acceptée est de {limit // (1024 * 1024) or 1} Mo."


def _summary(payload: bytes, ack_bytes: bytes) -> tuple[str, str, str]:
    """(message type, control id, ACK code) for the log: codes only, never content."""
    try:
        from .parsing import read_header

        header = read_header(payload)
        message_type, control_id = header.message_type or "?", header.control_id or "?"
    except Exception:
        message_type, control_id = "?", "?"
    code = "?"
    for segment in ack_bytes.split(CR):
        if segment.startswith(b"MSA") and len(segment) > 6:
            code = segment[4:6].decode("ascii", "replace")
            break
    return message_type, control_id, code


# --- The server -----------------------------------------------------------------------------------------------------


@dataclass(eq=False)  # hashed by identity: kept in a set
class _Connection:
    peer: str
    task: asyncio.Task | None = None
    busy: bool = False
    channel: Channel | None = None
    messages: int = 0
    ack_codes: dict = field(default_factory=dict)
    stray_bytes: int = 0  # outside frames, or in frames abandoned by a new <VT>: reported in one line
    abandoned_frames: int = 0


def _default_handler() -> Handler:
    from .processing import handle_message

    return handle_message


class MllpListener:
    """The asyncio server. `await start()` binds (port 0: any free port, then read `.port`); `await stop()` stops
    accepting, lets in-flight messages finish and be acknowledged, and closes the connections."""

    def __init__(self, *, host: str | None = None, port: int | None = None, handler: Handler | None = None,
                 max_frame_bytes: int | None = None, idle_seconds: float | None = None,
                 workers: int | None = None, ssl_context: ssl.SSLContext | None = None,
                 allow_plain: bool | None = None, recover: bool | None = None):
        self.host = settings.MLLP_HOST if host is None else host
        self.port = settings.MLLP_PORT if port is None else port
        self.handler = handler
        self.ssl_context = ssl_context
        self.allow_plain = getattr(settings, "MLLP_ALLOW_PLAIN", False) if allow_plain is None else allow_plain
        # Stuck rows belong to the processing: recovered when it is the handler (not for a test or bench handler).
        self.recover = handler is None if recover is None else recover
        self.max_frame_bytes = max_frame_bytes or settings.MLLP_MAX_FRAME_BYTES
        self.idle_seconds = idle_seconds or getattr(settings, "MLLP_IDLE_SECONDS", DEFAULT_IDLE_SECONDS)
        self.workers = workers or getattr(settings, "MLLP_WORKERS", DEFAULT_WORKERS)
        self._server: asyncio.base_events.Server | None = None
        self._slots: asyncio.Semaphore | None = None
        self._connections: set[_Connection] = set()
        self._stopping = False
        self.stats = {"connections": 0, "messages": 0, "oversized": 0}

    async def start(self) -> None:
        if self.ssl_context is None:
            check_plain_allowed(self.host, self.allow_plain)  # ChannelConfigError: refuse to start
        if self.handler is None:
            self.handler = _default_handler()
        self._slots = asyncio.Semaphore(self.workers)
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=READ_CHUNK,
                                                  start_serving=False)
        self.port = self._server.sockets[0].getsockname()[1]
        if self.recover:  # bound, not yet accepting: a resend must find the stuck row already finished
            await asyncio.to_thread(_recover_in_thread)
        await self._server.start_serving()
        logger.info("MLLP: écoute sur %s:%s, %s (trame max %d octets, %d traitements simultanés)",
                    self.host, self.port, "TLS avec certificat client exigé" if self.ssl_context else "en clair",
                    self.max_frame_bytes, self.workers)

    async def stop(self, grace: float = DEFAULT_STOP_GRACE_SECONDS) -> None:
        if self._server is None:
            return
        self._stopping = True
        self._server.close()
        for connection in list(self._connections):
            # Waiting for bytes: end it now (a frame not yet complete was not acknowledged, the sender resends).
            if not connection.busy and connection.task is not None:
                connection.task.cancel()
        tasks = [c.task for c in self._connections if c.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
        await self._server.wait_closed()
        self._server = None
        logger.info("MLLP: arrêté (%d connexions, %d messages servis)",
                    self.stats["connections"], self.stats["messages"])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else str(address or "")
        connection = _Connection(peer=peer, task=asyncio.current_task())
        if self._stopping:
            writer.close()
            return
        self._connections.add(connection)
        self.stats["connections"] += 1
        reason = "fermée par l'émetteur"
        try:
            if self.ssl_context is not None and not await self._handshake(connection, writer):
                return
            connection.channel = Channel.from_peer(address, writer.get_extra_info("ssl_object"))
            logger.info("MLLP: connexion de %s (%s)", peer, connection.channel.describe())
            reason = await self._conversation(connection, reader, writer)
        except asyncio.CancelledError:
            reason = "arrêt du serveur"
        except (ConnectionError, OSError) as exc:
            reason = f"erreur réseau ({type(exc).__name__})"
        except Exception as exc:  # a bug here must end this connection only, never the listener
            logger.exception("MLLP: %s: erreur inattendue", peer)
            reason = f"erreur interne ({type(exc).__name__})"
        finally:
            self._connections.discard(connection)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5)
            if connection.channel is not None:
                self._report_stray(connection)
                codes = ", ".join(f"{k} {v}" for k, v in sorted(connection.ack_codes.items())) or "aucun"
                logger.info("MLLP: connexion de %s terminée (%s) : %d messages (%s)",
                            peer, reason, connection.messages, codes)

    async def _handshake(self, connection: _Connection, writer) -> bool:
        """TLS first: a connection without a valid client certificate ends here, in one log line."""
        try:
            await writer.start_tls(self.ssl_context, ssl_handshake_timeout=TLS_HANDSHAKE_SECONDS)
        except (ssl.SSLError, ConnectionError, OSError, TimeoutError) as exc:
            detail = getattr(exc, "reason", None) or type(exc).__name__
            logger.warning("MLLP: %s: connexion TLS refusée (%s)", connection.peer, detail)
            return False
        return True

    def _report_stray(self, connection: _Connection) -> None:
        if connection.stray_bytes:
            logger.warning("MLLP: %s: %d octets hors trame ignorés (dont %d trames interrompues par un nouveau <VT>)",
                           connection.peer, connection.stray_bytes, connection.abandoned_frames)
            connection.stray_bytes = connection.abandoned_frames = 0

    async def _conversation(self, connection: _Connection, reader, writer) -> str:
        deframer = Deframer(self.max_frame_bytes)
        while not self._stopping:
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), self.idle_seconds)
            except TimeoutError:
                return f"inactive depuis {self.idle_seconds:.0f} s"
            if not data:
                return "fermée par l'émetteur au milieu d'une trame" if deframer.in_frame else "fermée par l'émetteur"
            for event in deframer.feed(data):
                if isinstance(event, Frame | Oversized):
                    self._report_stray(connection)
                if isinstance(event, Frame):
                    connection.busy = True
                    try:
                        ack_bytes = await self._process(connection, event.payload)
                        writer.write(frame(ack_bytes))
                        await writer.drain()
                    finally:
                        connection.busy = False
                    if self._stopping:  # answered the message in flight; the next ones will be resent
                        return "arrêt du serveur"
                elif isinstance(event, Oversized):
                    self.stats["oversized"] += 1
                    ack_bytes = reject(event.head, _too_large_reason(event.limit))
                    _, control_id, _ = _summary(event.head, b"")
                    logger.warning("MLLP: %s: trame de plus de %d octets refusée (AR), id %s",
                                   connection.peer, event.limit, control_id)
                    self._count(connection, "AR")
                    writer.write(frame(ack_bytes))
                    await writer.drain()
                elif not event.whitespace_only:
                    connection.stray_bytes += event.size
                    connection.abandoned_frames += event.abandoned_frame
        return "arrêt du serveur"

    async def _process(self, connection: _Connection, payload: bytes) -> bytes:
        assert self._slots is not None
        started = time.perf_counter()
        async with self._slots:
            try:
                ack_bytes = await asyncio.to_thread(_handle_in_thread, self.handler, payload, connection.peer,
                                                    connection.channel)
            except Exception:  # handle_message never raises; if it does, the sender still gets an answer
                logger.exception("MLLP: %s: échec du traitement d'un message", connection.peer)
                ack_bytes = b""
        if not ack_bytes:
            ack_bytes = reject(payload[:HEAD_BYTES], "Erreur interne lors du traitement du message.",
                               ack_code="AE")
        message_type, control_id, code = _summary(payload, ack_bytes)
        self._count(connection, code)
        logger.info("MLLP: %s: %s id %s → %s (%d octets, %.0f ms)", connection.peer, message_type, control_id,
                    code, len(payload), (time.perf_counter() - started) * 1000)
        return ack_bytes

    def _count(self, connection: _Connection, code: str) -> None:
        connection.messages += 1
        connection.ack_codes[code] = connection.ack_codes.get(code, 0) + 1
        self.stats["messages"] += 1


def _handle_in_thread(handler: Handler, payload: bytes, peer: str, channel: Channel | None) -> bytes:
    # As around a web request: drop a connection that broke or outlived CONN_MAX_AGE, in this worker thread.
    close_old_connections()
    try:
        return handler(payload, peer=peer, channel=channel)
    finally:
        close_old_connections()
        reset_queries()  # under DEBUG, Django keeps every SQL string (a 10 MB message each): not past a message


def _recover_in_thread() -> None:
    from .recovery import recover_stuck

    close_old_connections()
    try:
        recover_stuck()
    finally:
        close_old_connections()
        reset_queries()


# --- Running it ----------------------------------------------------------------------------------------------------


def serve(*, host: str | None = None, port: int | None = None, handler: Handler | None = None,
          on_ready: Callable[[MllpListener], None] | None = None, **options) -> int:
    """Serve until SIGTERM or SIGINT, then stop gracefully. Returns the exit status (0)."""
    _keep_sqlite_connections()

    async def main() -> None:
        listener = MllpListener(host=host, port=port, handler=handler, **options)
        await listener.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if on_ready is not None:
            on_ready(listener)
        await stop.wait()
        logger.info("MLLP: arrêt demandé, fin des messages en cours")
        await listener.stop()

    asyncio.run(main())
    return 0


def _keep_sqlite_connections() -> None:
    """The settings close an SQLite connection after each use (CONN_MAX_AGE 0, right for web workers). This process
    has a fixed pool of worker threads: one persistent connection each spares a connect, its PRAGMAs and often a WAL
    checkpoint per message (about a third of the processing time of an ADT, measured by bench.hl7_ingest).
    Connections found broken are still replaced (health checks). PostgreSQL keeps its own setting."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and not database.get("CONN_MAX_AGE"):
        database["CONN_MAX_AGE"] = 600


class ListenerThread(threading.Thread):
    """The listener in a background thread with its own event loop (tests, benchmarks): `start()` returns once it
    listens, `.port` is the bound port, `close()` stops it gracefully."""

    def __init__(self, **options):
        super().__init__(name="mllp-listener", daemon=True)
        self.listener = MllpListener(**{"host": "127.0.0.1", "port": 0, **options})
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        return self.listener.port

    def start(self) -> None:
        super().start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.listener.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    def close(self, grace: float = DEFAULT_STOP_GRACE_SECONDS) -> None:
        if self._error is None and self.is_alive():
            asyncio.run_coroutine_threadsafe(self.listener.stop(grace), self.loop).result(grace + 10)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.join(grace + 10)
