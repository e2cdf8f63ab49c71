# SqueezeNet -> hls4ml io_stream -> bit-exact C simulation. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# the commands name their options as make variables in errors when this is set (cli.for_user);
# pytest runs without it, so tests see what a command-line user sees
CLI := CLI_FROM_MAKE=1 $(PY)
READY := $(VENV)/.ready
IMAGES ?=
CONFIG ?= hls/config.yaml
BOARD ?=
# make ends every failed target with its own status 2; this line says the command's status
# (docs/errors.md: 1 check failed, 2 bad input, 3 tool missing, 4 tool failed), which a script
# gets by running the command itself (the line `make -n TARGET` prints)
STATUS = || { s=$$?; echo "make $@: exit status $$s (docs/errors.md)" >&2; exit $$s; }
# the Dask scheduler the fan-outs use (docs/cluster.md): a LocalCluster of WORKERS processes, or SCHEDULER
CLUSTER = $(if $(SCHEDULER),--scheduler $(SCHEDULER)) $(if $(WORKERS),--workers $(WORKERS))
# CI runs the slow end-to-end cases too; the local loop skips them
PYTEST_SELECT ?= $(if $(CI),,-m "not slow")
# a test process per core (pytest-xdist), each test file in one of them: a file's tests share
# their build folders and fixtures
PYTEST_JOBS ?= -n auto --dist loadfile

.PHONY: help setup csim sim synth timing bitstream board-run train quantize tables sweep bench bench-cluster bench-squeezenet test test-all clean

help:  ## list the targets
	@awk -F':.*## ' '/^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "  variables: IMAGES=N (first N test images), CONFIG=path (design point), SIM=verilator|icarus, BOARD=pynq-z2|zcu102|ulx3s|... (default: the CONFIG's board)"
	@echo "             CLOCK_MHZ=N (make timing: the whole network's target), MODULES_ONLY=1 (make timing: layer modules only)"
	@echo "             SWEEP=file.yaml (make sweep), SCHEDULER=tcp://host:8786 or WORKERS=N (make sweep, sim, synth, timing: docs/cluster.md)"
	@echo "             DATA=folder of class subfolders, DESIGN=design.yaml, OUT=model folder, EPOCHS=N (make train); MODEL=float .keras (make quantize)"

setup: $(READY)  ## create .venv with the pinned packages and install the dataset

$(READY): requirements.txt pyproject.toml tools/bootstrap.sh
	@sh tools/bootstrap.sh $(PYTHON) $(VENV)
	@touch $@

csim: $(READY)  ## convert the shipped model with hls4ml, compile, run the C simulation bit-exact
	$(CLI) -m hls.csim --config "$(CONFIG)" $(if $(IMAGES),--images $(IMAGES)) $(if $(DATA),--data "$(DATA)") $(STATUS)

sim: $(READY)  ## generate the RTL from the same graph and simulate it (cocotb) bit-exact vs csim [OUT=build/sim/mine]
	$(CLI) -m sim.run_network --config "$(CONFIG)" --images $(or $(IMAGES),100) $(if $(DATA),--data "$(DATA)") $(if $(SIM),--sim $(SIM)) $(if $(OUT),--out "$(OUT)") $(CLUSTER) $(STATUS)

synth: $(READY)  ## open synthesis (Yosys) for BOARD, utilization and fit, vendor projects [OUT=build/synth/mine]
	$(CLI) -m firmware.synth $(if $(BOARD),--board $(BOARD)) --config "$(CONFIG)" $(if $(OUT),--out "$(OUT)") $(CLUSTER) $(STATUS)

timing: $(READY)  ## open place and route (nextpnr-ecp5, LFE5U-85F-6): post-route Fmax per module and network
	$(CLI) -m firmware.timing --config "$(CONFIG)" $(if $(CLOCK_MHZ),--clock-mhz $(CLOCK_MHZ)) $(if $(MODULES_ONLY),--modules-only) $(CLUSTER) $(STATUS)

board-run: $(READY)  ## program an ECP5 board (BOARD=ulx3s) and classify test images on it (PORT=/dev/ttyUSB0)
	$(CLI) -m firmware.board.run --board $(or $(BOARD),ulx3s) --config "$(CONFIG)" $(if $(PORT),--port "$(PORT)") $(if $(IMAGES),--images $(IMAGES)) $(STATUS)

bitstream: $(READY)  ## synth, then the Vivado bitstream (needs vivado on PATH)
	$(CLI) -m firmware.synth $(if $(BOARD),--board $(BOARD)) --config "$(CONFIG)" --bitstream $(STATUS)

train: $(READY)  ## train float then 8-bit QAT: the shipped default into model/default, or DATA=images DESIGN=file.yaml OUT=model/mine
	$(CLI) -m model.train $(if $(OUT),--out "$(OUT)") $(if $(DATA),--data "$(DATA)") $(if $(DESIGN),--design "$(DESIGN)") $(if $(EPOCHS),--epochs $(EPOCHS)) $(STATUS)

quantize: $(READY)  ## calibrate and QAT a float Keras model: MODEL=my.keras OUT=model/mine [DATA=images]
	$(CLI) -m model.quantize --model "$(MODEL)" --out "$(OUT)" $(if $(DATA),--data "$(DATA)") $(STATUS)

tables: $(READY)  ## retrain every design point of the compression and variants tables (~70 min)
	$(CLI) -m model.tables $(STATUS)

sweep: $(READY)  ## every point of a sweep file through its stages on Dask: SWEEP=sweeps/folding.yaml [SCHEDULER=tcp://host:8786]
	$(CLI) -m sweep.run "$(or $(SWEEP),sweeps/folding.yaml)" $(CLUSTER) $(STATUS)

bench: $(READY)  ## report: the compression and variants tables, RTL and synthesis figures, plots
	$(CLI) -m bench.report $(if $(IMAGES),--images $(IMAGES)) $(STATUS)

bench-cluster: $(READY)  ## report: make sim of 2,000 images on 1 vs 2 Dask workers, side by side (~30 min)
	$(CLI) -m bench.cluster $(if $(IMAGES),--images $(IMAGES)) $(STATUS)

bench-squeezenet: $(READY)  ## report: SqueezeNet v1.1/v1.0 at 224x224 through csim, RTL simulation, Yosys for the ZCU102 (~1 h)
	$(CLI) -m bench.squeezenet $(STATUS)

test: $(READY)  ## run the tests (the slow end-to-end ones too when CI is set)
	$(PY) -m pytest $(PYTEST_SELECT) $(PYTEST_JOBS)

test-all: $(READY)  ## run every test, the slow end-to-end ones included
	$(PY) -m pytest $(PYTEST_JOBS)

clean:  ## remove build outputs (keeps .venv)
	rm -rf build .pytest_cache
