#!/usr/bin/env bash
# The README's test command. Installs the real third-party clients the integration tests drive (where it can), then
# runs `mvn -B verify` with any arguments given here. Kafka, Connect and Keycloak come from Maven Central; the tests
# start and stop them themselves.
#
#   Debian packages  python3-websockets, kcat, chromium, chromium-driver: apt-get as root, or through `sudo -n`;
#                    otherwise it stops and says which command to run.
#   npm              wscat@6: taken from the PATH if there, else installed without root under
#                    ~/.cache/wsbridge/npm and put on the PATH of the build.
set -euo pipefail
cd "$(dirname "$0")"

apt_packages=()
/usr/bin/python3 -c 'import websockets' >/dev/null 2>&1 || apt_packages+=(python3-websockets)
command -v kcat >/dev/null 2>&1 || apt_packages+=(kcat)
[ -x /usr/bin/chromium ] || apt_packages+=(chromium)
[ -x /usr/bin/chromedriver ] || apt_packages+=(chromium-driver)

if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "test.sh: the integration tests need the Debian packages ${apt_packages[*]}, and installing them needs root." >&2
    echo "test.sh: run 'sudo apt-get install ${apt_packages[*]}' and start ./test.sh again." >&2
    exit 2
  fi
  echo "== apt-get install ${apt_packages[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

if ! command -v wscat >/dev/null 2>&1; then
  npm_prefix="${HOME}/.cache/wsbridge/npm"
  if [ ! -x "${npm_prefix}/node_modules/.bin/wscat" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "test.sh: the integration tests need wscat, and installing it needs npm (Node.js): install npm, or wscat" >&2
      echo "test.sh: ('npm install -g wscat@6'), and start ./test.sh again." >&2
      exit 2
    fi
    echo "== npm install wscat@6 (under ${npm_prefix})"
    npm install --prefix "${npm_prefix}" --no-fund --no-audit --no-save --loglevel=error wscat@6 >/dev/null
  fi
  export PATH="${npm_prefix}/node_modules/.bin:${PATH}"
fi

echo "== mvn -B verify $*"
exec mvn -B verify "$@"
