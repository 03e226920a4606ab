#!/usr/bin/env bash
# Set up a fresh Debian machine for reintegratie_stats: system tools where we may install them
# (R with lme4 and friends, GNU PSPP, Chromium), then a virtual environment with the package.
#
#   bash scripts/setup.sh            # .venv with every extra (lme4 bridge, notebooks, dev tools)
#   CORE_ONLY=1 bash scripts/setup.sh  # .venv-core: the plain install on the newest pandas (3.x)
#
# Without root or sudo the system step is skipped with one line; everything that does not need
# R, PSPP or Chromium still runs (those tests are skipped with their reason).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  r-base-core r-cran-lme4 r-cran-lmertest r-cran-emmeans r-cran-sandwich r-cran-systemfit
  r-cran-mass r-cran-haven r-cran-jsonlite r-cran-survey r-cran-blme r-cran-pbkrtest r-cran-ordinal
  pspp chromium
)

install_system() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      echo "setup: not root and no sudo: skipping R/lme4, PSPP and Chromium (tests needing them are skipped)"
      return 0
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: no apt-get (not Debian): skipping R/lme4, PSPP and Chromium (tests needing them are skipped)"
    return 0
  fi
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: apt-get install ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

PY=${PYTHON:-python3}
if [ "${CORE_ONLY:-0}" = "1" ]; then
  VENV=.venv-core
  $PY -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  # The plain install plus test tools, on the newest pandas: proves the core runs on pandas 3.
  "$VENV/bin/pip" install -q -e ".[dev]" "pandas>=3"
  exit 0
fi

[ "${SKIP_SYSTEM:-0}" = "1" ] || install_system
VENV=.venv
$PY -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
if command -v R >/dev/null 2>&1; then
  "$VENV/bin/pip" install -q -e ".[all]"
else
  echo "setup: R not found: installing without the lme4 extra (backend='lme4' unavailable)"
  "$VENV/bin/pip" install -q -e ".[notebooks,word,dev]"
fi
