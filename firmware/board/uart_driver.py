"""Host driver of the accelerator behind a UART (the ULX3S top): images in, logits out.

    from firmware.board.uart_driver import UartAccelerator
    accel = UartAccelerator('/dev/ttyUSB0', manifest, baud=3_000_000)
    logits = accel.predict(images)          # images: (N, H, W[, C]) uint8 pixels

Framing (firmware/board/uart/uart_frame_rx.v, uart_frame_tx.v): an image goes as 0xA5 0x5A, its pixel
bytes (the DMA stream's bytes, `encode`), then a checksum byte that makes the sum of the pixel
bytes and itself 0 mod 256. Each frame is answered in order: 0xA5 0x5A, the result beat's bytes
and a checksum, or 0xA5 0xE1 when the board rejected the frame (bad checksum, a gap inside it, no
free buffer). The board holds two images, so two frames are kept in flight.
"""
import time

import numpy as np

from firmware.board.pynq_driver import decode, encode, result_bytes

SYNC, RESULT, NAK = 0xA5, 0x5A, 0xE1
IN_FLIGHT = 2  # image buffers on the board


def checksum(payload):
    return (-sum(payload)) & 0xFF


def frame(payload):
    """The frame of one image's stream bytes."""
    payload = bytes(payload)
    return bytes([SYNC, RESULT]) + payload + bytes([checksum(payload)])


class Responses:
    """Parses the board's byte stream: feed() bytes, get ('result', bytes) or ('nak', None)
    answers; a result whose checksum fails is ('corrupt', None). Bytes outside a frame are skipped."""

    def __init__(self, result_bytes):
        self.size = result_bytes
        self.buffer = bytearray()

    def feed(self, data):
        self.buffer += data
        answers = []
        while True:
            start = self.buffer.find(SYNC)
            if start < 0:
                self.buffer.clear()
                return answers
            del self.buffer[:start]
            if len(self.buffer) < 2:
                return answers
            kind = self.buffer[1]
            if kind == NAK:
                answers.append(('nak', None))
                del self.buffer[:2]
            elif kind == RESULT:
                if len(self.buffer) < self.size + 3:
                    return answers
                payload = bytes(self.buffer[2 : 2 + self.size])
                ok = checksum(payload) == self.buffer[2 + self.size]
                answers.append(('result', payload) if ok else ('corrupt', None))
                del self.buffer[: self.size + 3]
            else:
                del self.buffer[:1]


class LinkError(RuntimeError):
    """The board did not answer as the frame protocol says (a board or link fault, not bad input)."""


class UartAccelerator:
    def __init__(self, port, manifest, baud=3_000_000, timeout=2.0):
        import serial

        self.manifest = manifest
        self.serial = serial.Serial(port, baud, timeout=timeout)
        self.serial.reset_input_buffer()
        self.result_bytes = result_bytes(manifest['output'])

    def predict(self, images):
        """Logits of the images; a rejected or corrupt answer is sent again once, then an error."""
        images = np.asarray(images)
        stream = encode(images, self.manifest).reshape(len(images), -1)
        answers, parser, sent, started = [None] * len(images), Responses(self.result_bytes), [], time.time()
        queue = list(range(len(images)))
        retried = set()
        while queue or sent:
            while queue and len(sent) < IN_FLIGHT:
                i = queue.pop(0)
                self.serial.write(frame(stream[i]))
                sent.append(i)
            data = self.serial.read(max(1, self.serial.in_waiting))
            if not data:
                raise LinkError(f'no answer from the board within {self.serial.timeout} s (is it programmed? `make board-run` does)')
            for kind, payload in parser.feed(data):
                i = sent.pop(0)
                if kind == 'result':
                    answers[i] = payload
                elif i in retried:
                    raise LinkError(f'image {i}: the board answered {kind} twice')
                else:
                    retried.add(i)
                    queue.insert(0, i)
        self.seconds = time.time() - started
        return decode(np.frombuffer(b''.join(answers), np.uint8), self.manifest, len(images))
