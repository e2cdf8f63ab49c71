"""The boards as a host sees them: batches through the PYNQ DMA (a model of its direct-register
mode, sim/dma, driven with the driver's own encode/decode)."""
import json
import math

import numpy as np
import pytest

import cli
from firmware.board.pynq_driver import decode, result_bytes
from firmware.library import uart_sources
from hls.convert import load_config
from model import data
from sim import runner
from sim.run_network import prepare

# (first image, images): batches of 1, 7 and 64; a transfer that ends halfway through its third
# image (a buggy host), then a batch that must come back as if nothing had happened
BATCHES = [(0, 1), (1, 7), (8, 2.5), (11, 64)]


@pytest.mark.slow
def test_dma_batches_come_back_whole_and_bit_exact(tmp_path):
    from model.store import load_model

    config = load_config()
    images = data.load('test')[0][: sum(math.ceil(n) for _, n in BATCHES)]
    sent = images.copy()  # what the network sees: a short transfer's missing pixels are zeros
    for first, count in BATCHES:
        if count != int(count):
            last = sent[first + int(count)].reshape(-1)
            last[round((count - int(count)) * last.size) :] = 0
    x = data.to_input(sent).astype(np.float64)
    csim, manifest = prepare(load_model(config['model']), config, x, tmp_path, log=lambda m: None)
    np.save(tmp_path / 'images.npy', images)
    (tmp_path / 'manifest.json').write_text(json.dumps(manifest))
    result = tmp_path / 'result.json'
    runner.run(
        manifest['top'], 'test_dma', cli.ROOT / 'sim' / 'dma', build_dir=tmp_path / 'sim', sources=[tmp_path / 'rtl' / f'{manifest["top"]}.v'], design=tmp_path / 'rtl',
        env={'DMA_MANIFEST': str(tmp_path / 'manifest.json'), 'DMA_IMAGES': str(tmp_path / 'images.npy'), 'DMA_BATCHES': json.dumps(BATCHES), 'DMA_RESULT': str(result)},
    )  # fmt: skip
    received = json.loads(result.read_text())
    for (first, count), hexed in zip(BATCHES, received):
        count = math.ceil(count)
        data_bytes = bytes.fromhex(hexed)
        assert len(data_bytes) == count * result_bytes(manifest['output'])  # the S2MM packet: the batch's logits, TLAST on the last beat
        np.testing.assert_array_equal(decode(np.frombuffer(data_bytes, np.uint8), manifest, count), csim[first : first + count])


@pytest.mark.slow
def test_ulx3s_top_answers_frames_through_its_uart_pins(tmp_path):
    from model.store import load_model

    config = load_config(board='ulx3s')  # its RTL: one result beat per image, a UART frame each
    images = data.load('test')[0][:3]
    csim, manifest = prepare(load_model(config['model']), config, data.to_input(images).astype(np.float64), tmp_path, log=lambda m: None)
    np.save(tmp_path / 'images.npy', images)
    (tmp_path / 'manifest.json').write_text(json.dumps(manifest))
    result = tmp_path / 'result.json'
    board = cli.ROOT / 'firmware' / 'board' / 'ulx3s'
    runner.run(
        'ulx3s_top', 'test_ulx3s', cli.ROOT / 'sim' / 'ulx3s', build_dir=tmp_path / 'sim',
        parameters=dict(CLKS_PER_BIT=8, TIMEOUT_BYTES=20),
        design=tmp_path / 'rtl', sources=[tmp_path / 'rtl' / f'{manifest["top"]}.v', *uart_sources(), board / 'uart_accelerator.v', board / 'ulx3s_top.v', cli.ROOT / 'sim' / 'ulx3s' / 'pll.v'],
        env={'ULX3S_MANIFEST': str(tmp_path / 'manifest.json'), 'ULX3S_IMAGES': str(tmp_path / 'images.npy'), 'ULX3S_RESULT': str(result)},
    )  # fmt: skip
    got = json.loads(result.read_text())
    assert [kind for kind, _ in got] == ['result', 'nak', 'nak', 'result', 'result']
    payloads = b''.join(bytes.fromhex(p) for kind, p in got if kind == 'result')
    np.testing.assert_array_equal(decode(np.frombuffer(payloads, np.uint8), manifest, 3), csim)


def test_uart_answers_are_parsed_across_reads_and_noise():
    from firmware.board.uart_driver import Responses, checksum, frame

    payload = bytes(range(40, 72))
    good = frame(payload)
    assert good[:2] == b'\xa5\x5a' and sum(good[2:]) % 256 == 0 and checksum(payload) == good[-1]
    corrupt = good[:-1] + bytes([good[-1] ^ 0xFF])
    stream = b'\x00\x13' + good + b'\xa5\xe1' + corrupt + good
    parser = Responses(len(payload))
    found = []
    for i in range(0, len(stream), 7):  # the answers arrive in pieces
        found += parser.feed(stream[i : i + 7])
    assert found == [('result', payload), ('nak', None), ('corrupt', None), ('result', payload)]


def test_board_run_says_what_is_missing(tmp_path, monkeypatch, capsys):
    from firmware.board import run

    out = tmp_path / 'build' / 'synth' / 'ulx3s'
    config = ['--config', str(cli.ROOT / 'hls' / 'config.yaml'), '--build', str(out)]
    assert cli.run(run.main, ['--board', 'ulx3s', *config]) == 2
    assert 'no bitstream' in capsys.readouterr().err
    (out / 'rtl').mkdir(parents=True)
    (out / 'ulx3s.bit').write_bytes(b'bit')
    (out / 'rtl' / 'manifest.json').write_text('{}')
    assert cli.run(run.main, ['--board', 'ulx3s', '--port', str(tmp_path / 'ttyUSB9'), *config]) == 3
    assert 'no board at' in capsys.readouterr().err
    assert cli.run(run.main, ['--board', 'pynq-z2', *config]) == 2
