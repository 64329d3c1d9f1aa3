#!/usr/bin/env bash
# Installs the command-line tools the deployment tests need into .tools/ (gitignored).
#
#   promtool, prometheus (rules, rule unit tests, config; the server for `orderpulse up
#             --with-prometheus` and the end-to-end alert test) from Debian's `prometheus` package
#   amtool, prometheus-alertmanager (config check; the server)   from `prometheus-alertmanager`
#   chromium  (browser tests)                 Debian's `chromium` package, installed system-wide
#   wrk       (order-entry benchmark)         Debian's `wrk` package, installed system-wide
#
# promtool and amtool are downloaded with `apt-get download` and unpacked with `dpkg -x`, so nothing
# is installed system-wide and no service is started. Idempotent: a tool already unpacked is
# left alone. Python tools (check-jsonschema, kubernetes-validate, dockerfile) come from the
# project's Python dependencies; `kubectl` (for `kubectl kustomize`) comes with the machine.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${repo_root}/.tools"

fetch_deb() {
  # fetch_deb PACKAGE DEST_DIR BINARY
  local package="$1" dest="$2" binary="$3"
  if [[ -x "${dest}/usr/bin/${binary}" ]]; then
    echo "install_tools: ${binary} already at ${dest}/usr/bin/${binary}"
    return 0
  fi
  local work
  work="$(mktemp -d)"
  if ! (cd "${work}" && apt-get download "${package}" >/dev/null 2>&1); then
    echo "install_tools: apt-get download ${package} failed; running apt-get update once" >&2
    apt-get update >/dev/null
    (cd "${work}" && apt-get download "${package}" >/dev/null)
  fi
  mkdir -p "${dest}"
  dpkg -x "${work}"/"${package}"_*.deb "${dest}"
  rm -rf "${work}"
  "${dest}/usr/bin/${binary}" --version >/dev/null 2>&1
  echo "install_tools: ${binary} installed at ${dest}/usr/bin/${binary}"
}

fetch_deb prometheus "${tools_dir}/prometheus" promtool
fetch_deb prometheus-alertmanager "${tools_dir}/alertmanager" amtool
# The servers come in the same packages; a .tools/ unpacked before they were used must have them.
"${tools_dir}/prometheus/usr/bin/prometheus" --version >/dev/null 2>&1
"${tools_dir}/alertmanager/usr/bin/prometheus-alertmanager" --version >/dev/null 2>&1
echo "install_tools: prometheus and prometheus-alertmanager servers at ${tools_dir}/"
# Debian's Alertmanager loads its notification templates from a fixed system path; put the
# package's own copies there (root or sudo) so the unpacked server starts.
templates=/usr/share/prometheus/alertmanager
if [[ ! -f "${templates}/default.tmpl" ]]; then
  as_root=()
  [[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
  "${as_root[@]}" mkdir -p "${templates}"
  "${as_root[@]}" cp "${tools_dir}/alertmanager${templates}/"*.tmpl "${templates}/"
  echo "install_tools: Alertmanager templates copied to ${templates}"
fi

if ! command -v kubectl >/dev/null 2>&1; then
  echo "install_tools: warning: kubectl not found; the kustomize tests need \`kubectl kustomize\`" >&2
fi

apt_install() {
  # apt_install PACKAGE WHY: Debian's package, system-wide (root or sudo); apt-get update once if needed
  local package="$1" why="$2" as_root=()
  [[ "$(id -u)" -eq 0 ]] || as_root=(sudo)
  echo "install_tools: installing Debian's ${package} for ${why}"
  if ! DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q "${package}" >/dev/null; then
    "${as_root[@]}" apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q "${package}" >/dev/null
  fi
}

# Chromium for the browser tests (survey and tracking pages): Debian's package, driven by
# Playwright for Python (which cannot download its own browsers here). Needs root or sudo.
if [[ ! -x /usr/bin/chromium ]]; then
  apt_install chromium "the browser tests"
fi
/usr/bin/chromium --version 2>/dev/null | grep -q Chromium
echo "install_tools: $(/usr/bin/chromium --version 2>/dev/null | grep Chromium) at /usr/bin/chromium"

# wrk (HTTP load generator for bench/order_entry_bench.py): Debian's package, installed
# system-wide because it needs its LuaJIT library. Needs root or sudo.
if ! command -v wrk >/dev/null 2>&1; then
  apt_install wrk "the order-entry benchmark"
fi
echo "install_tools: wrk at $(command -v wrk)"
