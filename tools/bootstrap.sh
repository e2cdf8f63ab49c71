#!/bin/sh
# Creates the virtual environment with the pinned packages and makes sure the Debian packages
# the project reads are installed: as root it installs them, otherwise it prints the command.
set -eu
python=$1 venv=$2
debs="dataset-fashion-mnist g++ make iverilog yosys libusb-1.0-0 libftdi1-2 libhidapi-hidraw0"

missing=""
for pkg in $debs; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "bootstrap: installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q $missing >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; }
    else
        echo "bootstrap: missing Debian packages. Run:  sudo apt-get install -y$missing" >&2
        exit 1
    fi
fi

if [ ! -x "$venv/bin/python" ]; then
    echo "bootstrap: creating $venv"
    "$python" -m venv "$venv"
fi
# the CUDA build of TensorFlow (an older requirements.txt) and tensorflow-cpu share a package folder
if "$venv/bin/python" -m pip show -q tensorflow >/dev/null 2>&1; then
    "$venv/bin/python" -m pip uninstall -q -y tensorflow
fi
echo "bootstrap: installing pinned Python packages (requirements.txt)"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
# the project itself, editable: its packages import by name from anywhere (no PYTHONPATH)
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
