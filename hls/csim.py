"""C simulation of the hls4ml io_stream design on shipped test images, checked bit for bit.

    python -m hls.csim [--config hls/config.yaml] [--images N]     # what `make csim` runs

Writes the hls4ml project (replacing output_dir only when everything succeeded), compiles it with
g++, runs it on the test images, and also builds and runs the generated C test bench
(myproject_test.cpp) as a vendor csim would. Exit status 1 when any image differs in any bit
between the quantized Keras model and either C simulation.
"""
import ctypes
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import cli
from cli import tools
from model.store import atomic_dir

# the test bench logs with the stream's default 6 digits; every bit needs more
TB_PRECISION_PATCH = (re.escape('std::ofstream fout(RESULTS_LOG);'), 'std::ofstream fout(RESULTS_LOG); fout.precision(40);', 1)

# ap_private::clearUnusedBits, called on every construction and assignment of an ap_fixed, is
# volatile-qualified, so g++ keeps every intermediate of every multiply-accumulate in memory. A
# non-volatile overload beside it (the volatile one stays for volatile objects) makes the C
# simulation about 7x faster and changes no result (nothing in it is shared between threads or
# mapped to hardware). Only the project's g++ copy of ap_types is touched: Vivado and Vitis HLS
# compile with their own headers.
# (two of them: for widths up to 64 bits and for wider ones)
CLEAR_UNUSED_BITS = (r'^  INLINE void clearUnusedBits\(void\) volatile\n(?:.*\n)*?  \}\n',
                     lambda m: m[0].replace(') volatile\n', ')\n', 1) + '\n' + m[0], 2)  # fmt: skip


def patch_generated(path, what, pattern, replace, count):
    """Edit a file hls4ml wrote, stopping instead of guessing when it no longer has the `count`
    places the edit expects."""
    text = path.read_text()
    found = len(re.findall(pattern, text, re.MULTILINE))
    if found != count:
        raise cli.ToolFailed(f'{path}: {what} changed ({found} places to patch, expected {count})')
    path.write_text(re.sub(pattern, replace, text, flags=re.MULTILINE))


def speed_up_ap_types(project):
    patch_generated(Path(project) / 'firmware' / 'ap_types' / 'etc' / 'ap_private.h', 'ap_types', *CLEAR_UNUSED_BITS)


def write_project(graph):
    """graph.write(), with the project's g++ copy of ap_types sped up for the C simulation."""
    graph.write()
    speed_up_ap_types(graph.config.get_output_dir())


def compile_csim(graph):
    """Write the project and compile its C simulation library (hls4ml's graph.compile())."""
    write_project(graph)
    graph._compile()


def predict_batched(predict, x, batch, desc):
    from tqdm import tqdm

    out = []
    with tqdm(total=len(x), desc=desc, unit='img', leave=False) as bar:
        for start in range(0, len(x), batch):
            chunk = x[start : start + batch]
            out.append(np.asarray(predict(chunk), dtype=np.float64).reshape(len(chunk), -1))
            bar.update(len(chunk))
    return np.concatenate(out)


CHUNK = 50  # images per task handed to a worker process

_top = None  # (function, outputs) of the compiled library, per worker process


def _load_library(path, function, outputs):
    global _top
    top = getattr(ctypes.cdll.LoadLibrary(path), function)
    top.restype = None
    pointer = np.ctypeslib.ndpointer(np.float64, flags='C_CONTIGUOUS')
    top.argtypes = [pointer, pointer]
    _top = (top, outputs)


def _run_chunk(x):
    top, outputs = _top
    out = np.zeros((len(x), outputs))
    for i in range(len(x)):
        row = np.zeros(outputs)
        top(np.ascontiguousarray(x[i].ravel()), row)
        out[i] = row
    return out


def run_csim(graph, x, workers=None):
    """Logits (images, classes) of the compiled C simulation of `graph` on float images x: the
    images split across `workers` processes (default: one per core), each loading the library.
    Always in worker processes: an assert in hls4ml's C++ (an abort) ends the run at once with
    cli.ToolFailed, never takes this process down with it or leaves the run waiting."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from tqdm import tqdm

    workers = workers or os.cpu_count()
    library = (graph._top_function_lib._name, graph.config.get_project_name() + '_double', graph.get_output_variables()[0].size())
    chunks = [np.asarray(x[i : i + CHUNK], np.float64) for i in range(0, len(x), CHUNK)]
    # spawn: the children load only numpy and the library, not the parent's TensorFlow threads
    context = multiprocessing.get_context('spawn')
    pool = ProcessPoolExecutor(min(workers, max(1, len(chunks))), context, initializer=_load_library, initargs=library)
    try:
        futures = [pool.submit(_run_chunk, chunk) for chunk in chunks]
        results = [f.result() for f in tqdm(futures, desc=f'csim ({workers} processes)', unit='chunk', leave=False)]
    except BrokenProcessPool:
        raise cli.ToolFailed(f'C simulation: a worker process died (an assert or abort inside the compiled hls4ml design {library[0]})') from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return np.concatenate(results) if results else np.zeros((0, library[2]))


def float_vs_fixed(floating, fixed):
    """How the fixed-point logits stand against the float model's: the share of images where
    both pick the same class, and the absolute logit error's median and 99th percentile."""
    error = np.abs(fixed - floating)
    return dict(same_class=float(np.mean(fixed.argmax(1) == floating.argmax(1))), error_median=float(np.median(error)),
                error_p99=float(np.percentile(error, 99)))  # fmt: skip


def describe_float_vs_fixed(floating, fixed):
    r = float_vs_fixed(floating, fixed)
    return (f'  float vs fixed: same class on {r["same_class"]:.2%} of the images; |logit error| median '
            f'{r["error_median"]:.4f}, 99th percentile {r["error_p99"]:.4f}')


def top1_lines(logits, labels, what):
    """`top-1 <name>` per (name, logits), or, for images without labels, why there is none."""
    if labels is None:
        return [f'  top-1: not measured: {what} have no labels. Give DATA=<folder of class subfolders> and the',
                '         network\'s trained weights (network: weights:) for an accuracy figure.']  # fmt: skip
    return [f'  top-1 {name:<19}{np.mean(values.argmax(1) == labels):.4f}' for name, values in logits]


def start_c_testbench(project, x, expected):
    """Build myproject_test.cpp with g++ and start it on x, in the background (a second core).

    Returns a function that waits for it and returns its logged outputs.
    """
    np.savetxt(project / 'tb_data' / 'tb_input_features.dat', x.reshape(len(x), -1), fmt='%.10g')
    np.savetxt(project / 'tb_data' / 'tb_output_predictions.dat', expected, fmt='%.17g')
    patch_generated(project / 'myproject_test.cpp', 'hls4ml test bench', *TB_PRECISION_PATCH)
    gxx = tools.find('g++', 'apt-get install g++ (make setup does as root)')
    # weights relative to the project, where it runs: the project is written under a temporary name
    build = [gxx, '-O3', '-std=c++17', '-Ifirmware/ap_types', '-DWEIGHTS_DIR="firmware/weights"', 'myproject_test.cpp', 'firmware/myproject.cpp', '-o', 'csim_tb']

    def build_and_run():
        tools.run(build, project, 'csim_tb_build.log')
        tools.run(['./csim_tb'], project, 'csim_tb.log')

    pool = ThreadPoolExecutor(1)
    done = pool.submit(build_and_run)

    def finish():
        try:
            done.result()
        finally:
            pool.shutdown()
        return np.loadtxt(project / 'tb_data' / 'csim_results.log', ndmin=2)

    return finish


def simulate(qmodel, config, x, project, workers=None, testbench=True):
    """hls4ml's project of the quantized model, written into `project`, and its C simulation of
    the inputs x beside the quantized Keras model's (and, with `testbench`, beside hls4ml's own
    myproject_test.cpp, built in the background meanwhile): dict of the logits of each and the
    compile and run times. Every flow that runs the C simulation runs it here."""
    from hls.convert import check_types, convert
    from model.quant import exact

    graph = convert(qmodel, config, project)
    check_types(graph, qmodel)
    write_project(graph)
    quantized = predict_batched(exact(qmodel).predict_on_batch, x, 500, 'keras quantized')
    if testbench:
        print('g++: building and running the C test bench myproject_test.cpp (in the background)')
        testbench = start_c_testbench(project, x, quantized)
    print('g++: compiling the C simulation library')
    t = time.time()
    graph._compile()  # compile() would write the project again, under the running test bench
    compile_s, t = time.time() - t, time.time()
    csim = run_csim(graph, x, workers)
    csim_s = time.time() - t
    return dict(quantized=quantized, csim=csim, testbench=testbench() if testbench else None, compile_s=compile_s, csim_s=csim_s)


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--config', default=None, help='design point (default hls/config.yaml)')
    parser.add_argument('--model', default=None, help='quantized .keras model (default: the config\'s)')
    parser.add_argument('--output-dir', default=None, help='hls4ml project folder (default: the config\'s)')
    parser.add_argument('--images', type=cli.count, default=None, help='first N test images (default: all)')
    parser.add_argument('--data', default=None, help='evaluation images instead of the config\'s: a folder of class subfolders')
    parser.add_argument('--no-testbench', action='store_true', help='skip the g++ build of myproject_test.cpp')
    parser.add_argument('--workers', type=cli.count, default=None, help='C simulation processes (default: one per core)')
    args = parser.parse_args(argv)

    started = time.time()
    from hls.convert import load_config
    from model import data
    from model.store import load_model, load_quantized

    config = load_config(*(() if args.config is None else (args.config,)), model=args.model, output_dir=args.output_dir, data=args.data)
    qmodel = load_quantized(config['model'])
    float_model = load_model(config['float_model'])
    images, labels, classes, what = data.test_set(config['data'], qmodel.input_shape[1:])
    images, labels = images[: args.images], None if labels is None else labels[: args.images]
    data.check_input_shape(qmodel, images)
    data.check_classes(qmodel, classes, what)
    x = data.to_input(images).astype(np.float64)
    n = len(x)

    out_dir = Path(config['output_dir'])
    with atomic_dir(out_dir) as project:
        print(f'hls4ml: converting {config["model"].name} ({config["io_type"]}, {config["part"]}) -> {out_dir}')
        r = simulate(qmodel, config, x, project, args.workers, testbench=not args.no_testbench)
        floating = predict_batched(float_model.predict_on_batch, x.astype(np.float32), 500, 'keras float')
    quantized, csim, testbench, compile_s, csim_s = (r[k] for k in ('quantized', 'csim', 'testbench', 'compile_s', 'csim_s'))

    differ = int(np.sum(np.any(csim != quantized, axis=1)))
    print(f'\nC simulation of {config["model"]} on {n} {what}')
    print('\n'.join(top1_lines([('float Keras', floating), ('quantized Keras', quantized), ('C simulation', csim)], labels, what)))
    print(f'  images differing (quantized Keras vs csim, any bit): {differ}')
    if testbench is not None:
        tb_differ = int(np.sum(np.any(testbench != csim, axis=1))) if testbench.shape == csim.shape else n
        print(f'  images differing (csim vs myproject_test.cpp, any bit): {tb_differ}')
        differ += tb_differ
    print(describe_float_vs_fixed(floating, csim))
    print(f'  g++: C simulation library compiled in {compile_s:.1f} s; {n} images in {csim_s:.1f} s ({n / csim_s:.2f} images/s)')
    print(f'  wall time: {time.time() - started:.1f} s   project: {out_dir}')
    print('PASS: bit-exact' if differ == 0 else 'FAIL: the C simulation differs from the quantized model')
    return 0 if differ == 0 else 1


if __name__ == '__main__':
    sys.exit(cli.run(main))
