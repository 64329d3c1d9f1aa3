#!/usr/bin/env bash
# Installs the command-line tools the deployment tests need into .tools/ (gitignored).
#
#   promtool  (rules, rule unit tests, config) from Debian's `prometheus` package
#   amtool    (Alertmanager config)           from Debian's `prometheus-alertmanager` package
#
# The packages are downloaded with `apt-get download` and unpacked with `dpkg -x`, so nothing
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

if ! command -v kubectl >/dev/null 2>&1; then
  echo "install_tools: warning: kubectl not found; the kustomize tests need \`kubectl kustomize\`" >&2
fi
