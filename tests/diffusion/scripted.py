"""A scripted MLLP receiver for the fault tests: a real TCP server in a thread that answers each message as told
(AA, AE with a reason, AR 207, nothing at all, or closes the connection) and keeps what it received."""

import socket
import threading

from oncodcc.interop.hl7v2.framing import Deframer, Frame, frame


class ScriptedReceiver:
    def __init__(self, mode: str = "AA", reason: str = "Patient inconnu"):
        self.mode, self.reason = mode, reason
        self.received: list[bytes] = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _answer(self, payload: bytes) -> bytes | None:
        control = payload.split(b"\r", 1)[0].split(b"|")[9].decode()
        msh = f"MSH|^~\\&|DPI|CH|ONCODCC|DSRC|20260101000000||ACK^R01^ACK|A{control}|P|2.5"
        if self.mode == "AA":
            return f"{msh}\rMSA|AA|{control}\r".encode()
        if self.mode == "AE":
            return f"{msh}\rMSA|AE|{control}\rERR||PID^1^3|204^Unknown key identifier^HL70357|E||||{self.reason}\r".encode()
        if self.mode == "AR207":
            return f"{msh}\rMSA|AR|{control}\rERR|||207^Application internal error^HL70357|E||||Base saturée\r".encode()
        if self.mode == "AR":
            return f"{msh}\rMSA|AR|{control}\rERR|||200^Unsupported message type^HL70357|E||||Type refusé\r".encode()
        return None

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except OSError:
                continue
            with conn:
                deframer = Deframer(50_000_000)
                conn.settimeout(5)
                try:
                    while True:
                        data = conn.recv(65536)
                        if not data:
                            break
                        for event in deframer.feed(data):
                            if isinstance(event, Frame):
                                self.received.append(event.payload)
                                answer = self._answer(event.payload)
                                if self.mode == "close":
                                    raise ConnectionAbortedError
                                if answer is not None:
                                    conn.sendall(frame(answer))
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self.server.close()
        self.thread.join(5)


def free_port() -> int:
    """A port nobody listens on (bound then released)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]
