"""The HDL: the network's module library (firmware/rtl: the files every tool reads for a network,
and all that enters its digest), the UART board I/O (firmware/board/uart: only the boards that
talk over a UART read it), the lint waivers, and the ROM files a generated design brings.
Imports nothing heavy, so that the simulation benches use the same lists without loading
TensorFlow."""
import shutil
from pathlib import Path

RTL = Path(__file__).resolve().parent / 'rtl'
UART = Path(__file__).resolve().parent / 'board' / 'uart'
LINT_WAIVERS = RTL / 'lint.vlt'  # the waivers of verilator -Wall, each with its reason


def rtl_sources(*extra, family=None):
    """The module library, then `extra` (a generated top). A `family` (ecp5) replaces modules by
    its own versions in firmware/rtl/<family>/: the same function on that family's primitives."""
    files = {p.name: p for p in RTL.glob('*.v')}
    if family:
        files.update({p.name: p for p in (RTL / family).glob('*.v')})
    return [files[name] for name in sorted(files)] + [Path(p) for p in extra]


def uart_sources():
    """The UART byte and frame layers between a board's pins and the network."""
    return sorted(UART.glob('*.v'))


def verilog_value(value):
    """A parameter value as Verilog writes it (a string or path quoted), in a top or on a
    simulator's command line."""
    if isinstance(value, (str, Path)):
        return f'"{value}"'
    if isinstance(value, int) and value >= 1 << 31:  # an unsized literal is 32 bits (a lane mask)
        return f"{value.bit_length()}'h{value:x}"
    return str(value)


def stage_roms(rtl_dir, work):
    """A generated design's rom/ into the folder a tool runs in: its top names the ROM files
    relative to that folder (`$readmemh("rom/conv1_w.mem")`), whichever tool reads them."""
    rom = Path(rtl_dir) / 'rom'
    if rom.is_dir():
        shutil.copytree(rom, Path(work) / 'rom', dirs_exist_ok=True)
